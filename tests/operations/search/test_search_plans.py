"""The query planner answers every query class from an index, never a table scan.

Runs on the suite's database: SQLite by default, PostgreSQL when DATABASE_URL says so
(CI runs both). The fixture records sit among a few thousand others, with statistics,
so the planner weighs the indexes (and a sequential scan) as it would on a real store.
"""

import pytest
from django.db import connection

from jobs.operations.search import finder, query
from jobs.registrations.indexes import TRIGRAM

# query class -> (query, index on PostgreSQL, index on SQLite)
CLASSES = {
    "exact e-mail": ("registrantEmail:john@acme.com", "registration_registrant_email_lower",
                     "USING INDEX registration_registrant_email_lower"),
    "registrant prefix": ("registrantName:john*", "registration_registrant_name_lower",
                          "USING INDEX registration_registrant_name_lower"),
    # The matching companies come from their table of distinct values, then their
    # records from the column's B-tree.
    "infix wildcard on company": ("registrantCompany:*acme*",
                                  "registration_registrant_company_lower",
                                  "USING INDEX registration_registrant_company_lower"),
    "name server": ("nameServer:ns1.acme-dns.net", "registration_name_server_lookup",
                    "jobs_registration_fts VIRTUAL TABLE INDEX 0:L"),
    "name server wildcard": ("nameServer:*.acme-dns.net", "registration_name_servers_trgm",
                             "jobs_registration_fts VIRTUAL TABLE INDEX 0:L"),
    # As rare as each other here: either term's index will do.
    "multi-field": ("registrantEmail:john@acme.com registrarName:godaddy* tld:com",
                    ("registration_registrant_email_lower", "registration_registrar_name_lower"),
                    "USING INDEX registration_registrant_email_lower"),
    # Each common on its own, rare together: the composite index of the three.
    "place and registrar": ('registrarName:"registrar 1*" registrantCountry:de '
                            'registrantCity:"Berlin"', "registration_place_registrar",
                            "USING INDEX registration_place_registrar (<expr>=? AND <expr>=? "
                            "AND <expr>>? AND <expr><?)"),
    "date range": ("createdAfter:2020-01-01 createdBefore:2020-12-31", "registration_created",
                   "USING INDEX registration_created"),
    "domain prefix": ("acme*", "registration_domain_pattern",
                      "USING INDEX registration_domain_plain"),
    "company exact": ('registrantCompany:"Acme Corp"', "registration_registrant_company_lower",
                      "USING INDEX registration_registrant_company_lower"),
}


FILLER = 5_000


def _cycle(values: list[str]) -> str:
    """SQL for values[i % len(values)], on either database."""
    cases = " ".join(f"WHEN {n} THEN '{v}'" for n, v in enumerate(values))
    return f"CASE i %% {len(values)} {cases} END"


@pytest.fixture
def planner(records):
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) "
            "INSERT INTO jobs_registration (domain, tld, registrar_name, registrar_iana_id, "
            "registrant_name, registrant_company, registrant_email, email_proxy, "
            "registrant_phone, registrant_country, registrant_city, name_servers, statuses, "
            "source, first_seen, last_seen) "
            "SELECT 'filler' || i || '.com', 'com', 'Registrar ' || (i %% 40), '', "
            "'Person ' || i, 'Company ' || i, 'p' || i || '@example.net', FALSE, '', "
            f"{_cycle(['DE', 'US', 'FR', 'CN', 'BR'])}, "
            f"{_cycle(['Berlin', 'Paris', 'Austin', 'Lyon', 'Rio', 'Xian', 'Bonn'])}, "
            "'|ns' || i || '.example.net|', '|ok|', 'test', CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP FROM n", [FILLER])
        if connection.vendor == "postgresql":   # as autovacuum would after a load
            for column in TRIGRAM:
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)",
                               [f"registration_{column}_trgm"])
        cursor.execute("ANALYZE jobs_registration")
    return records


