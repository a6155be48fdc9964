import datetime as dt

import pytest

from jobs.models import Registration, RegistrationVersion
from jobs.registrations import normalize
from jobs.registrations.store import RegistrationRecorder, registrations_upsert

pytestmark = pytest.mark.django_db


def row(**values):
    return normalize.record({"domain": "example.com", **values})


def test_insert_then_update_keeps_history_and_merges():
    assert registrations_upsert([row(registrantEmail="a@x.com", registrarName="R1",
                                     createdDate="2020-01-02")],
                                organization_id=None, source="import") == (1, 0)
    assert registrations_upsert([row(registrarName="R2", nameServers="ns1.x.com|NS2.x.com.")],
                                organization_id=None, source="whois") == (0, 1)
    record = Registration.objects.get()
    assert record.registrar_name == "R2"
    assert record.registrant_email == "a@x.com"            # empty never erases
    assert record.created_date == dt.date(2020, 1, 2)
    assert record.name_server_list == ["ns1.x.com", "ns2.x.com"]
    assert record.source == "import,whois"
    version = RegistrationVersion.objects.get()
    assert version.values["registrar_name"] == "R1" and version.source == "import"


def test_unchanged_batch_writes_no_history():
    registrations_upsert([row(registrarName="R1")], organization_id=None, source="import")
    registrations_upsert([row(registrarName="R1")], organization_id=None, source="import")
    assert not RegistrationVersion.objects.exists()
    assert Registration.objects.get().source == "import"


def test_same_domain_twice_in_a_batch_merges():
    inserted, updated = registrations_upsert(
        [row(registrarName="R1", registrantCity="Oslo"), row(registrarName="R2")],
        organization_id=None, source="import")
    assert (inserted, updated) == (1, 0)
    record = Registration.objects.get()
    assert (record.registrar_name, record.registrant_city) == ("R2", "Oslo")


def test_visibility_per_organization(org, other_org):
    registrations_upsert([row(domain="public.com")], organization_id=None, source="import")
    registrations_upsert([row(domain="mine.com")], organization_id=org.pk, source="whois")
    registrations_upsert([row(domain="mine.com")], organization_id=other_org.pk, source="whois")
    seen = Registration.objects.visible_to(org.pk).values_list("domain", "organization_id")
    assert sorted(seen) == [("mine.com", org.pk), ("public.com", None)]


def test_recorder_buffers_whois_and_rdap_and_merges_them(org):
    from jobs.net.whois import WhoisResult

    recorder = RegistrationRecorder(org.pk)
    recorder(WhoisResult(query="example.com", server="w", servers=["w"], found=True,
                         raw="Registrant Phone: +1.5550100\nRegistrant City: Paris\n",
                         fields={"registrar": "Reg Inc", "registrantName": "REDACTED FOR PRIVACY",
                                 "registrantEmail": "x@domainsbyproxy.com",
                                 "nameServers": ["ns1.example.net"], "statuses": ["ok"],
                                 "creationDate": "2001-02-03T00:00:00Z"}))
    recorder.rdap({"ldhName": "EXAMPLE.COM", "status": ["client transfer prohibited"],
                   "entities": [{"roles": ["registrant"], "vcardArray": ["vcard", [
                       ["fn", {}, "text", "Jane Doe"], ["org", {}, "text", "Acme"]]]}]})
    assert not Registration.objects.exists()   # nothing written before the job ends
    assert recorder.save() == 2
    record = Registration.objects.get()
    assert record.organization_id == org.pk
    assert (record.registrant_name, record.registrant_company) == ("Jane Doe", "Acme")
    assert record.registrant_email == "x@domainsbyproxy.com" and record.email_proxy
    assert (record.registrant_phone, record.registrant_city) == ("+1.5550100", "Paris")
    assert record.created_date == dt.date(2001, 2, 3)
    assert record.source == "rdap,whois"


@pytest.mark.parametrize("marker", ["REDACTED FOR PRIVACY", "Data Protected", "Not Disclosed",
                                    "Redacted for GDPR", "Statutory Masking Enabled", "N/A"])
