"""The bare baselines the benchmarks compare against.

Views: the least Django needs to read one row by key, or insert one row, and answer in
JSON. Tasks: what a bare django-q2 installation runs.
"""

from __future__ import annotations

import json
import time
import uuid

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from jobs.models import Job, RateCounter

# The same columns the job object in the API shows.
READ_FIELDS = (
    "id", "status", "type", "params", "progress_current", "progress_total",
    "progress_message", "result", "error_code", "error_message", "error_details",
    "error_at", "created_at", "updated_at", "completed_at", "metadata", "username",
)


@require_GET
def read_one(request, job_id: uuid.UUID):
    row = Job.objects.filter(pk=job_id).values(*READ_FIELDS).first()
    if row is None:
        return JsonResponse({"error": "not found"}, status=404)
    return JsonResponse(row)


@csrf_exempt
@require_POST
def insert_one(request):
    body = json.loads(request.body or b"{}")
    bucket = uuid.uuid4().hex
    RateCounter.objects.create(bucket=bucket, count=int(body.get("n", 0)),
                               expires_at=timezone.now())
    return JsonResponse({"id": bucket}, status=202)


@csrf_exempt
@require_POST
def floor(request):
    """The least a /v1 request costs: Django's handler, the /v1 middleware and a JSON
    answer, with no key, no validation and no database (``submit_floor.py``)."""
    json.loads(request.body or b"{}")
    return JsonResponse({"id": uuid.uuid4().hex}, status=202)


def noop(n: int = 0) -> int:
    """The bare django-q2 task for worker throughput."""
    return n


def dispatch_probe(enqueued_at: float) -> float:
    """Seconds from just before ``async_task()`` to the start of this function."""
    return time.time() - enqueued_at
