"""Running a search against the store: one page of records and a bounded count.

Records come in the order they entered the store (``id``): the primary key delivers it,
for an append-mostly table it is also the order of the rows on disk, and new records
land after the pages already seen, so paging through a result does not shift.

A search first collects the ids of up to ``COUNT_BOUND`` + 1 matches, in any order,
through its search index (on PostgreSQL a B-tree gives them without reading the table;
see ``jobs.registrations.indexes``; a trigram pattern the planner expects in a good
share of the table reads the column's covering B-tree from end to end instead, a fifth
the size of the table, and stops at the bound). When that
is all of them, their number is the exact total and the page is cut from them. Past the
bound, the total is the planner's estimate, flagged, and the page is asked for in ``id``
order; the planner then walks the primary key and stops once the page is full (a popular
value fills it quickly) or sorts the ids a covering index gives, whichever costs less.

A record is visible to an organization when it was imported (no organization) or that
organization's jobs learned it. The two sets are asked apart, each with a plain
``organization_id`` condition, which the search indexes check from their own copy of
the column, and an organization's own records also have their ``(organization_id,
domain)`` index.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from django.db import connection, transaction

from jobs.operations.search import query
from jobs.registrations.indexes import FTS_TABLE, NAME_SERVER_TABLE
from jobs.registrations.models import Registration

TABLE = "jobs_registration"
SOURCE = f"{TABLE} r"   # bench/search.py swaps in "... NOT INDEXED" for its baseline
# Counting stops here: past it the total is the planner's estimate (or this bound).
COUNT_BOUND = 10_000
# A bitmap over a trigram index holds every candidate before the first row is read; for
# a pattern the planner expects in this share of the table or more, reading the column's
# B-tree (or, without one, the table) in order finds the first COUNT_BOUND + 1 matches in
# a small part of it instead. At 10M rows a pattern in 5 % of them took 170 ms through
# the table and 5–40 ms through the B-tree, whose entries are a fifth the size of a row.
DENSE_SHARE = 0.03


@dataclass
class Page:
    records: list[Registration]
    total: int
    estimated: bool


def search(terms: list[query.Term], *, organization_id: int | None, limit: int,
           offset: int) -> Page:
    where = query.compile_terms(terms)
    ids = matching_ids(where, organization_id)
    if len(ids) <= COUNT_BOUND:
        return Page(_records(sorted(ids)[offset:offset + limit]), len(ids), False)
    sql, params = page_sql(where, organization_id, limit, offset)
    records = list(Registration.objects.raw(sql, params))
    with connection.cursor() as cursor:
        total = max(len(ids), _planner_estimate(cursor, where, organization_id))
    return Page(records, total, True)


def _records(ids: list[int]) -> list[Registration]:
    found = Registration.objects.in_bulk(ids)
    return [found[i] for i in ids]


def _scopes(organization_id: int | None) -> list[tuple[str, list]]:
    """The visible sets: imported records, and this organization's own."""
    # SQLite, without statistics, would walk the organization_id index for IS NULL (the
    # whole table); the unary + keeps it off that index.
    public = "+r.organization_id IS NULL" if connection.vendor == "sqlite" else \
        "r.organization_id IS NULL"
    scopes = [(public, [])]
    if organization_id:
        scopes.append(("r.organization_id = %s", [organization_id]))
    return scopes


def _select(columns: str, where: query.Where, organization_id: int | None,
            tail: str = "", tail_params: tuple = (), *,
            public_source: str | None = None) -> tuple[list[str], list]:
    parts, params = [], []
    for scope, values in _scopes(organization_id):
        if where.name_server is not None:
            parts.append(_name_server_select(columns, scope, tail))
            params += [*values, where.name_server, *tail_params]
            continue
        condition = f"{scope} AND {where.sql}" if where.sql else scope
        source = public_source if public_source and not values else SOURCE
        if where.fts:
            # SQLite: imported records in the FTS5 table's rowid order (CROSS JOIN keeps
            # it the outer loop); an organization's own, few, may be read first.
            join = "JOIN" if values else "CROSS JOIN"
            source = f"{FTS_TABLE} {join} {SOURCE} ON r.id = {FTS_TABLE}.rowid"
            tail = tail.replace("ORDER BY r.id", f"ORDER BY {FTS_TABLE}.rowid")
        parts.append(f"SELECT {columns} FROM {source} WHERE {condition}{tail}")
        params += [*values, *where.params, *tail_params]
    return parts, params