def test_redaction_markers_become_empty(marker):
    record = row(registrantName=marker, registrantCompany=marker, registrantEmail=marker)
    assert record["registrant_name"] == record["registrant_company"] == ""
    assert record["registrant_email"] == ""


def test_bad_domain_and_date_are_rejected():
    with pytest.raises(normalize.Rejected, match="not a domain"):
        row(domain="not a domain")
    with pytest.raises(normalize.Rejected, match="not a date"):
        row(createdDate="2020-13-45")


def _staged(domain, **values):
    from jobs.registrations.models import TRACKED

    found = normalize.record({"domain": domain, **values})
    return tuple(found[c].isoformat() if isinstance(found[c], dt.date) else found[c]
                 for c in TRACKED)


def test_a_batch_expected_new_with_a_stored_domain_goes_the_staged_way():
    from jobs.registrations.store import registrations_upsert_rows

    registrations_upsert([row(registrantName="Old Name")], organization_id=None,
                         source="import")
    batch = [_staged("new1.com"), _staged("example.com", registrantName="New Name"),
             _staged("new2.com")]
    assert registrations_upsert_rows(batch, organization_id=None, source="import",
                                     expect_new=True) == (2, 1)
    assert Registration.objects.count() == 3
    assert Registration.objects.get(domain="example.com").registrant_name == "New Name"
    assert RegistrationVersion.objects.get().values["registrant_name"] == "Old Name"
    fresh = [_staged("new3.com", createdDate="2020-01-02"), _staged("new4.com")]
    assert registrations_upsert_rows(fresh, organization_id=None, source="import",
                                     expect_new=True) == (2, 0)
    record = Registration.objects.get(domain="new3.com")
    assert (record.source, str(record.created_date), record.organization_id) == (
        "import", "2020-01-02", None)
    assert record.first_seen == record.last_seen


def test_inserted_as_it_is_or_staged_a_record_reads_back_the_same():
    from django.utils import timezone

    from jobs.registrations.store import registrations_upsert_rows

    now = timezone.now()
    for domain, expect_new in [("direct.com", True), ("staged.com", False)]:
        registrations_upsert_rows([_staged(domain, createdDate="2020-01-02",
                                           registrantEmail="a@withheldforprivacy.com")],
                                  organization_id=None, source="import", now=now,
                                  expect_new=expect_new)
    direct, staged = (Registration.objects.get(domain=d) for d in ("direct.com", "staged.com"))
    for field in ("first_seen", "last_seen", "created_date", "email_proxy", "source",
                  "registrant_email", "tld"):
        assert getattr(direct, field) == getattr(staged, field), field
    assert direct.first_seen == now and direct.email_proxy is True


def test_recorder_merges_a_registry_and_its_registrars_rdap_answers(org):
    """A thin registry's answer first, the registrar's it links to second: one record."""
    recorder = RegistrationRecorder(org.pk)
    recorder.rdap({"ldhName": "example.com", "status": ["active"],
                   "events": [{"eventAction": "registration", "eventDate": "2001-02-03"}],
                   "entities": [{"roles": ["registrar"], "vcardArray": ["vcard", [
                       ["fn", {}, "text", "Reg Inc"]]]}]})
    recorder.rdap({"ldhName": "example.com", "status": ["client transfer prohibited"],
                   "entities": [
                       {"roles": ["registrar"], "vcardArray": ["vcard", [
                           ["fn", {}, "text", "Reg Inc (its own name)"]]]},
                       {"roles": ["registrant"], "vcardArray": ["vcard", [
                           ["fn", {}, "text", "Jane Doe"],
                           ["email", {}, "text", "x@domainsbyproxy.com"]]]}]})
    assert recorder.save() == 1
    record = Registration.objects.get()
    assert (record.registrar_name, record.registrant_name) == ("Reg Inc", "Jane Doe")
    assert record.created_date == dt.date(2001, 2, 3) and record.statuses == "|active|"
    assert record.registrant_email == "x@domainsbyproxy.com" and record.email_proxy