@pytest.mark.parametrize("name", CLASSES)
def test_each_query_class_uses_its_index(planner, name, org):
    text, postgres_index, sqlite_index = CLASSES[name]
    plan = finder.explain(query.parse(text), org.pk)
    expected = postgres_index if connection.vendor == "postgresql" else sqlite_index
    assert any(index in plan for index in
               ((expected,) if isinstance(expected, str) else expected)), plan
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


def test_a_pattern_matching_many_companies_goes_through_the_records_trigram_index(
        planner, org, monkeypatch):
    """Past VALUE_CAP distinct values, looking each one up would cost more than reading
    the records' own indexes for the pattern (a trigram bitmap or, as here, where the
    pattern is in a fifth of the records, a B-tree in order)."""
    monkeypatch.setattr(query, "VALUE_CAP", 100)
    plan = finder.explain(query.parse('registrantCompany:"*ompany 1*"'), org.pk)
    if connection.vendor == "postgresql":
        assert "~~ '%ompany 1%'" in plan and "ANY" not in plan, plan
    else:
        assert "jobs_registration_fts VIRTUAL TABLE INDEX" in plan, plan


def test_the_table_of_distinct_values_follows_inserts_updates_and_truncation(records):
    from jobs.models import Registration
    from jobs.registrations.indexes import VALUE_TABLE

    def values():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT field, value FROM {VALUE_TABLE}")
            return set(cursor.fetchall())

    assert {("registrant_company", "acme corp"), ("registrant_name", "john smith")} <= values()
    assert all(value for _field, value in values())          # no empty values
    Registration.objects.filter(domain="globex.org").update(registrant_name="Jane Roe")
    assert ("registrant_name", "jane roe") in values()
    if connection.vendor != "postgresql":
        return   # SQLite has no TRUNCATE
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")   # no deferred checks pending
        cursor.execute("TRUNCATE jobs_registration CASCADE")
    assert values() == set()


def test_a_page_past_the_bound_walks_the_primary_key(planner, org):
    """A value in most records: the page is read in id order, stopping when it is full."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's planner sorts the index's matches here")
    plan = finder.explain(query.parse("tld:com"), org.pk, page=True)
    assert "Index Scan using jobs_registration_pkey" in plan, plan


def test_a_pattern_in_most_records_is_read_in_index_order_without_a_bitmap(planner, org):
    """Every filler company matches: a B-tree read in order reaches the bound soonest (at
    10M rows the planner takes the column's covering one; here, with a few thousand
    rows in memory, any)."""
    if connection.vendor != "postgresql":
        pytest.skip("the trigram bitmap is PostgreSQL's")
    plan = finder.explain(query.parse("registrantCompany:*ompan*"), org.pk)
    assert "Index" in plan and "Bitmap" not in plan and "Seq Scan" not in plan, plan


def test_two_wildcards_on_indexed_columns_match_both(records, org):
    found = finder.search(query.parse("*login* nameServer:*acme-dns*"), organization_id=org.pk,
                          limit=10, offset=0)
    assert [r.domain for r in found.records] == ["acme-login.net"]
    found = finder.search(query.parse("*acme* registrantEmail:*@acme.com nameServer:*ns2.*"),
                          organization_id=org.pk, limit=10, offset=0)
    assert [r.domain for r in found.records] == ["acme.com"]


def test_a_page_of_a_common_pattern_on_sqlite_streams_from_the_fts_table(planner, org):
    """The imported records' part reads the FTS5 table's matches in rowid order and stops
    when the page is full, instead of sorting every match."""
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 table is SQLite's")
    plan = finder.explain(query.parse("nameServer:*example.net*"), org.pk, page=True)
    rows = [line.split(" ", 3) for line in plan.splitlines()]
    public = next(row[0] for row in rows if row[3] == "CO-ROUTINE s0")
    steps = [row[3] for row in rows if row[1] == public]
    assert steps[0].startswith("SCAN jobs_registration_fts VIRTUAL TABLE"), plan
    assert not any("TEMP B-TREE" in step for step in steps), plan
