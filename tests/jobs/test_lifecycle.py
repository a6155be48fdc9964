import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from jobs import housekeeping, lifecycle
from jobs.models import Job, JobStatus
from tests.factories import JobFactory


def claim(job, worker="w1", timeout=60):
    return lifecycle.job_claim(job_id=job.pk, worker=worker, timeout=timeout, job_type=job.type)


def status(job):
    return Job.objects.values_list("status", flat=True).get(pk=job.pk)


# --- allowed moves ------------------------------------------------------------------


def test_submit_creates_pending_job(org, django_capture_on_commit_callbacks):
    job, created = lifecycle.job_submit(organization=org, job_type="test_noop",
                                        params={"n": 1}, username="ci-key")
    assert created and job.status == JobStatus.PENDING
    assert job.expires_at is None and job.metadata == {}


def test_submitted_ids_are_time_ordered(org, django_capture_on_commit_callbacks):
    """UUIDv7: each new id sorts after the one before, so the primary key's index grows
    at one end; the saved ids read back in the order they were submitted."""
    jobs = [lifecycle.job_submit(organization=org, job_type="test_noop", params={"n": n})[0]
            for n in range(20)]
    assert {job.pk.version for job in jobs} == {7}
    assert list(Job.objects.order_by("pk").values_list("pk", flat=True)) == [
        job.pk for job in jobs]


def test_pending_to_processing(db):
    job = JobFactory(params={"n": 7})
    claimed = claim(job)
    assert claimed.status == JobStatus.PROCESSING and claimed.params == {"n": 7}
    job.refresh_from_db()
    assert job.worker == "w1" and job.attempts == 1
    assert job.started_at and job.heartbeat_at and job.deadline_at


@pytest.mark.parametrize("move,expected", [
    (lambda j: lifecycle.job_complete(job_id=j.pk, worker="w1", result={"ok": 1}),
     JobStatus.COMPLETED),
    (lambda j: lifecycle.job_fail(job_id=j.pk, worker="w1", code="X", message="m"),
     JobStatus.FAILED),
    (lambda j: lifecycle.job_cancel(job_id=j.pk, organization=j.organization),
     JobStatus.CANCELLED),
])
def test_processing_to_terminal(db, move, expected):
    job = JobFactory()
    claim(job)
    assert move(job)
    job.refresh_from_db()
    assert job.status == expected
    assert job.completed_at and job.expires_at > timezone.now() + timedelta(days=6)


def test_pending_to_cancelled(db):
    job = JobFactory()
    cancelled = lifecycle.job_cancel(job_id=job.pk, organization=job.organization)
    assert cancelled.status == JobStatus.CANCELLED
    assert cancelled.error_message == "Job was cancelled"
    assert claim(job) is None  # a cancelled pending job never runs


def test_complete_stores_result_and_full_progress(db):
    job = JobFactory()
    claim(job)
    lifecycle.job_report_progress(job_id=job.pk, worker="w1", current=2, total=5, message="x")
    lifecycle.job_complete(job_id=job.pk, worker="w1", result={"answer": 42})
    job.refresh_from_db()
    assert job.result == {"answer": 42}
    assert (job.progress_current, job.progress_total, job.progress_message) == (5, 5, "Done")


# --- refused moves ------------------------------------------------------------------


TERMINAL = [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED]


@pytest.mark.parametrize("state", TERMINAL)
def test_nothing_leaves_a_terminal_state(db, state):
    job = JobFactory(status=state, worker="w1")
    assert claim(job) is None
    assert not lifecycle.job_complete(job_id=job.pk, worker="w1", result={})
    assert not lifecycle.job_fail(job_id=job.pk, worker="w1", code="X", message="m")
    assert not lifecycle.job_report_progress(job_id=job.pk, worker="w1", current=1, total=1,
                                             message="m")
    with pytest.raises(lifecycle.JobAlreadyEnded):
        lifecycle.job_cancel(job_id=job.pk, organization=job.organization)
    assert status(job) == state


def test_pending_cannot_complete_or_fail(db):
    job = JobFactory()
    assert not lifecycle.job_complete(job_id=job.pk, worker="", result={})
    assert not lifecycle.job_fail(job_id=job.pk, worker="", code="X", message="m")
    assert status(job) == JobStatus.PENDING


def test_processing_cannot_be_claimed_again(db):
    job = JobFactory()
    claim(job, "w1")
    assert claim(job, "w2") is None


