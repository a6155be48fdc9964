"""Runs one job in a worker: claim it, run its operation, store how it ended."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import socket
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

log = logging.getLogger(__name__)

SAFE_INTERNAL_MESSAGE = "The operation failed unexpectedly. The error was logged."


def worker_token() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def job_run(*, job_id, job_type: str) -> None:
    worker = worker_token()
    try:
        operation = get_operation(job_type)
    except UnknownOperation:
        if lifecycle.job_claim(job_id=job_id, worker=worker, timeout=60):
            lifecycle.job_fail(job_id=job_id, worker=worker, code="UNKNOWN_OPERATION",
                               message=f"No worker here knows how to run {job_type!r} jobs.")
        return
    job = lifecycle.job_claim(job_id=job_id, worker=worker, timeout=timeout_for(operation))
    if job is None:
        return  # ran already, cancelled, or another worker holds it
    heartbeats.add(job.pk, worker)
    try:
        _execute(job, operation, worker)
    finally:
        heartbeats.discard(job.pk)


def _execute(job, operation: OperationSpec, worker: str) -> None:
    recorder = Recorder(job.organization_id)
    registrations = RegistrationRecorder(job.organization_id)
    try:
        _run_and_store(job, operation, worker, recorder, registrations)
    finally:
        _save_learned(job, recorder, "DNS observations")
        _save_learned(job, registrations, "WHOIS registration records")


def _save_learned(job, recorder, what: str) -> None:
    try:
        recorder.save()
    except Exception:  # what the job learned is a bonus; its outcome is already stored
        log.exception("job %s: could not save its %s", job.pk, what)


def _run_and_store(job, operation: OperationSpec, worker: str, recorder: Recorder,
                   registrations: RegistrationRecorder) -> None:
    fail = partial(lifecycle.job_fail, job_id=job.pk, worker=worker)
    ctx = Context(
        job_id=str(job.pk), timeout=timeout_for(operation),
        report=lambda current, total, message: lifecycle.job_report_progress(
            job_id=job.pk, worker=worker, current=current, total=total, message=message),
        is_active=lambda: lifecycle.job_is_active(job_id=job.pk, worker=worker),
        recorder=recorder, observations=ObservationReader(job.organization_id),
        whois_recorder=registrations, organization_id=job.organization_id,
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
            result = result_document(operation, outcome)
            lifecycle.job_complete(job_id=job.pk, worker=worker, result=result)
        except (TypeError, ValueError) as exc:  # ValidationError is a ValueError
            _fail_internal(fail, f"job {job.pk} ({job.type}) returned a result that does not "
                                 f"match its schema or is not plain JSON: {exc}")


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


def result_document(operation: OperationSpec, outcome) -> dict:
    """The result as stored, checked against the operation's result model.

    A model instance is dumped whole. A dict is validated and stored with exactly the
    fields it had (``exclude_unset``), so validation never adds or renames a field.
    """
    if isinstance(outcome, operation.result):
        return outcome.model_dump(mode="json", by_alias=True)
    # Pydantic would quietly write NaN and infinities as null: refuse them instead.
    json.dumps(outcome, allow_nan=False)
    model = operation.result.model_validate(outcome)
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def _fail_internal(fail, what: str) -> None:
    reference = uuid.uuid4().hex[:12]
    log.exception("%s; reference %s", what, reference)
    fail(code="INTERNAL_ERROR", message=SAFE_INTERNAL_MESSAGE, details=f"Reference {reference}")


class Heartbeats:
    """Tells the database this process's running jobs are alive.

    One thread per process (started on first use, and again after a fork), with its
    own database connection, because an operation may block its thread for longer than
    the lost-worker threshold.
    """

    def __init__(self):
        self.jobs: dict = {}
        self.lock = threading.Lock()
        self.pid = None

    def add(self, job_id, worker: str) -> None:
        with self.lock:
            self.jobs[job_id] = worker
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
            for job_id, worker in running:
                try:
                    lifecycle.job_heartbeat(job_id=job_id, worker=worker)
                except Exception:
                    log.exception("heartbeat for job %s failed", job_id)
            if not running:
                connection.close()  # idle: don't hold a connection open


heartbeats = Heartbeats()