def _name_server_select(columns: str, scope: str, tail: str) -> str:
    """A search for one name server reads the ids, in order, from the name-server
    table's index (which carries the organization too); rows only for a page."""
    ids = (f"SELECT s.registration_id FROM {NAME_SERVER_TABLE} s "
           f"WHERE {scope.replace('r.', 's.')} AND s.name_server = %s")
    if columns == "r.*":
        return f"SELECT r.* FROM {SOURCE} WHERE r.id IN " \
               f"({ids}{tail.replace('r.id', 's.registration_id')})"
    return ids + tail


def _union(parts: list[str]) -> str:
    return " UNION ALL ".join(f"SELECT * FROM ({part}) s{i}" for i, part in enumerate(parts))


def matching_ids(where: query.Where, organization_id: int | None,
                 bound: int | None = None) -> list[int]:
    """Ids of up to ``bound`` + 1 visible matches, in no particular order."""
    bound = COUNT_BOUND if bound is None else bound
    parts, params = _select("r.id", where, organization_id, " LIMIT %s", (bound + 1,))
    with transaction.atomic(), connection.cursor() as cursor:
        _steer_pattern_search(cursor, where)
        cursor.execute(_union(parts), params)
        return [row[0] for row in cursor.fetchall()][:bound + 1]


def _steer_pattern_search(cursor, where: query.Where) -> None:
    """PostgreSQL, a pattern with a leading wildcard: no bitmap for a pattern in much of
    the table, and, on a column with a covering B-tree, never the table read in order:
    the B-tree holds the same in a fifth of the pages. At 10M rows, 0.1–0.2 s became
    0.01–0.1 s."""
    if where.anywhere and connection.vendor == "postgresql":
        if where.covered:
            cursor.execute("SET LOCAL enable_seqscan = off")
        if _dense(cursor, where):
            cursor.execute("SET LOCAL enable_bitmapscan = off")


def _dense(cursor, where: query.Where) -> bool:
    expected = _planner_estimate(cursor, where, None)
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [TABLE])
    return expected >= DENSE_SHARE * cursor.fetchone()[0]


def page_sql(where: query.Where, organization_id: int | None, limit: int,
             offset: int) -> tuple[str, list]:
    # Past the bound a value is common: SQLite, left to choose, sorts every match an
    # index finds; reading imported records in rowid order stops at the page's end.
    walk = f"{TABLE} r NOT INDEXED" if connection.vendor == "sqlite" and SOURCE == \
        f"{TABLE} r" else None
    parts, params = _select("r.*", where, organization_id, " ORDER BY r.id LIMIT %s",
                            (offset + limit,), public_source=walk)
    return (f"SELECT * FROM ({_union(parts)}) found ORDER BY id LIMIT %s OFFSET %s",
            [*params, limit, offset])


def count(where: query.Where, organization_id: int | None = None,
          bound: int | None = None) -> tuple[int, bool]:
    """(matches, estimated): exact up to ``bound``, then an estimate no smaller than it."""
    bound = COUNT_BOUND if bound is None else bound
    parts, params = _select("1", where, organization_id, " LIMIT %s", (bound + 1,))
    counts = " + ".join(f"(SELECT count(*) FROM ({part}) c{i})" for i, part in enumerate(parts))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}", params)
        exact = cursor.fetchone()[0]
        if exact <= bound:
            return exact, False
        return max(bound + 1, _planner_estimate(cursor, where, organization_id)), True


def _planner_estimate(cursor, where: query.Where, organization_id: int | None) -> int:
    if connection.vendor != "postgresql":
        return 0
    parts, params = _select("1", where, organization_id)
    cursor.execute("EXPLAIN (FORMAT JSON) " + " UNION ALL ".join(parts), params)
    plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def explain(terms: list[query.Term], organization_id: int | None = None, *,
            page: bool = False) -> str:
    """The plan, as text (for tests and the benchmark), of the query collecting a search's
    matches through its indexes, or with ``page`` of the one for a page past the bound."""
    where = query.compile_terms(terms)
    if page:
        sql, params = page_sql(where, organization_id, 100, 0)
    else:
        parts, params = _select("r.id", where, organization_id, " LIMIT %s",
                                (COUNT_BOUND + 1,))
        sql = _union(parts)
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with transaction.atomic(), connection.cursor() as cursor:
        if not page:
            _steer_pattern_search(cursor, where)
        cursor.execute(prefix + sql, params)
        return "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())


def total_pages(total: int, limit: int) -> int:
    return math.ceil(total / limit) if total else 0


def sharing(field: str, value: str, organization_id: int | None) -> int:
    """How many visible domains have exactly ``value`` in ``field`` (bounded like totals)."""
    where = query.compile_terms([query.Term(field, value)])
    return count(where, organization_id)[0]
