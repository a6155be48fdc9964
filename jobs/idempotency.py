"""Idempotency-Key: the same key and the same request within a day give the same job.

A key maps to the job its first request made (``IdempotencyRecord``, unique per
organization and key). The same key with a different request is a conflict. Records
older than ``IDEMPOTENCY_WINDOW`` no longer count and are purged with expired jobs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jobs.models import IdempotencyRecord, Job

IDEMPOTENCY_WINDOW = timedelta(hours=24)


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used in the window with a different request (the API's 409)."""


def request_fingerprint(job_type: str, params: dict[str, Any]) -> str:
    canonical = json.dumps([job_type, params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_job(organization, key: str, fingerprint: str) -> Job | None:
    """The job an earlier request with this key made, if it still counts."""
    record = (IdempotencyRecord.objects.select_related("job")
              .filter(organization=organization, key=key).first())
    if record is None:
        return None
    if record.created_at < timezone.now() - IDEMPOTENCY_WINDOW:
        record.delete()
        return None
    if record.request_hash != fingerprint:
        raise IdempotencyConflict(key)
    return record.job


def idempotency_record(job: Job, key: str, fingerprint: str) -> bool:
    """Ties the key to this job; False when a concurrent request took the key first."""
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(organization_id=job.organization_id, key=key,
                                             request_hash=fingerprint, job=job)
    except IntegrityError:
        return False
    return True


def idempotency_records_purge(now) -> None:
    IdempotencyRecord.objects.filter(created_at__lt=now - IDEMPOTENCY_WINDOW).delete()
