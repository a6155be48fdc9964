"""The outbox: delivery rows written in the transaction of the job move that causes them.

``jobs.lifecycle`` calls ``job_moved`` inside the move's transaction. The rows commit
with the move or not at all; after commit a worker task sends them, and a scheduled
sweep sends whatever a dead process left behind. Nothing here does network I/O.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
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
from jobs.records import JOB_TABLE, db_datetime, db_uuid

RETRY_WINDOW = timedelta(hours=24)
SEND_DELIVERIES = "jobs.tasks.send_deliveries"


def job_moved(job_id, *, status: str | None = None, progress: bool = False, now=None) -> None:
    """Record what a move means for receivers. Call inside the move's transaction.

    ``status`` is the state entered (terminal states make deliveries); ``progress``
    marks a progress step (deliveries only to endpoints that opted in).
    """
    now = now or timezone.now()
    event = EVENT_FOR_STATUS.get(status or "") or (EVENT_PROGRESS if progress else None)
    recorded(job_id, _record(job_id, event, now) if event else [])


def recorded(job_id, delivery_ids: list[str]) -> None:
    """After the move's commit: wake its waiters and send its deliveries. ``job_moved``
    calls it; a move whose statement wrote its deliveries itself (``deliveries_cte``)
    calls it with their ids."""
    transaction.on_commit(lambda: _after_commit(job_id, delivery_ids))


def _after_commit(job_id, ids: list[str]) -> None:
    notify.job_moved(job_id)
    if ids:
        queue.enqueue_task(SEND_DELIVERIES, ids)


def _record(job_id, event: str, now) -> list[str]:
    targets = [(endpoint, org, url) for endpoint, org, url, events in _receivers(job_id, event)
               if endpoint is None or event in events.split(",")]
    if event == EVENT_PROGRESS:
        targets = [t for t in targets if not _progress_pending(job_id, t[0])]
    if not targets:
        return []
    rows = [Delivery(organization_id=org, job_id=job_id, endpoint_id=endpoint, url=url,
                     event=event, next_attempt_at=now, retry_until=now + RETRY_WINDOW,
                     created_at=now)
            for endpoint, org, url in targets]
    Delivery.objects.bulk_create(rows)
    return [str(row.pk) for row in rows]


def _receivers(job_id, event: str) -> list[tuple]:
    """(endpoint id, organization id, url, events) of the job's organization's enabled
    endpoints and, unless ``event`` is progress, (None, organization id, url, None) of
    the job's callback: one indexed statement, since every move of every job asks."""
    sql = _ENDPOINTS if event == EVENT_PROGRESS else f"{_ENDPOINTS} UNION ALL {_CALLBACK}"
    params = [db_uuid(job_id), True] + ([] if event == EVENT_PROGRESS else [db_uuid(job_id)])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_ENDPOINTS = (
    f"SELECT e.id, e.organization_id, e.url, e.events FROM {WebhookEndpoint._meta.db_table} e"
    f" JOIN {JOB_TABLE} j ON j.organization_id = e.organization_id"
    " WHERE j.id = %s AND e.enabled = %s"
)
_CALLBACK = (
    f"SELECT NULL, j.organization_id, c.url, NULL FROM {JobCallback._meta.db_table} c"
    f" JOIN {JOB_TABLE} j ON j.id = c.job_id WHERE c.job_id = %s"
)


def deliveries_cte(event: str, now) -> tuple[str, list]:
    """For PostgreSQL: ``sent AS (INSERT ...)``, a data-modifying CTE that records the
    deliveries of ``event`` (a terminal one) for the job of a CTE before it named
    ``moved`` (columns ``id``, ``organization_id``): the same receivers as ``_record``,
    chosen in the same statement as the move. ``sent`` returns their ids."""
    return _DELIVERIES_CTE, [event, DeliveryStatus.PENDING, db_datetime(now),
                             db_datetime(now), db_datetime(now + RETRY_WINDOW), True, event]


_DELIVERIES_CTE = (
    f"sent AS (INSERT INTO {Delivery._meta.db_table} (id, organization_id, job_id,"
    " endpoint_id, url, event, status, attempts, created_at, next_attempt_at, retry_until)"
    " SELECT gen_random_uuid(), moved.organization_id, moved.id, r.endpoint_id, r.url,"
    " %s, %s, 0, %s, %s, %s FROM moved CROSS JOIN LATERAL ("
    f"SELECT e.id AS endpoint_id, e.url FROM {WebhookEndpoint._meta.db_table} e"
    " WHERE e.organization_id = moved.organization_id AND e.enabled = %s"
    " AND %s = ANY(string_to_array(e.events, ','))"
    f" UNION ALL SELECT NULL, c.url FROM {JobCallback._meta.db_table} c"
    " WHERE c.job_id = moved.id) r RETURNING id)"
)


def _progress_pending(job_id, endpoint_id) -> bool:
    # Progress is coalesced: one untried progress delivery per endpoint and job is
    # enough, since its body is the job's progress when it is sent.
    return Delivery.objects.filter(job_id=job_id, endpoint_id=endpoint_id,
                                   event=EVENT_PROGRESS, status=DeliveryStatus.PENDING,
                                   attempts=0).exists()
