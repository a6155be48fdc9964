"""Runs one job in a worker: claim it, run its operation, store how it ended."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection
from pydantic import ValidationError

from jobs import lifecycle
from jobs.observations import ObservationReader, Recorder
from jobs.operations import OperationSpec, UnknownOperation, get_operation, timeout_for
from jobs.operations.base import Context, JobAborted, OperationError
from jobs.registrations.store import RegistrationRecorder
from jobs.workers import worker_token

log = logging.getLogger(__name__)

SAFE_INTERNAL_MESSAGE = "The operation failed unexpectedly. The error was logged."


def job_run(*, job_id, job_type: str) -> None:
    if shutdown.requested.is_set():
        # This worker is stopping: the job goes back to the queue for another one.
        lifecycle.enqueue(job_id, job_type)
        return
    worker = worker_token()
    try:
        operation = get_operation(job_type)
    except UnknownOperation:
        if lifecycle.job_claim(job_id=job_id, worker=worker, timeout=60, job_type=job_type):
            lifecycle.job_fail(job_id=job_id, worker=worker, code="UNKNOWN_OPERATION",
                               message=f"No worker here knows how to run {job_type!r} jobs.")
        return
    # Registered before the claim, so a stop signal that lands during the claim finds
    # this process busy and lets the job reach a step instead of leaving it claimed.
    heartbeats.add(job_id, worker, job_type)
    try:
        job = lifecycle.job_claim(job_id=job_id, worker=worker, timeout=timeout_for(operation),
                                  job_type=job_type)
        if job is not None:  # None: ran already, cancelled, or another worker holds it
            _execute(job, operation, worker)
    finally:
        heartbeats.discard(job_id)


def _execute(job, operation: OperationSpec, worker: str) -> None:
    recorder = Recorder(job.organization_id)
    registrations = RegistrationRecorder(job.organization_id)
    try:
        _run_and_store(job, operation, worker, recorder, registrations)
    finally:
        _save_learned(job, recorder, "DNS observations")
        _save_learned(job, registrations, "WHOIS/RDAP registration records")


def _save_learned(job, recorder, what: str) -> None:
    try:
        recorder.save()
    except Exception:  # what the job learned is a bonus; its outcome is already stored
        log.exception("job %s: could not save its %s", job.pk, what)


def _run_and_store(job, operation: OperationSpec, worker: str, recorder: Recorder,
                   registrations: RegistrationRecorder) -> None:
    fail = partial(lifecycle.job_fail, job_id=job.pk, worker=worker)
    step = partial(_at_step, job, worker)
    sampler = TimelineSampler()
    ctx = Context(
        job_id=str(job.pk), timeout=timeout_for(operation),
        report=lambda current, total, message: step(lambda: lifecycle.job_report_progress(
            job_id=job.pk, worker=worker, current=current, total=total, message=message,
            in_timeline=sampler.keep(current, total))),
        is_active=lambda: step(lambda: lifecycle.job_is_active(job_id=job.pk, worker=worker)),
        recorder=recorder, observations=ObservationReader(job.organization_id),
        whois_recorder=registrations, rdap_recorder=registrations.rdap,
        organization_id=job.organization_id,
    )
    try:
        params = operation.params.model_validate(job.params)
        outcome = call_run(operation.run, params, ctx)
    except JobAborted:
        log.info("job %s stopped: cancelled or taken over", job.pk)
    except OperationError as exc:
        fail(code=exc.code, message=exc.message, details=exc.details)
    except ValidationError as exc:
        # Params were valid at submission; this means the schema changed since.
        fail(code="INVALID_PARAMS", message="The job's parameters are no longer valid.",
             details=str(exc.errors(include_url=False, include_context=False))[:2000])
    except Exception:
        _fail_internal(fail, f"job {job.pk} ({job.type}) crashed")
    else:
        try:
            encoded = result_document(operation, outcome)
            del outcome  # the text is all that is kept
            lifecycle.job_complete(job_id=job.pk, worker=worker, encoded=encoded)
        except (TypeError, ValueError) as exc:  # ValidationError is a ValueError
            _fail_internal(fail, f"job {job.pk} ({job.type}) returned a result that does not "
                                 f"match its schema or is not plain JSON: {exc}")


def _at_step(job, worker: str, write) -> bool:
    """At each progress step: hand the job back if this worker is stopping, else ``write``.

    False stops the operation (``JobAborted``), as for a cancelled job.
    """
    if shutdown.requested.is_set():
        if lifecycle.job_hand_back(job_id=job.pk, worker=worker, job_type=job.type):
            log.info("job %s handed back at a progress step: this worker is stopping", job.pk)
        return False
    return write()


def call_run(run, params, ctx):
    """Run an operation, sync or async: the runner owns the event loop.

    ``async_to_sync`` runs the loop in a thread of its own and brings the operation's
    database calls (``ctx.aprogress`` and the like) back to this thread, so a job uses
    the one connection its worker holds.
    """
    if not inspect.iscoroutinefunction(run):
        return run(params, ctx)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return async_to_sync(run)(params, ctx)
    # Called from inside an event loop (a sync caller in async code): a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(async_to_sync(run), params, ctx).result()


def result_document(operation: OperationSpec, outcome) -> str:
    """The result as stored (JSON text), checked against the operation's result model.

    A model instance is dumped whole. A dict is encoded once (NaN and infinities
    refused: pydantic would quietly write them as null), validated from that text and
    stored as it is, so validation never adds or renames a field, and a result of ten
    thousand items is not copied again on its way to the database.
    """
    if isinstance(outcome, operation.result):
        outcome = outcome.model_dump(mode="json", by_alias=True)
        return json.dumps(outcome, allow_nan=False)
    encoded = json.dumps(outcome, allow_nan=False)
    operation.result.model_validate_json(encoded)
    return encoded


def _fail_internal(fail, what: str) -> None:
    reference = uuid.uuid4().hex[:12]
    log.exception("%s; reference %s", what, reference)
    fail(code="INTERNAL_ERROR", message=SAFE_INTERNAL_MESSAGE, details=f"Reference {reference}")


class TimelineSampler:
    """Which progress steps of one run go into the job's timeline: the first, the last,
    and at most one every ``TIMELINE_PROGRESS_SECONDS`` between (a job may report
    thousands of steps; its timeline should stay readable)."""

    def __init__(self):
        self.last: float | None = None

    def keep(self, current: int, total: int) -> bool:
        now = time.monotonic()
        due = (self.last is None or (total and current >= total)
               or now - self.last >= settings.TIMELINE_PROGRESS_SECONDS)
        if due:
            self.last = now
        return bool(due)


class Heartbeats:
    """Tells the database this process's running jobs are alive.

    One thread per process (started on first use, and again after a fork), with its
    own database connection, because an operation may block its thread for longer than
    the lost-worker threshold.
    """

    def __init__(self):
        self.jobs: dict = {}  # job id -> (worker token, job type)
        self.lock = threading.Lock()
        self.pid = None

    def busy(self) -> bool:
        return bool(self.jobs)  # no lock: a signal handler asks, maybe while add() holds it

    def add(self, job_id, worker: str, job_type: str) -> None:
        with self.lock:
            self.jobs[job_id] = (worker, job_type)
            if self.pid != os.getpid():
                self.pid = os.getpid()
                threading.Thread(target=self._beat, name="job-heartbeat", daemon=True).start()

    def discard(self, job_id) -> None:
        with self.lock:
            self.jobs.pop(job_id, None)

    def _beat(self) -> None:
        while True:
            time.sleep(settings.JOB_HEARTBEAT_SECONDS)
            with self.lock:
                running = list(self.jobs.items())
            for job_id, (worker, _) in running:
                try:
                    lifecycle.job_heartbeat(job_id=job_id, worker=worker)
                except Exception:
                    log.exception("heartbeat for job %s failed", job_id)
            if not running:
                connection.close()  # idle: don't hold a connection open


heartbeats = Heartbeats()


class Shutdown:
    """A worker process told to stop (SIGTERM): it takes no new job, hands back its own.

    Idle, it leaves at once. Busy, its job gets ``JOB_STOP_GRACE_SECONDS`` to reach its
    next progress step, where it is handed back (``_at_step``); every job the process is
    given meanwhile goes straight back to the queue. When the grace is over a job still
    between steps is handed back from here and the process ends without waiting for it:
    its operation may be blocked where no exception reaches it.
    """

    def __init__(self):
        self.requested = threading.Event()

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self.on_signal)

    def on_signal(self, signum, frame) -> None:
        if not heartbeats.busy():
            # Raised in the main thread, so a read of the task queue is unwound cleanly
            # and its lock released; the worker loop ends with the exception.
            raise SystemExit(0)
        if not self.requested.is_set():
            self.requested.set()
            threading.Thread(target=self._after_grace, name="job-stop-grace",
                             daemon=True).start()

    def _after_grace(self) -> None:
        time.sleep(settings.JOB_STOP_GRACE_SECONDS)
        # Holding the lock keeps the main thread inside job_run: it cannot be inside
        # the worker loop's shared locks when the process ends.
        with heartbeats.lock:
            if heartbeats.jobs:
                for job_id, (worker, job_type) in heartbeats.jobs.items():
                    handed = lifecycle.job_hand_back(job_id=job_id, worker=worker,
                                                     job_type=job_type)
                    log.warning("job %s reached no progress step within %s s of the stop "
                                "signal; %s", job_id, settings.JOB_STOP_GRACE_SECONDS,
                                "handed back" if handed else "it had already ended")
                os._exit(0)
        # The job ended in time; a second signal finds the process idle and ends it.
        signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)


shutdown = Shutdown()
