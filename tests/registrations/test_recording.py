"""Every WHOIS answer a job receives lands in its organization's registration records."""

import pytest
from asgiref.sync import async_to_sync

from jobs.models import Job, JobStatus, Registration
from jobs.operations.base import make_test_context
from jobs.registrations.store import RegistrationRecorder
from jobs.runner import job_run
from tests.factories import JobFactory
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
