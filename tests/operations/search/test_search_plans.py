"""The query planner answers every query class from an index, never a table scan.

Runs on the suite's database: SQLite by default, PostgreSQL when DATABASE_URL says so
(CI runs both). The fixture tables are tiny, so on PostgreSQL sequential scans are
priced out for the test, as they would be by the planner at a realistic size.
"""

import pytest
from django.db import connection

from jobs.operations.search import finder, query

# query class -> (query, index on PostgreSQL, index on SQLite)
CLASSES = {
    "exact e-mail": ("registrantEmail:john@acme.com", "registration_registrant_email_lower",
                     "USING INDEX registration_registrant_email_lower"),
    "registrant prefix": ("registrantName:john*", "registration_registrant_name_lower",
                          "USING INDEX registration_registrant_name_lower"),
    "infix wildcard on company": ("registrantCompany:*acme*",
                                  "registration_registrant_company_trgm",
                                  "jobs_registration_fts VIRTUAL TABLE INDEX 0:L"),
    "name server": ("nameServer:ns1.acme-dns.net", "registration_name_servers_trgm",
                    "jobs_registration_fts VIRTUAL TABLE INDEX 0:L"),
    "multi-field": ("registrantEmail:john@acme.com registrarName:godaddy* tld:com",
                    "registration_registrant_email_lower",
                    "USING INDEX registration_registrant_email_lower"),
    "date range": ("createdAfter:2020-01-01 createdBefore:2020-12-31", "registration_created",
                   "USING INDEX registration_created"),
    "domain prefix": ("acme*", "registration_domain_pattern",
                      "USING INDEX registration_domain_plain"),
    "company exact": ('registrantCompany:"Acme Corp"', "registration_registrant_company_lower",
                      "USING INDEX registration_registrant_company_lower"),
}


@pytest.fixture
def planner(records):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    return records


@pytest.mark.parametrize("name", CLASSES)
def test_each_query_class_uses_its_index(planner, name, org):
    text, postgres_index, sqlite_index = CLASSES[name]
    plan = finder.explain(query.parse(text), org.pk)
    expected = postgres_index if connection.vendor == "postgresql" else sqlite_index
    assert expected in plan, plan
    assert "Seq Scan" not in plan and "SCAN r" not in plan, plan


def test_trigram_index_follows_updates_and_deletes(records):
    """On SQLite the FTS5 table is kept in step by triggers; PostgreSQL's GIN by itself."""
    from jobs.models import Registration

    Registration.objects.filter(domain="globex.org").update(registrant_company="Initech")
    Registration.objects.filter(domain="acme.com").delete()
    found = finder.search(query.parse("registrantCompany:*corp*"), organization_id=None,
                          limit=10, offset=0)
    assert [r.domain for r in found.records] == ["acme-login.net"]
    found = finder.search(query.parse("registrantCompany:*nitec*"), organization_id=None,
                          limit=10, offset=0)
    assert [r.domain for r in found.records] == ["globex.org"]
