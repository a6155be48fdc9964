"""The jobs table keeps few indexes (each one is a page written per submitted job), so
each query that reads it must still find an index that serves it: never a scan of the
whole table. Checked with SQLite's query plans, on the queries the code really sends."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs import housekeeping, lifecycle
from jobs.models import Job
from jobs.web import selectors

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")


def plans(run) -> list[tuple[str, str]]:
    """(statement, plan) of every SELECT on the jobs table that ``run()`` sends."""
    with CaptureQueriesContext(connection) as queries:
        run()
    out = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if sql.startswith("SELECT") and f'FROM "{Job._meta.db_table}"' in sql:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                out.append((sql, " | ".join(row[-1] for row in cursor.fetchall())))
    assert out, "no query on the jobs table was sent"
    return out


def assert_indexed(found: list[tuple[str, str]], index: str) -> None:
    for sql, plan in found:
        assert f"INDEX {index} " in plan, f"{sql}\n  -> {plan}"
        assert "SCAN jobs_job" not in plan, f"{sql}\n  -> {plan}"


def test_a_list_by_status_reads_the_status_index(org):
    for status in ("PENDING", "COMPLETED"):
        assert_indexed(plans(lambda s=status: (
            list(selectors.job_list(organization=org, status=s)[:50]),
            selectors.job_list(organization=org, status=s).count())),
            "job_status_org_created")


def test_a_list_by_type_reads_the_type_from_the_newest_first_index(org):
    assert_indexed(plans(lambda: (
        list(selectors.job_list(organization=org, job_type="test_noop")[:50]),
        selectors.job_list(organization=org, job_type="test_noop").count())),
        "job_org_created_type")
    assert_indexed(plans(lambda: list(selectors.job_list(organization=org)[:50])),
                   "job_org_created_type")


def test_the_dashboard_counts_each_state_from_the_index_alone(org):
    ((_sql, plan),) = plans(lambda: selectors.job_status_counts(organization=org))
    assert plan.count("COVERING INDEX job_status_org_created ") == 5, plan


def test_housekeeping_finds_the_jobs_in_one_state_by_the_status_index(db):
    assert_indexed(plans(lambda: (lifecycle.jobs_reap(dead_workers=["gone"]),
                                  housekeeping.jobs_resend_stale_pending(
                                      lifecycle._now()))),
                   "job_status_org_created")
