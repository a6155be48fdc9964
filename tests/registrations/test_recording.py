"""Every WHOIS and RDAP answer a job receives lands in its organization's registration
records, both for one domain merged into one record."""

import pytest
from asgiref.sync import async_to_sync

from jobs.models import Job, JobStatus, Registration, RegistrationVersion
from jobs.operations.base import make_test_context
from jobs.registrations.store import RegistrationRecorder
from jobs.runner import job_run
from tests.factories import JobFactory
from tests.servers.rdap_server import domain_object, rdap_site
from tests.servers.whois_server import whois_chain

pytestmark = pytest.mark.django_db


def test_context_whois_client_reports_to_the_recorder(dns_zone, whois_servers, settings, org):
    chain = whois_chain(whois_servers, "example.test")
    settings.WHOIS_SERVER = chain.root.server
    recorder = RegistrationRecorder(org.pk)
    client = make_test_context(whois_recorder=recorder).whois(timeout=5)
    async_to_sync(client.lookup)("example.test")
    assert len(recorder) == 1
    recorder.save()
    record = Registration.objects.get()
    assert (record.domain, record.organization_id, record.source) == ("example.test", org.pk,
                                                                       "whois")
    assert record.registrar_name == "Example Registrar, Inc."
    assert record.registrant_name == "Jane Doe"


def test_a_job_s_whois_answers_are_saved_for_its_organization(dns_zone, whois_servers,
                                                               settings, org, other_org):
    chain = whois_chain(whois_servers, "example.test")
    settings.WHOIS_SERVER = chain.root.server
    dns_zone.add("example.test", "A", "127.0.0.1")
    job = JobFactory(organization=org, type="infra_scan", target="example.test",
                     params={"domain": "example.test", "type": "whois"})
    job_run(job_id=job.pk, job_type=job.type)
    assert Job.objects.get(pk=job.pk).status == JobStatus.COMPLETED
    record = Registration.objects.get(domain="example.test")
    assert record.organization_id == org.pk
    assert not Registration.objects.visible_to(other_org.pk).exists()


def test_no_recorder_no_recording(dns_zone, whois_servers, settings):
    chain = whois_chain(whois_servers, "example.test")
    settings.WHOIS_SERVER = chain.root.server
    async_to_sync(make_test_context().whois(timeout=5).lookup)("example.test")
    assert not Registration.objects.exists()


# --- RDAP answers, and RDAP with WHOIS -------------------------------------------------------


def test_context_rdap_client_reports_to_the_recorder(dns_zone, http_servers, settings, org):
    server = http_servers.start(rdap_site({"example.test": domain_object("example.test")}))
    settings.RDAP_SERVER = server.url + "/rdap"
    recorder = RegistrationRecorder(org.pk)
    client = make_test_context(rdap_recorder=recorder.rdap).rdap(timeout=5)
    async_to_sync(client.domain)("example.test")
    recorder.save()
    record = Registration.objects.get()
    assert (record.domain, record.organization_id, record.source) == ("example.test", org.pk,
                                                                       "rdap")
    assert record.registrant_company == "Example Widgets Ltd"
    assert record.expiry_date.isoformat() == "2031-08-13"


def test_a_job_merges_rdap_and_whois_into_one_record_with_history(
        dns_zone, whois_servers, http_servers, settings, org, other_org):
    settings.WHOIS_SERVER = whois_chain(whois_servers, "example.test").root.server
    rdap = http_servers.start(rdap_site({"example.test": domain_object(
        "example.test", registrant="Jane Doe", email="hostmaster@example.test")}))
    settings.RDAP_SERVER = rdap.url + "/rdap/"
    dns_zone.add("example.test", "A", "127.0.0.1")
    job = JobFactory(organization=org, type="infra_scan", target="example.test",
                     params={"domain": "example.test", "type": "whois"})
    job_run(job_id=job.pk, job_type=job.type)
    assert Job.objects.get(pk=job.pk).status == JobStatus.COMPLETED
    assert [r.path for r in rdap.requests] == ["/rdap/domain/example.test"]

    record = Registration.objects.get(domain="example.test")
    assert record.organization_id == org.pk
    assert record.source == "rdap,whois"
    # RDAP's answer came first; WHOIS's values replaced the ones it disagreed with ...
    assert record.expiry_date.isoformat() == "2030-08-13"
    assert record.updated_date.isoformat() == "2024-08-14"
    # ... and what only RDAP knew stays.
    assert record.registrant_phone == "+44.2071234567"
    assert record.registrant_city == "London"
    version = RegistrationVersion.objects.get(registration=record)
    assert version.source == "rdap"
    assert version.values["expiry_date"] == "2031-08-13"
    assert not Registration.objects.visible_to(other_org.pk).exists()


def test_rdap_not_configured_still_records_whois(dns_zone, whois_servers, settings, org):
    settings.WHOIS_SERVER = whois_chain(whois_servers, "example.test").root.server
    settings.RDAP_SERVER = settings.RDAP_BOOTSTRAP_FILE = ""
    dns_zone.add("example.test", "A", "127.0.0.1")
    job = JobFactory(organization=org, type="infra_scan", target="example.test",
                     params={"domain": "example.test", "type": "whois"})
    job_run(job_id=job.pk, job_type=job.type)
    job = Job.objects.get(pk=job.pk)
    assert job.status == JobStatus.COMPLETED
    assert "RDAP is not configured" in job.result["modules"]["whois"]["rdap"]["error"]
    assert Registration.objects.get(domain="example.test").source == "whois"