def test_an_entry_naming_another_type_claims_nothing(db):
    # Queue entries are not signed: one that names a job with the wrong type must not
    # run that job's parameters through another operation.
    job = JobFactory(type="test_noop")
    assert lifecycle.job_claim(job_id=job.pk, worker="w1", timeout=60,
                               job_type="test_fail") is None
    assert status(job) == JobStatus.PENDING
    claimed = lifecycle.job_claim(job_id=job.pk, worker="w1", timeout=60, job_type="test_noop")
    assert claimed is not None and status(job) == JobStatus.PROCESSING


def test_other_workers_cannot_move_my_job(db):
    job = JobFactory()
    claim(job, "w1")
    assert not lifecycle.job_complete(job_id=job.pk, worker="w2", result={})
    assert not lifecycle.job_report_progress(job_id=job.pk, worker="w2", current=1, total=2,
                                             message="m")
    assert status(job) == JobStatus.PROCESSING


def test_cancel_is_scoped_to_the_organization(db, other_org):
    job = JobFactory()
    with pytest.raises(lifecycle.JobNotFound):
        lifecycle.job_cancel(job_id=job.pk, organization=other_org)
    assert status(job) == JobStatus.PENDING


def test_progress_after_cancel_reports_false(db):
    job = JobFactory()
    claim(job)
    lifecycle.job_cancel(job_id=job.pk, organization=job.organization)
    assert not lifecycle.job_report_progress(job_id=job.pk, worker="w1", current=1, total=2,
                                             message="m")
    assert not lifecycle.job_complete(job_id=job.pk, worker="w1", result={})
    assert status(job) == JobStatus.CANCELLED


# --- races (real threads, real database connections) --------------------------------


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def runner(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the loser may raise; record it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_two_claims_racing_one_wins():
    for _ in range(5):
        job = JobFactory()
        results = _race(lambda: claim(job, "w1"), lambda: claim(job, "w2"))
        winners = [w for w, r in zip(("w1", "w2"), results, strict=True) if r is not None
                   and not isinstance(r, Exception)]
        assert len(winners) == 1
        assert Job.objects.get(pk=job.pk).worker == winners[0]


@pytest.mark.django_db(transaction=True)
def test_cancel_racing_completion_one_wins():
    for _ in range(5):
        job = JobFactory()
        claim(job)
        results = _race(
            lambda: lifecycle.job_complete(job_id=job.pk, worker="w1", result={"x": 1}),
            lambda: lifecycle.job_cancel(job_id=job.pk, organization=job.organization),
        )
        completed = results[0] is True
        cancelled = isinstance(results[1], Job)
        assert completed != cancelled
        assert status(job) == (JobStatus.COMPLETED if completed else JobStatus.CANCELLED)


# --- reaper and purge ---------------------------------------------------------------


def queued_args():
    """Arguments of every task waiting in the broker (ORM or Redis), taken off it."""
    from django_q.signing import SignedPackage

    from jobs.queue import broker as queue_broker

    broker, found = queue_broker(), []
    while broker.queue_size():
        for task_id, package in broker.dequeue() or []:
            found.append(tuple(SignedPackage.loads(package)["args"]))
            broker.acknowledge(task_id)
    return found


def _go_quiet(job, seconds=3600):
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=seconds))


