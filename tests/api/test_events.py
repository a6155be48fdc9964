"""A job's timeline: every move kept as an event, served at /v1/ops/jobs/{id}/events
and drawn on the job's page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import lifecycle, runner
from jobs.models import Job
from tests.factories import JobFactory


def types(api, job):
    body = api.get(f"/v1/ops/jobs/{job.pk}/events").json()
    return [e["type"] for e in body["events"]], body


def test_a_run_is_submitted_claimed_sampled_and_completed(api, org, settings):
    settings.TIMELINE_PROGRESS_SECONDS = 3600  # only the first and last steps are kept
    job = JobFactory(organization=org, type="test_sleep", username="ci-key",
                     params={"seconds": 0, "steps": 5})
    runner.job_run(job_id=job.pk, job_type=job.type)
    kinds, body = types(api, job)
    assert kinds == ["submitted", "claimed", "progress", "progress", "completed"]
    submitted, claimed, first, last, _ = body["events"]
    assert submitted["by"] == "ci-key" and claimed["attempt"] == 1 and claimed["worker"]
    assert (first["current"], last["current"], last["total"]) == (0, 5, 5)
    assert all(e["at"].endswith("Z") for e in body["events"])


def test_a_lost_worker_is_reaped_retried_then_failed(api, org, settings, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    settings.JOB_MAX_ATTEMPTS = 2
    job = JobFactory(organization=org)
    for worker in ("w1", "w2"):
        lifecycle.job_claim(job_id=job.pk, worker=worker, timeout=60, job_type=job.type)
        Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
        lifecycle.jobs_reap()
    kinds, body = types(api, job)
    assert kinds == ["submitted", "claimed", "reaped", "retried", "claimed", "reaped", "failed"]
    assert body["events"][2] == {**body["events"][2], "reason": "worker went quiet",
                                 "attempt": 1}
    assert body["events"][4]["attempt"] == 2 and body["events"][-1]["code"] == "WORKER_LOST"


def test_a_cancel_names_who_asked(api, org):
    job = JobFactory(organization=org)
    assert api.post(f"/v1/ops/jobs/{job.pk}/cancel").status_code == 200
    kinds, body = types(api, job)
    assert kinds == ["submitted", "cancel_requested", "cancelled"]
    assert body["events"][1]["by"] == "ci-key"


@pytest.mark.parametrize("job_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_ids_are_404(api, job_id):
    assert api.get(f"/v1/ops/jobs/{job_id}/events").status_code == 404


def test_another_organizations_job_is_404(api, other_org):
    job = JobFactory(organization=other_org)
    assert api.get(f"/v1/ops/jobs/{job.pk}/events").status_code == 404


def test_a_job_handed_back_keeps_its_attempt(api, org, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    job = JobFactory(organization=org)
    lifecycle.job_claim(job_id=job.pk, worker="w1", timeout=60, job_type=job.type)
    assert lifecycle.job_hand_back(job_id=job.pk, worker="w1", job_type=job.type)
    lifecycle.job_claim(job_id=job.pk, worker="w2", timeout=60, job_type=job.type)
    kinds, body = types(api, job)
    assert kinds == ["submitted", "claimed", "handed_back", "claimed"]
    assert [e.get("attempt") for e in body["events"] if e["type"] == "claimed"] == [1, 1]
    assert body["events"][2]["worker"] == "w1"
