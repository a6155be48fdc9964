"""The observation store: every DNS answer a job receives, kept per organization."""

from datetime import timedelta

from jobs import runner
from jobs.models import JobStatus, Observation
from jobs.net.dns import DnsAnswer
from jobs.observations import ObservationReader, Recorder
from tests.factories import JobFactory


def answer(name, rtype, *records):
    return DnsAnswer(name, rtype, "NOERROR", list(records))


def test_recorded_facts_keep_their_first_sighting(org):
    first = Recorder(org.pk)
    first(answer("WWW.Acme.test.", "A", "192.0.2.1"))
    assert first.save() == 1
    earlier = Observation.objects.get()
    Observation.objects.update(first_seen=earlier.first_seen - timedelta(days=3),
                               last_seen=earlier.last_seen - timedelta(days=3))
    again = Recorder(org.pk)
    again(answer("www.acme.test", "A", "192.0.2.1"))
    again(answer("www.acme.test", "A", "192.0.2.2"))
    again.save()
    facts = {o.value: o for o in Observation.objects.filter(organization=org)}
    assert set(facts) == {"192.0.2.1", "192.0.2.2"}
    old = facts["192.0.2.1"]
    assert old.name == "www.acme.test"
    assert old.last_seen - old.first_seen > timedelta(days=2)  # first kept, last moved


def test_an_organization_never_sees_another_ones_lookups(org, other_org):
    for owner, name in ((org, "a.acme.test"), (other_org, "b.globex.test")):
        recorder = Recorder(owner.pk)
        recorder(answer(name, "A", "192.0.2.9"))
        recorder.save()
    assert ObservationReader(org.pk).names_with_value("192.0.2.9") == ["a.acme.test"]
    assert ObservationReader(other_org.pk).names_with_value("192.0.2.9") == ["b.globex.test"]
    seen = ObservationReader(org.pk).seen("192.0.2.9")
    assert seen is not None and seen.first_seen <= seen.last_seen
    assert ObservationReader(org.pk).seen("b.globex.test") is None


def test_a_job_records_what_its_dns_client_was_told(org, dns_zone):
    dns_zone.add("exmple.com", "A", "192.0.2.10")
    job = JobFactory(organization=org, type="similar_domains",
                     params={"domain": "example.com", "techniques": ["typosquatting"],
                             "options": {"resolve": True}})
    runner.job_run(job_id=job.pk, job_type=job.type)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert ObservationReader(org.pk).names_with_value("192.0.2.10") == ["exmple.com"]