def test_reaper_requeues_a_lost_job_once_then_fails_it(db, settings, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # queue it, don't run it here
    settings.JOB_MAX_ATTEMPTS = 2
    job = JobFactory()
    claim(job, "w1")
    _go_quiet(job)
    assert lifecycle.jobs_reap()["requeued"] == [str(job.pk)]
    job.refresh_from_db()
    assert job.status == JobStatus.PROCESSING and job.worker == ""
    assert (str(job.pk), job.type) in queued_args()
    # The old worker comes back: it can no longer write.
    assert not lifecycle.job_complete(job_id=job.pk, worker="w1", result={})
    # A new worker takes it, then goes quiet too: this time it fails.
    assert claim(job, "w2")
    assert Job.objects.get(pk=job.pk).attempts == 2
    _go_quiet(job)
    assert lifecycle.jobs_reap()["lost"] == [str(job.pk)]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "WORKER_LOST"


class Killed(BaseException):
    """A worker dying between two statements (BaseException: nothing catches it)."""


@pytest.mark.parametrize("move", ["claimed", "handed_back", "reaped"])
def test_a_move_and_its_event_commit_together(db, monkeypatch, move):
    # The soak killed workers between the two: an attempt counted with no "claimed"
    # event, and the job then failed WORKER_LOST after what its timeline showed as one.
    job = JobFactory()
    if move != "claimed":
        claim(job, "w1")
        _go_quiet(job)
    before = Job.objects.values("status", "worker", "attempts").get(pk=job.pk)
    events = list(job.events.values_list("type", flat=True))

    def die(job_id, kind, **data):
        raise Killed(kind)

    monkeypatch.setattr(lifecycle, "_event", die)
    if move == "claimed" and connection.vendor == "postgresql":
        # There the claim and its event are one statement: no point between to die at.
        assert claim(job, "w1")
        assert list(job.events.values_list("type", "data")) == [("claimed", {"worker": "w1"})]
        return
    with pytest.raises(Killed):
        if move == "claimed":
            claim(job, "w1")
        elif move == "handed_back":
            lifecycle.job_hand_back(job_id=job.pk, worker="w1", job_type=job.type)
        else:
            lifecycle.jobs_reap()
    assert Job.objects.values("status", "worker", "attempts").get(pk=job.pk) == before
    assert list(job.events.values_list("type", flat=True)) == events


def test_reaper_leaves_live_jobs_alone(db):
    job = JobFactory()
    claim(job)
    assert lifecycle.jobs_reap() == {"requeued": [], "lost": [], "timed_out": [],
                                     "resent": []}
    assert status(job) == JobStatus.PROCESSING


def test_reaper_times_out_jobs_past_their_deadline(db):
    job = JobFactory()
    claim(job, timeout=1)
    Job.objects.filter(pk=job.pk).update(deadline_at=timezone.now() - timedelta(minutes=5))
    assert lifecycle.jobs_reap()["timed_out"] == [str(job.pk)]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "TIMEOUT"


def test_reaper_resends_stale_pending_jobs_when_the_broker_is_elsewhere(db, settings):
    # Tests run tasks inline (sync), which is also a broker outside the database.
    settings.JOB_PENDING_RESEND_SECONDS = 60
    stale = JobFactory()
    fresh = JobFactory()
    Job.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    assert lifecycle.jobs_reap()["resent"] == [str(stale.pk)]
    assert status(stale) == JobStatus.COMPLETED  # ran inline
    assert status(fresh) == JobStatus.PENDING
    assert lifecycle.jobs_reap()["resent"] == []


def test_reaper_resends_a_released_job_whose_message_was_lost(db, settings):
    # Released by the reaper (PROCESSING, no worker), then the broker lost its message.
    settings.JOB_PENDING_RESEND_SECONDS = 60
    job = JobFactory()
    claim(job, timeout=60)
    Job.objects.filter(pk=job.pk).update(
        worker="", updated_at=timezone.now() - timedelta(minutes=5),
        heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert lifecycle.jobs_reap()["resent"] == [str(job.pk)]
    assert status(job) == JobStatus.COMPLETED  # ran inline


def test_reaper_does_not_resend_with_the_database_broker(db, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False, "orm": "default"}
    job = JobFactory()
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(days=1))
    assert lifecycle.jobs_reap()["resent"] == []


def test_purge_deletes_only_expired_jobs(db):
    old = JobFactory(status=JobStatus.COMPLETED,
                     expires_at=timezone.now() - timedelta(seconds=1))
    fresh = JobFactory(status=JobStatus.COMPLETED,
                       expires_at=timezone.now() + timedelta(days=1))
    running = JobFactory(status=JobStatus.PROCESSING)
    assert housekeeping.jobs_purge_expired() == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {fresh.pk, running.pk}
    assert not Job.objects.filter(pk=old.pk).exists()


# --- idempotency --------------------------------------------------------------------


def test_idempotency_key_returns_the_same_job(org):
    first, created = lifecycle.job_submit(organization=org, job_type="test_noop",
                                          params={"n": 1}, idempotency_key="k1")
    again, created_again = lifecycle.job_submit(organization=org, job_type="test_noop",
                                                params={"n": 1}, idempotency_key="k1")
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(lifecycle.IdempotencyConflict):
        lifecycle.job_submit(organization=org, job_type="test_noop", params={"n": 2},
                             idempotency_key="k1")
