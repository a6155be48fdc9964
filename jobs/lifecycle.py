"""The job state machine: the only code that changes ``Job.status``.

Every move is one conditional UPDATE that names the states it may leave, so two
workers, or a worker and a cancel request, can never both win: the loser updates
zero rows. Moves made by a worker also name the worker's lease (``Job.worker``), so
a worker that was presumed lost cannot overwrite what its successor does.

    PENDING -> PROCESSING -> COMPLETED | FAILED | CANCELLED
    PENDING -> CANCELLED
    PROCESSING -> PENDING   (a stopping worker hands its job back)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from jobs import queue
from jobs.housekeeping import jobs_resend_stale_pending
from jobs.idempotency import (  # callers catch lifecycle.IdempotencyConflict
    IdempotencyConflict,
    idempotency_record,
    idempotent_job,
    request_fingerprint,
)
from jobs.models import (
    ACTIVE_STATES,
    Job,
    JobCallback,
    JobStatus,
    Organization,
)
from jobs.push import notify, outbox
from jobs.push.models import EVENT_COMPLETED
from jobs.records import (
    CLAIM_SQL,
    CLAIM_WITH_EVENT_SQL,
    COMPLETE_SQL,
    COMPLETE_WITH_EVENTS_SQL,
    RATE_REFUSED,
    JobRecord,
    KeyedSubmission,
    db_datetime,
    db_uuid,
    job_event_insert,
    job_insert_statement,
    job_new,
    job_record,
    job_submission_with_key,
    job_submission_write,
)

log = logging.getLogger(__name__)

CANCELLED_MESSAGE = "Job was cancelled"
# A job's organization before the statement that saves it finds its key's.
_NO_ORGANIZATION = Organization(pk=None)


class JobNotFound(Exception):
    pass


class JobAlreadyEnded(Exception):
    def __init__(self, job: Job):
        super().__init__(f"job {job.id} already ended as {job.status}")
        self.job = job


def _now():
    return timezone.now()


def _expiry(now):
    return now + timedelta(days=settings.JOB_RETENTION_DAYS)


# --- submit -------------------------------------------------------------------------


def job_submit(
    *,
    organization,
    job_type: str,
    params: dict[str, Any],
    target: str = "",
    api_key_id: int | None = None,
    user=None,
    username: str = "",
    metadata: dict[str, str] | None = None,
    idempotency_key: str | None = None,
    charge=None,
    callback_url: str = "",
) -> tuple[Job, bool]:
    """Save a PENDING job and queue it.

    Returns ``(job, created)``; ``created`` is False when ``idempotency_key`` named an
    earlier identical request, whose job is returned instead. ``charge`` (a
    ``jobs.api.ratelimit.RateCharge``) counts the request against its key's rate limit
    with the job: in the job's own statement on SQLite, else first inside the job's
    transaction when it has one; a refused request leaves nothing behind.
    ``callback_url`` is told when the job ends (see ``jobs.push``).

    The transaction is there when the job writes more than its own row: its queue
    row (database broker), idempotency record or callback. With the Redis broker a
    plain submit is one INSERT, atomic by itself, and its entry is pushed after it.
    """
    fingerprint = request_fingerprint(job_type, params) if idempotency_key else ""
    job = job_new(
        organization=organization, user=user, type=job_type, params=params,
        target=target[:512], api_key_id=api_key_id, username=username,
        metadata={k: str(v) for k, v in (metadata or {}).items()},
    )
    # Everything that needs no database is done before the transaction: on SQLite it
    # holds the one write lock that every web process and worker shares, so inside it
    # only prepared statements run.
    insert = job_insert_statement(job)
    entry = queue.run_job_entry(job.id, job_type) if queue.broker_shares_database() else None
    rate = charge.in_statement if charge is not None else None
    if (connection.vendor == "sqlite" and (charge is None or rate is not None)
            and not (idempotency_key or callback_url)):
        return _submit_in_one_statement(job, insert, entry, charge, rate), True
    together = entry is not None or bool(idempotency_key) or bool(callback_url)
    with transaction.atomic() if together else nullcontext():
        if charge is not None:
            charge.count()
        if idempotency_key:
            earlier = idempotent_job(organization, idempotency_key, fingerprint)
            if earlier is not None:
                return earlier, False
        with connection.cursor() as cursor:
            cursor.execute(*insert)
            job._state.adding = False
            if idempotency_key and not idempotency_record(job, idempotency_key, fingerprint):
                # A concurrent request with the same key got there first: answer with its
                # job and let this one roll back.
                transaction.set_rollback(True)
                earlier = idempotent_job(organization, idempotency_key, fingerprint)
                if earlier is None:
                    raise IdempotencyConflict(idempotency_key)
                return earlier, False
            if callback_url:
                JobCallback.objects.create(job_id=job.id, url=callback_url)
            if entry is not None:
                # The queue row commits with the job: both exist or neither does.
                cursor.execute(*entry)
            else:
                # At once outside a transaction; after the caller's, inside one.
                transaction.on_commit(lambda: _enqueue_submitted(job.id, job_type))
    return job, True


def submits_with_key() -> bool:
    """Whether ``job_submit_with_key`` may be used here: on PostgreSQL."""
    return connection.vendor == "postgresql"


def job_submit_with_key(*, hashed_key: str, job_type: str, params: dict[str, Any],
                        target: str = "", metadata: dict[str, str] | None = None,
                        charge=None) -> tuple[KeyedSubmission, Job] | None:
    """PostgreSQL: ``job_submit`` for the holder of an API key that is not read yet (its
    hash), as one statement that finds the key, counts ``charge`` (a ``RateCharge``
    without its key) and saves the PENDING job, with its queue row on the database
    broker; the Redis broker's entry is pushed after it. The job belongs to the key's
    organization, named by the key's name.

    Returns None for an unknown or revoked key, else the key's row (``.saved`` False:
    refused past the rate limit, nothing written) and the job. Without idempotency keys
    or callbacks, which need a transaction of several statements (``job_submit``).
    """
    job = job_new(organization=_NO_ORGANIZATION, type=job_type, params=params,
                  target=target[:512],
                  metadata={k: str(v) for k, v in (metadata or {}).items()})
    insert = job_insert_statement(job)
    entry = queue.run_job_entry(job.id, job_type) if queue.broker_shares_database() else None
    found = job_submission_with_key(hashed_key, insert, entry[1] if entry else None,
                                    charge.in_statement if charge is not None else None)
    if found is None:
        return None
    if found.saved:
        job.organization_id, job.api_key_id, job.username = (
            found.organization_id, found.key_id, found.name)
        job._state.fields_cache.clear()
        job._state.adding = False
        if entry is None:
            transaction.on_commit(lambda: _enqueue_submitted(job.id, job_type))
    return found, job


def _submit_in_one_statement(job: Job, insert, entry, charge, rate) -> Job:
    """SQLite: the rate count, the job and its queue row in one statement (the TEMP view
    of ``jobs.records``), so the file's one write lock is held for one call into SQLite.
    Between the statements of a transaction, a thread holding it waits for Python's GIL
    while every other writer, in this process or another, waits for the lock."""
    try:
        job_submission_write(insert, entry[1] if entry else None, rate)
    except IntegrityError as exc:
        if charge is not None and RATE_REFUSED in str(exc):
            charge.refused()
        raise
    job._state.adding = False
    if charge is not None:
        charge.counted()
    if entry is None:
        # At once outside a transaction; after the caller's, inside one.
        transaction.on_commit(lambda: _enqueue_submitted(job.id, job.type))
    return job


def enqueue(job_id, job_type: str) -> None:
    queue.enqueue_run_job(job_id, job_type)


def _enqueue_submitted(job_id, job_type: str) -> None:
    """Send a job's first queue entry (Redis broker), after the job committed. If the
    broker does not take it, the submit is taken back, the job while it still waits,
    before the error goes on (a 503): its client was not told of the job, and after its
    retry would find two."""
    try:
        queue.enqueue_run_job(job_id, job_type)
    except Exception:
        Job.objects.filter(pk=job_id, status=JobStatus.PENDING).delete()
        raise


# --- worker moves -------------------------------------------------------------------


def job_claim(*, job_id, worker: str, timeout: float, job_type: str) -> JobRecord | None:
    """PENDING -> PROCESSING for this worker; also takes back a job the reaper released.

    None means the job is not ours to run: it ran already, was cancelled, or another
    worker holds it (delivery is at-least-once, so repeats land here). One statement:
    the claim and the read of what to run cannot be told apart by another process.
    ``job_type``, the type its queue entry named, must be the job's own: the entries
    are not signed, and one that names the wrong type claims nothing.
    """
    now = _now()
    params = [
        JobStatus.PROCESSING, worker, db_datetime(now), db_datetime(now), db_datetime(now),
        db_datetime(now + timedelta(seconds=timeout)), db_uuid(job_id),
        JobStatus.PENDING, JobStatus.PROCESSING, job_type,
    ]
    # The move and its event commit together: a worker killed between two commits left
    # an attempt counted that no "claimed" event accounted for.
    if connection.vendor == "postgresql":
        # One statement, atomic by itself: one round trip instead of four.
        with connection.cursor() as cursor:
            cursor.execute(CLAIM_WITH_EVENT_SQL, [
                *params, db_datetime(now), json.dumps({"worker": worker})])
            row = cursor.fetchone()
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(CLAIM_SQL, params)
            row = cursor.fetchone()
            if row is not None:
                _event(job_id, "claimed", at=now, worker=worker)
    if row is None:
        return None
    transaction.on_commit(lambda: notify.job_moved(job_id))
    return job_record(row)


def _event(job_id, kind: str, *, at=None, **data) -> None:
    """One line of the job's timeline, written beside the move it records."""
    job_event_insert(job_id, kind, at or _now(), data)


