"""Searches against the store: each query class, case, wildcards, paging, visibility."""

import pytest

from jobs.operations.search import finder, query
from jobs.registrations import normalize
from jobs.registrations.store import registrations_upsert


def found(text, organization_id=None, limit=100, offset=0):
    page = finder.search(query.parse(text), organization_id=organization_id, limit=limit,
                         offset=offset)
    return [r.domain for r in page.records]


@pytest.mark.parametrize("text, domains", [
    ("registrantEmail:john@acme.com", ["acme.com", "acme-login.net"]),
    ("registrantEmail:JOHN@ACME.COM", ["acme.com", "acme-login.net"]),
    ("registrantEmail:*@acme.com", ["acme.com", "acme-login.net"]),
    ("registrantName:john*", ["acme.com", "acme-login.net"]),
    ("registrantName:j*h*", ["acme.com", "acme-login.net"]),
    ("registrantCompany:*corp*", ["acme.com", "acme-login.net", "globex.org"]),
    ('registrantCompany:"Acme Corp"', ["acme.com"]),
    ("registrantCompany:*ation", ["acme-login.net", "globex.org"]),
    ("nameServer:ns1.acme-dns.net", ["acme.com", "acme-login.net"]),
    ("nameServer:ns2.acme-dns.net", ["acme.com"]),
    ("nameServer:NS2.Acme-DNS.net", ["acme.com"]),
    ("nameServer:s1.acme-dns.net", []),          # a whole name, not a part of one
    ("nameServer:ns1.acme-dns.ne", []),
    ("nameServer:*.cloudflare.com", ["globex.org"]),
    ("ns:dns1.cloudflare.com registrarName:godaddy*", ["globex.org"]),
    ("domainStatus:clienthold", ["acme-login.net"]),
    ("registrarIanaId:146", ["acme.com"]),
    ("tld:net", ["acme-login.net"]),
    ("acme*", ["acme.com", "acme-login.net"]),
    ("*.org", ["globex.org"]),
    ("registrantCountry:us registrantCity:austin", ["acme.com"]),
    ("registrantPhone:+1.555*", ["acme.com"]),
    ("createdDate:2019-01-01", ["globex.org"]),
    ("createdAfter:2020-01-01", ["acme-login.net", "private.io"]),
    ("createdAfter:2015-01-01 createdBefore:2019-01-01", ["acme.com", "globex.org"]),
    ("expiryBefore:2025-01-01", ["acme-login.net", "globex.org"]),
    ("registrantName:redacted*", []),
    ("registrantEmail:*privacy*", ["private.io"]),
    ("registrantCompany:100%", []),
    ("registrantCompany:a_me*", []),
])
def test_query_classes(records, text, domains):
    assert found(text) == domains


def test_paging_and_totals(records):
    terms = query.parse("createdAfter:2000-01-01")
    page = finder.search(terms, organization_id=None, limit=2, offset=2)
    assert [r.domain for r in page.records] == ["globex.org", "private.io"]
    assert (page.total, page.estimated) == (4, False)


def test_total_past_the_bound_is_flagged_estimated(records, monkeypatch):
    monkeypatch.setattr(finder, "COUNT_BOUND", 2)
    page = finder.search(query.parse("createdAfter:2000-01-01"), organization_id=None,
                         limit=1, offset=0)
    assert page.estimated and page.total >= 3


def test_job_learned_records_are_visible_only_to_their_organization(records, org, other_org):
    registrations_upsert([normalize.record({"domain": "secret.com", "registrantEmail":
                                            "john@acme.com"})],
                         organization_id=org.pk, source="whois")
    text = "registrantEmail:john@acme.com"
    assert found(text, org.pk) == ["acme.com", "acme-login.net", "secret.com"]
    assert found(text, other_org.pk) == ["acme.com", "acme-login.net"]
    assert finder.sharing("registrantEmail", "john@acme.com", org.pk) == 3


def test_proxy_email_is_flagged(records):
    page = finder.search(query.parse("private.io"), organization_id=None, limit=1, offset=0)
    record = page.records[0]
    assert record.email_proxy and record.registrant_name == ""


def test_pages_past_the_bound_come_in_store_order(records, org, monkeypatch):
    """Past the bound a page is walked in id order, an organization's records merged in."""
    registrations_upsert([normalize.record({"domain": "secret.com", "createdDate": "2022-01-01"})],
                         organization_id=org.pk, source="whois")
    monkeypatch.setattr(finder, "COUNT_BOUND", 2)
    pages = [finder.search(query.parse("createdAfter:2000-01-01"), organization_id=org.pk,
                           limit=2, offset=offset) for offset in (0, 2, 4)]
    assert [[r.domain for r in page.records] for page in pages] == [
        ["acme.com", "acme-login.net"], ["globex.org", "private.io"], ["secret.com"]]
    assert all(page.estimated and page.total >= 3 for page in pages)


def test_a_pattern_in_much_of_the_table_is_found_without_the_bitmap(records, monkeypatch):
    """DENSE_SHARE 0: every trigram pattern counts as common; the answer is the same."""
    monkeypatch.setattr(finder, "DENSE_SHARE", 0.0)
    assert found("registrantCompany:*corp*") == ["acme.com", "acme-login.net", "globex.org"]
    assert found("nameServer:*.cloudflare.com") == ["globex.org"]


def test_a_name_server_search_follows_every_write(records, org, other_org):
    """On PostgreSQL an exact name server is read from a table the store's triggers keep
    in step: new answers, changed lists, deletes and emptied tables all show at once."""
    from jobs.registrations.models import Registration

    ns = "nameServer:ns9.moved-dns.net"
    registrations_upsert([normalize.record({"domain": "acme.com", "nameServers":
                                            "ns9.moved-dns.net|ns2.acme-dns.net"})],
                         organization_id=None, source="whois")
    assert found(ns) == ["acme.com"]
    assert found("nameServer:ns1.acme-dns.net") == ["acme-login.net"]
    assert found("nameServer:ns2.acme-dns.net") == ["acme.com"]
    registrations_upsert([normalize.record({"domain": "secret.com", "nameServers":
                                            "ns9.moved-dns.net"})],
                         organization_id=org.pk, source="whois")
    assert found(ns, org.pk) == ["acme.com", "secret.com"]
    assert found(ns, other_org.pk) == ["acme.com"]
    assert finder.sharing("nameServer", "ns9.moved-dns.net", org.pk) == 2
    Registration.objects.filter(domain="acme.com").update(name_servers="|ns3.other.net|")
    assert found(ns) == [] and found("nameServer:ns3.other.net") == ["acme.com"]
    Registration.objects.filter(domain="acme.com").delete()
    assert found("nameServer:ns3.other.net") == []


def test_a_name_server_page_past_the_bound(records, monkeypatch):
    monkeypatch.setattr(finder, "COUNT_BOUND", 1)
    terms = query.parse("nameServer:ns1.acme-dns.net")
    pages = [finder.search(terms, organization_id=None, limit=1, offset=offset)
             for offset in (0, 1)]
    assert [[r.domain for r in page.records] for page in pages] == [["acme.com"],
                                                                     ["acme-login.net"]]
    assert all(page.estimated and page.total >= 2 for page in pages)
