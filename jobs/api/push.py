"""Being told instead of polling: ``?wait=N`` on a job read, and its event stream.

A long-poll holds its request until the job moves (status or progress) or N seconds
pass; the number held at once is bounded per process (429 past it). The stream
(``text/event-stream``) is an async view: an open stream costs a coroutine, not a
thread, under the ASGI server ``bin/start`` runs.
"""

from __future__ import annotations

import json
import uuid

from asgiref.sync import async_to_sync, sync_to_async
from django.db import close_old_connections
from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from jobs.api import whisper
from jobs.api.auth import INVALID_KEY, caller_and_job, required_key
from jobs.api.errors import ApiError
from jobs.api.ratelimit import check_rate
from jobs.models import TERMINAL_STATES
from jobs.push import watch

MAX_WAIT = 30
BUSY_RETRY_AFTER = "2"
KEEPALIVE_SECONDS = 15.0


def wait_seconds(raw: str) -> int:
    try:
        seconds = int(raw)
    except ValueError:
        seconds = 0
    if not 1 <= seconds <= MAX_WAIT:
        raise ApiError(400, f"wait: must be a whole number of seconds from 1 to {MAX_WAIT}.",
                       details={"wait": [f"an integer from 1 to {MAX_WAIT}"]})
    return seconds


def _busy(what: str) -> ApiError:
    return ApiError(429, f"Too many {what} are open on this server; try again shortly.",
                    headers={"Retry-After": BUSY_RETRY_AFTER})


def job_long_poll(job, seconds: int):
    """The job as soon as it moves after ``job`` was read, or as it is after ``seconds``."""
    if job.status in TERMINAL_STATES:
        return job
    if not watch.waiters.acquire():
        raise _busy("waiting requests")
    watch.release_pooled()
    try:
        moved = async_to_sync(watch.job_wait)(job.pk, job.updated_at, seconds)
    finally:
        watch.waiters.release()
    return _reread(job) if moved else job


def _reread(job):
    return _read(job.pk) or job


# --- the event stream ----------------------------------------------------------------


@csrf_exempt
async def job_stream(request, job_id: str):
    if request.method not in ("GET", "HEAD"):
        raise ApiError(405, f"{request.method} is not allowed here; use GET, HEAD.",
                       headers={"Allow": "GET, HEAD"})
    try:
        job = await sync_to_async(_authorized_job)(request, job_id)
    finally:
        # The stream may stay open for hours: its connection goes back to the pool now.
        await sync_to_async(watch.release_pooled)()
    last_seen = request.headers.get("Last-Event-ID", "")
    if job.status in TERMINAL_STATES and last_seen == _event_id(job):
        return HttpResponse(status=204)  # already saw the end: 204 stops reconnecting
    ticket = watch.streams.ticket()
    if ticket is None:
        raise _busy("event streams")
    response = StreamingHttpResponse(_events(job, last_seen, ticket),
                                     content_type="text/event-stream")
    # Released by whichever comes first: the stream's end or the response closing
    # (a client that goes away before the first event).
    response._resource_closers.append(ticket.release)
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def _authorized_job(request, job_id: str):
    try:
        parsed = uuid.UUID(job_id)
    except ValueError:
        parsed = None
    found = caller_and_job(required_key(request), parsed)
    if found is None:
        raise ApiError(401, INVALID_KEY)
    caller, job = found
    check_rate(caller.key_id, "reads")
    if job is None:
        raise ApiError(404, "No job with this id.")
    return job


def _event_id(job) -> str:
    return str(int(job.updated_at.timestamp() * 1_000_000))


def _event(name: str, data: dict, event_id: str) -> bytes:
    return (f"id: {event_id}\nevent: {name}\n"
            f"data: {json.dumps(data, separators=(',', ':'))}\n\n").encode()


def _read(job_id):
    close_old_connections()
    from jobs.models import Job

    try:
        return Job.objects.filter(pk=job_id).first()
    finally:
        watch.release_pooled()


async def _events(job, last_seen: str, ticket):
    """``status`` and ``progress`` as they change, then ``result``; resumes after the
    state a client saw last (its Last-Event-ID) without repeating it."""
    try:
        yield b"retry: 2000\n\n"
        sent_status, sent_progress = None, None
        if last_seen == _event_id(job):
            sent_status, sent_progress = job.status, _progress(job)
        while True:
            event_id = _event_id(job)
            if job.status != sent_status:
                sent_status = job.status
                yield _event("status", {"jobId": str(job.pk), "status": job.status}, event_id)
            if _progress(job) != sent_progress:
                sent_progress = _progress(job)
                yield _event("progress", whisper.progress(job), event_id)
            if job.status in TERMINAL_STATES:
                yield _event("result", whisper.job_object(job), event_id)
                return
            moved = await watch.job_wait(job.pk, job.updated_at, KEEPALIVE_SECONDS)
            if not moved:
                yield b": keep-alive\n\n"
                continue
            fresh = await sync_to_async(_read, thread_sensitive=False)(job.pk)
            if fresh is None:
                return  # purged while watched
            job = fresh
    finally:
        ticket.release()


def _progress(job) -> tuple:
    return (job.progress_current, job.progress_total, job.progress_message)