def _mine(job_id, worker: str):
    return Job.objects.filter(pk=job_id, status=JobStatus.PROCESSING, worker=worker)


def job_report_progress(*, job_id, worker: str, current: int, total: int, message: str,
                        in_timeline: bool = False) -> bool:
    """Record progress; False means the job was cancelled or is no longer this worker's.

    ``in_timeline`` also keeps this step in the job's timeline (the runner samples).
    """
    now = _now()
    with transaction.atomic():
        moved = bool(_mine(job_id, worker).update(
            progress_current=max(0, current), progress_total=max(0, total),
            progress_message=message[:500], heartbeat_at=now, updated_at=now))
        if moved:
            outbox.job_moved(job_id, progress=True, now=now)
            if in_timeline:
                _event(job_id, "progress", at=now, current=current, total=total,
                       message=message[:200])
    return moved


def job_heartbeat(*, job_id, worker: str) -> bool:
    return bool(_mine(job_id, worker).update(heartbeat_at=_now()))


def job_is_active(*, job_id, worker: str) -> bool:
    return _mine(job_id, worker).exists()


def job_complete(*, job_id, worker: str, result: Any = None, encoded: str | None = None) -> bool:
    """Store the result (or its JSON text); ValueError or TypeError if it is not plain JSON."""
    if encoded is None:
        encoded = json.dumps(result, allow_nan=False)
    now = _now()
    params = [JobStatus.COMPLETED, encoded, db_datetime(now), db_datetime(now),
              db_datetime(_expiry(now)), db_uuid(job_id), JobStatus.PROCESSING, worker]
    if connection.vendor == "postgresql":
        # The move, its event and its webhook deliveries in one statement, atomic by
        # itself: one round trip instead of five.
        deliveries, delivery_params = outbox.deliveries_cte(EVENT_COMPLETED, now)
        with connection.cursor() as cursor:
            cursor.execute(COMPLETE_WITH_EVENTS_SQL.format(deliveries=deliveries), [
                *params, db_datetime(now), *delivery_params])
            moved, delivery_ids = cursor.fetchone()
        if moved:
            outbox.recorded(job_id, delivery_ids)
        return bool(moved)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(COMPLETE_SQL.format(json_param="%s"), params)
        if cursor.rowcount != 1:
            return False
        outbox.job_moved(job_id, status=JobStatus.COMPLETED, now=now)
        _event(job_id, "completed", at=now)
        return True


