"""A stopping worker hands its jobs back; the reaper takes back jobs of dead workers."""

import pytest
from django_q.conf import Conf

from jobs import lifecycle, runner
from jobs.models import Job, JobStatus
from jobs.operations import get_operation
from tests.factories import JobFactory
from tests.jobs.test_lifecycle import claim, queued_args


@pytest.fixture
def queued(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # queue jobs, don't run them here
    queued_args()  # a broker outside the database (Redis) may hold earlier tests' entries


@pytest.fixture
def stopping():
    runner.shutdown.requested.set()
    yield
    runner.shutdown.requested.clear()


def test_hand_back_returns_the_job_to_the_queue_uncounted(db, queued):
    job = JobFactory(type="test_noop", params={"n": 1})
    claim(job, "w1")
    assert lifecycle.job_hand_back(job_id=job.pk, worker="w1", job_type=job.type)
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.worker == "" and job.attempts == 0
    assert queued_args() == [(str(job.pk), "test_noop")]
    assert claim(job, "w2") and Job.objects.get(pk=job.pk).attempts == 1


def test_only_the_holder_hands_back_and_only_a_running_job(db, queued):
    job = JobFactory()
    claim(job, "w1")
    assert not lifecycle.job_hand_back(job_id=job.pk, worker="w2", job_type=job.type)
    lifecycle.job_complete(job_id=job.pk, worker="w1", result={})
    assert not lifecycle.job_hand_back(job_id=job.pk, worker="w1", job_type=job.type)
    assert Job.objects.get(pk=job.pk).status == JobStatus.COMPLETED
    assert queued_args() == []


def test_reaper_takes_back_jobs_of_dead_workers_at_once(db, queued):
    dead, alive = JobFactory(), JobFactory()
    claim(dead, "host/abc:11:x")
    claim(alive, "host/abc:12:y")
    # Both heartbeats are fresh: only the dead worker's job is released.
    outcome = lifecycle.jobs_reap(dead_workers=["host/abc:11:x"])
    assert outcome["requeued"] == [str(dead.pk)]
    assert Job.objects.get(pk=dead.pk).worker == ""
    assert Job.objects.get(pk=alive.pk).worker == "host/abc:12:y"


def test_a_stopping_worker_claims_nothing_and_queues_the_job_again(db, queued, stopping):
    job = JobFactory(type="test_noop", params={"n": 1})
    runner.job_run(job_id=job.pk, job_type="test_noop")
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.attempts == 0
    assert queued_args() == [(str(job.pk), "test_noop")]


def test_a_running_job_is_handed_back_at_its_next_step(db, queued):
    job = JobFactory(type="test_sleep", params={"seconds": 0.1, "steps": 2})
    record = claim(job, "w1")
    runner.shutdown.requested.set()
    try:
        runner._execute(record, get_operation("test_sleep"), "w1")
    finally:
        runner.shutdown.requested.clear()
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.attempts == 0 and job.result is None
    assert queued_args() == [(str(job.pk), "test_sleep")]
