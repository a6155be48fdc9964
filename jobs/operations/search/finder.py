"""Running a search against the store: one page of records and a bounded count."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from django.db import connection

from jobs.operations.search import query
from jobs.registrations.models import Registration

TABLE = "jobs_registration"
SOURCE = f"{TABLE} r"   # bench/search.py swaps in "... NOT INDEXED" for its baseline
# Counting stops here: past it the total is the planner's estimate (or this bound).
COUNT_BOUND = 10_000


@dataclass
class Page:
    records: list[Registration]
    total: int
    estimated: bool


def search(terms: list[query.Term], *, organization_id: int | None, limit: int,
           offset: int) -> Page:
    where = query.compile_terms(terms, organization_id)
    records = list(Registration.objects.raw(
        f"SELECT r.* FROM {SOURCE} WHERE {where.sql} ORDER BY r.domain, r.id LIMIT %s OFFSET %s",
        [*where.params, limit, offset]))
    total, estimated = count(where)
    if not estimated:
        total = max(total, offset + len(records))
    return Page(records, total, estimated)


def count(where: query.Where, bound: int | None = None) -> tuple[int, bool]:
    """(matches, estimated): exact up to ``bound``, then an estimate no smaller than it."""
    bound = COUNT_BOUND if bound is None else bound
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {SOURCE} WHERE {where.sql} "
                       f"LIMIT %s) bounded", [*where.params, bound + 1])
        exact = cursor.fetchone()[0]
        if exact <= bound:
            return exact, False
        return max(bound + 1, _planner_estimate(cursor, where)), True


def _planner_estimate(cursor, where: query.Where) -> int:
    if connection.vendor != "postgresql":
        return 0
    cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {SOURCE} WHERE {where.sql}",
                   where.params)
    plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def explain(terms: list[query.Term], organization_id: int | None = None) -> str:
    """The plan of a search's page query, as text (for tests and the benchmark)."""
    where = query.compile_terms(terms, organization_id)
    sql = f"SELECT r.* FROM {SOURCE} WHERE {where.sql} ORDER BY r.domain, r.id LIMIT 100"
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, where.params)
        return "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())


def total_pages(total: int, limit: int) -> int:
    return math.ceil(total / limit) if total else 0


def sharing(field: str, value: str, organization_id: int | None) -> int:
    """How many visible domains have exactly ``value`` in ``field`` (bounded like totals)."""
    where = query.compile_terms([query.Term(field, value)], organization_id)
    return count(where)[0]