def job_fail(*, job_id, worker: str, code: str, message: str, details: str = "") -> bool:
    return bool(_fail(_mine(job_id, worker), job_id, code, message, details))


def _fail(queryset, job_id, code: str, message: str, details: str = "", *,
          reaped_attempt: int | None = None) -> int:
    """Fail job ``job_id`` if ``queryset`` (naming it) still matches, and record its
    webhook deliveries and timeline in the same commit."""
    now = _now()
    with transaction.atomic():
        updated = queryset.filter(pk=job_id).update(
            status=JobStatus.FAILED, error_code=code, error_message=message[:2000],
            error_details=details[:4000], error_at=now, completed_at=now, updated_at=now,
            expires_at=_expiry(now))
        if updated:
            outbox.job_moved(job_id, status=JobStatus.FAILED, now=now)
            if reaped_attempt is not None:
                _event(job_id, "reaped", at=now, reason="worker went quiet",
                       attempt=reaped_attempt)
            _event(job_id, "failed", at=now, code=code)
    return updated


def job_hand_back(*, job_id, worker: str, job_type: str) -> bool:
    """PROCESSING -> PENDING, queued again: a stopping worker gives its job back.

    The attempt is not counted: the job did not fail and its worker was not lost, it
    was asked to stop. False means the job was no longer this worker's (it completed,
    was cancelled, or was given to another worker meanwhile).
    """
    now = _now()
    with transaction.atomic():
        handed_back = _mine(job_id, worker).update(
            status=JobStatus.PENDING, worker="", attempts=Greatest(F("attempts") - 1, 0),
            heartbeat_at=None, updated_at=now,
            progress_message="Its worker was stopped; waiting for another one.")
        if handed_back:
            _event(job_id, "handed_back", at=now, worker=worker)
    if handed_back:
        enqueue(job_id, job_type)
    return bool(handed_back)


