"""The bare baselines the benchmarks compare against.

Views: the least Django needs to read one row by key, or insert one row, and answer in
JSON. Tasks: what a bare django-q2 installation runs.
"""

from __future__ import annotations

import json
import time
import uuid

from django.db import connection, models
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from jobs.models import Job


class InsertedRow(models.Model):
    """The insert baseline's table: a rate counter's columns (a text key, a count, an
    indexed time) in a plain table of its own, so that it is an ordinary durable one
    (the project's counters are UNLOGGED on PostgreSQL) and ours' counters are not in
    it."""

    bucket = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        app_label = "bench"
        db_table = "bench_inserted_row"
        managed = False   # made by the benchmarks (``baseline_table_create``), not migrated

    def __str__(self):
        return self.bucket


def baseline_table_create() -> None:
    with connection.schema_editor() as editor:
        editor.create_model(InsertedRow)

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
    InsertedRow.objects.create(bucket=bucket, count=int(body.get("n", 0)),
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
