"""The /v1 JSON views: authenticate, read input, call one service, answer."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from jobs import lifecycle
from jobs.api import deepidv, formats, push, whisper
from jobs.api.auth import (
    INVALID_KEY,
    caller_and_job,
    caller_from_row,
    request_caller,
    require_api_key,
    required_key,
)
from jobs.api.decorators import allow_methods
from jobs.api.errors import ApiError
from jobs.api.inputs import list_query, read_json_object
from jobs.api.ratelimit import bucket_suffix, check_rate, rate_charge, rate_states
from jobs.models import TERMINAL_STATES, Job, hash_key
from jobs.submission import (
    Submission,
    SubmissionInvalid,
    submission_read,
    submission_start,
    submission_start_with_key,
    submits_with_key,
)

POLL_SECONDS = {"PENDING": 2, "PROCESSING": 2}


def _job_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def _with_retry_after(response: JsonResponse, status: str) -> JsonResponse:
    if status not in TERMINAL_STATES:
        response["Retry-After"] = str(POLL_SECONDS.get(status, 2))
    return response


# --- submit -------------------------------------------------------------------------


def submit_view(job_type: str, category: str):
    """The POST view for one operation endpoint."""

    @allow_methods("POST")
    def submit(request):
        now = time.time()
        raw_key = required_key(request)
        idempotency_key = request.META.get("HTTP_IDEMPOTENCY_KEY") or None
        submission = _submission(request, job_type)
        if submits_with_key(submission, idempotency_key):
            job = _start_with_key(request, raw_key, submission, category, now)
        else:
            # The key and where it stands in this category's rate bucket, in one query.
            caller = request_caller(request, bucket_suffix=bucket_suffix(category, now))
            try:
                job, _created = submission_start(
                    submission, organization=caller.organization,
                    api_key_id=caller.key_id, username=caller.name, source="api",
                    idempotency_key=idempotency_key,
                    charge=rate_charge(caller.key_id, category, request, now=now,
                                       used_before=caller.rate_used),
                )
            except lifecycle.IdempotencyConflict:
                raise ApiError(409, "This Idempotency-Key was used with a different "
                                    "request body in the last 24 hours.") from None
        body = whisper.submitted(job)
        response = JsonResponse(body, status=202)
        response["Location"] = body["statusUrl"]
        response["Retry-After"] = str(POLL_SECONDS["PENDING"])
        return response

    submit.job_type = job_type
    return submit


def _submission(request, job_type: str) -> Submission:
    """The request's body, valid for ``job_type``. Read before the key: a bad key still
    answers 401 before a bad body's 4xx."""
    try:
        return submission_read(job_type, read_json_object(request))
    except SubmissionInvalid as exc:
        request_caller(request)
        raise ApiError(400, exc.message, error=exc.error, details=exc.details) from None
    except (ApiError, RequestDataTooBig):
        request_caller(request)
        raise


def _start_with_key(request, raw_key: str, submission: Submission, category: str,
                    now: float) -> Job:
    """The key, its rate count and the job in one statement (PostgreSQL)."""
    charge = rate_charge(None, category, request, now=now)
    found = submission_start_with_key(submission, hashed_key=hash_key(raw_key),
                                      source="api", charge=charge)
    if found is None:
        raise ApiError(401, INVALID_KEY)
    key, job = found
    request.caller = caller_from_row(key)
    if charge is not None:
        charge = charge.for_key(key.key_id)
        if not key.saved:
            charge.refused()
        charge.settle(key.count)
    return job


# --- Whisper dialect ----------------------------------------------------------------


@allow_methods("GET")
def job_detail(request, job_id: str):
    # The hottest path: key and job come back from one indexed query.
    found = caller_and_job(required_key(request), _job_id(job_id))
    if found is None:
        raise ApiError(401, INVALID_KEY)
    caller, job = found
    check_rate(caller.key_id, "reads", request)
    if job is None:
        raise ApiError(404, "No job with this id.")
    if "wait" in request.GET:
        job = push.job_long_poll(job, push.wait_seconds(request.GET["wait"]))
    return _with_retry_after(JsonResponse(whisper.job_object(job)), job.status)


@allow_methods("GET")
@require_api_key
def job_list(request):
    check_rate(request.caller.key_id, "reads", request)
    query = list_query(request)
    jobs = Job.objects.filter(organization_id=request.caller.organization_id)
    if query.status:
        jobs = jobs.filter(status=query.status)
    if query.type:
        jobs = jobs.filter(type=query.type)
    page = jobs.defer("params", "result", "metadata")[query.offset:query.offset + query.limit]
    return JsonResponse({
        "jobs": [whisper.job_summary(job) for job in page],
        "total": jobs.count(),
        "limit": query.limit,
        "offset": query.offset,
        "status": query.status,
    })


@allow_methods("POST")
@require_api_key
def job_cancel(request, job_id: str):
    check_rate(request.caller.key_id, "other", request)
    parsed = _job_id(job_id)
    if parsed is None:
        raise ApiError(404, "No job with this id.")
    try:
        job = lifecycle.job_cancel(job_id=parsed, organization=request.caller.organization,
                                   by=request.caller.name)
    except lifecycle.JobNotFound:
        raise ApiError(404, "No job with this id.") from None
    except lifecycle.JobAlreadyEnded as exc:
        raise ApiError(409, f"The job already ended ({exc.job.status}); it cannot be "
                            "cancelled.") from None
    return JsonResponse(whisper.job_object(job))


# --- deepidv dialect ----------------------------------------------------------------


@allow_methods("GET")
def async_job_detail(request, job_id: str):
    # deepidv's rules: no key 403, bad key 401, malformed id 400, another org's job 403.
    raw = required_key(request, status_if_missing=403)
    parsed = _job_id(job_id)
    found = caller_and_job(raw, parsed)
    if found is None:
        raise ApiError(401, INVALID_KEY)
    caller, job = found
    check_rate(caller.key_id, "reads", request)
    if parsed is None:
        raise ApiError(400, "jobId is not a well-formed UUID.",
                       details={"jobId": ["not a UUID"]})
    if job is None:
        if Job.objects.filter(pk=parsed).exists():
            raise ApiError(403, "This job belongs to another organization.")
        raise ApiError(404, "No job with this id.")
    return _with_retry_after(JsonResponse(deepidv.job_object(job)), job.status)


@allow_methods("GET")
@require_api_key
def job_events(request, job_id: str):
    check_rate(request.caller.key_id, "reads", request)
    parsed = _job_id(job_id)
    job = Job.objects.filter(organization_id=request.caller.organization_id, pk=parsed).first() \
        if parsed else None
    if job is None:
        raise ApiError(404, "No job with this id.")
    return JsonResponse(whisper.timeline(job, job.events.order_by("at", "pk")))


@allow_methods("GET")
@require_api_key
def quotas(request):
    """This key's limits and what it has used of each, without counting the ask."""
    states = rate_states(request.caller.key_id)
    request.rate_state = next((s for s in states if s.category == "reads"), None)
    return JsonResponse({"quotas": [{
        "category": state.category, "limit": state.limit, "windowSeconds": state.window,
        "used": state.used, "remaining": state.remaining,
        "resetAt": formats.iso(datetime.fromtimestamp(state.reset_epoch, tz=UTC)),
    } for state in states]})


# --- everything else under /v1 ------------------------------------------------------


@csrf_exempt
def not_found(request, rest: str = ""):
    raise ApiError(404, f"No endpoint at {request.path}.")