# --- user moves ---------------------------------------------------------------------


def job_cancel(*, job_id, organization, by: str = "") -> Job:
    """PENDING|PROCESSING -> CANCELLED. A running operation stops at its next step."""
    now = _now()
    jobs = Job.objects.for_org(organization).filter(pk=job_id)
    with transaction.atomic():
        updated = jobs.filter(status__in=ACTIVE_STATES).update(
            status=JobStatus.CANCELLED, error_code="CANCELLED", error_message=CANCELLED_MESSAGE,
            error_details="", error_at=now, completed_at=now, updated_at=now,
            expires_at=_expiry(now))
        if updated:
            outbox.job_moved(job_id, status=JobStatus.CANCELLED, now=now)
            _event(job_id, "cancel_requested", at=now, by=by)
            _event(job_id, "cancelled", at=now)
    job = jobs.first()
    if job is None:
        raise JobNotFound(job_id)
    if not updated:
        raise JobAlreadyEnded(job)
    return job


# --- housekeeping -------------------------------------------------------------------


def jobs_reap(*, now=None, dead_workers: Collection[str] = ()) -> dict[str, list[str]]:
    """Deal with jobs whose worker went quiet or died, or that ran past their deadline.

    A job is lost when its heartbeat is older than ``JOB_LOST_AFTER_SECONDS``, or at
    once when its worker is in ``dead_workers`` (worker tokens whose process the caller
    saw gone). A lost job is released for another worker once (``JOB_MAX_ATTEMPTS``),
    then failed with ``WORKER_LOST``. With a broker outside the database, jobs that waited
    too long are queued again (``jobs.housekeeping``). Returns the ids touched, by outcome.
    """
    now = now or _now()
    cutoff = now - timedelta(seconds=settings.JOB_LOST_AFTER_SECONDS)
    outcome: dict[str, list[str]] = {"requeued": [], "lost": [], "timed_out": [],
                                     "resent": []}
    if not queue.broker_shares_database():
        outcome["resent"] = jobs_resend_stale_pending(now)

    overdue = Job.objects.filter(status=JobStatus.PROCESSING,
                                 deadline_at__lt=now - timedelta(seconds=30))
    for job_id in overdue.values_list("pk", flat=True):
        if _fail(overdue, job_id, "TIMEOUT",
                 "The job ran past its time limit and was stopped."):
            outcome["timed_out"].append(str(job_id))

    silent = Q(heartbeat_at__lt=cutoff)
    if dead_workers:
        silent |= Q(worker__in=list(dead_workers))
    lost = Job.objects.filter(silent, status=JobStatus.PROCESSING).exclude(worker="")
    for job_id, job_type, attempts in lost.values_list("pk", "type", "attempts"):
        if attempts < settings.JOB_MAX_ATTEMPTS:
            with transaction.atomic():
                released = lost.filter(pk=job_id, attempts=attempts).update(
                    worker="", heartbeat_at=now, updated_at=now,
                    progress_message="The worker running this job was lost; queued again.")
                if released:
                    _event(job_id, "reaped", at=now, reason="worker went quiet",
                           attempt=attempts)
                    _event(job_id, "retried", at=now, attempt=attempts + 1)
            if released:
                outcome["requeued"].append(str(job_id))
                enqueue(job_id, job_type)
        elif _fail(lost, job_id, "WORKER_LOST",
                   "The worker running this job stopped responding.",
                   f"Tried {attempts} time(s).", reaped_attempt=attempts):
            outcome["lost"].append(str(job_id))
    for key, ids in outcome.items():
        if ids:
            log.warning("reaper: %s %s", key, ", ".join(ids))
    return outcome
