"""The outbox: delivery rows written in the transaction of the job move that causes them.

``jobs.lifecycle`` calls ``job_moved`` inside the move's transaction. The rows commit
with the move or not at all; after commit a worker task sends them, and a scheduled
sweep sends whatever a dead process left behind. Nothing here does network I/O.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from jobs import queue
from jobs.push import notify
from jobs.push.models import (
    EVENT_FOR_STATUS,
    EVENT_PROGRESS,
    Delivery,
    DeliveryStatus,
    JobCallback,
    WebhookEndpoint,
)

RETRY_WINDOW = timedelta(hours=24)
SEND_DELIVERIES = "jobs.tasks.send_deliveries"


def job_moved(job_id, *, status: str | None = None, progress: bool = False, now=None) -> None:
    """Record what a move means for receivers. Call inside the move's transaction.

    ``status`` is the state entered (terminal states make deliveries); ``progress``
    marks a progress step (deliveries only to endpoints that opted in).
    """
    now = now or timezone.now()
    event = EVENT_FOR_STATUS.get(status or "") or (EVENT_PROGRESS if progress else None)
    ids = _record(job_id, event, now) if event else []
    transaction.on_commit(lambda: _after_commit(job_id, ids))


def _after_commit(job_id, ids: list[str]) -> None:
    notify.job_moved(job_id)
    if ids:
        queue.enqueue_task(SEND_DELIVERIES, ids)


def _record(job_id, event: str, now) -> list[str]:
    endpoints = list(WebhookEndpoint.objects.filter(
        organization__jobs__id=job_id, enabled=True, events__contains=event,
    ).values_list("pk", "organization_id", "url"))
    targets = [(pk, org, url) for pk, org, url in endpoints
               if event != EVENT_PROGRESS or not _progress_pending(job_id, pk)]
    if event != EVENT_PROGRESS:
        callback = (JobCallback.objects.filter(job_id=job_id)
                    .values_list("url", "job__organization_id").first())
        if callback:
            targets.append((None, callback[1], callback[0]))
    rows = [Delivery(organization_id=org, job_id=job_id, endpoint_id=endpoint, url=url,
                     event=event, next_attempt_at=now, retry_until=now + RETRY_WINDOW,
                     created_at=now)
            for endpoint, org, url in targets]
    Delivery.objects.bulk_create(rows)
    return [str(row.pk) for row in rows]


def _progress_pending(job_id, endpoint_id) -> bool:
    # Progress is coalesced: one untried progress delivery per endpoint and job is
    # enough, since its body is the job's progress when it is sent.
    return Delivery.objects.filter(job_id=job_id, endpoint_id=endpoint_id,
                                   event=EVENT_PROGRESS, status=DeliveryStatus.PENDING,
                                   attempts=0).exists()
