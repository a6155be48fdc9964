"""Sending webhook deliveries from the workers, with retries, and judging endpoints.

A try is a POST through the policy-enforcing HTTP client (the address connected to is
checked, redirects are not followed). 2xx delivers; a timeout, a connection failure,
5xx or 429 is tried again with exponential back-off and jitter (``Retry-After``
honoured) until the delivery's 24 h window closes; anything else fails at once. An
endpoint that has failed for 24 h is disabled and its organization told.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jobs import clients
from jobs.api import whisper
from jobs.models import Job
from jobs.net.errors import ClientError, TargetNotAllowed
from jobs.push import signing
from jobs.push.models import (
    CallbackSecret,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookEndpoint,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a try in flight; a crashed sender's delivery is due again after
FIRST_DELAY = 10.0  # seconds before the first retry; doubles each time
MAX_DELAY = 3600.0
ENDPOINT_FAILING_LIMIT = timedelta(hours=24)
EXCERPT = 500
SWEEP_BATCH = 200
USER_AGENT = "secops-jobs-webhooks/1"


@dataclass
class Outcome:
    status_code: int | None
    text: str
    excerpt: str = ""
    retry_after: float | None = None
    retryable: bool = False
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# --- entry points -------------------------------------------------------------------


def deliveries_send(ids: list[str], *, now: datetime | None = None, rng=random) -> int:
    """Try each delivery in ``ids`` that is due; returns how many were tried."""
    now = now or timezone.now()
    claimed = [d for d in (delivery_claim(i, now) for i in ids) if d is not None]
    if not claimed:
        return 0
    requests = [_request(delivery, now) for delivery in claimed]
    outcomes = asyncio.run(_post_all(requests))
    for delivery, outcome in zip(claimed, outcomes, strict=True):
        delivery_record(delivery, outcome, now=now, rng=rng)
    return len(claimed)


def deliveries_sweep(*, now: datetime | None = None, rng=random) -> int:
    """Send what is due: retries, and rows whose first send was lost with its process."""
    now = now or timezone.now()
    due = (Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
           .order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    return deliveries_send([str(pk) for pk in due], now=now, rng=rng)


def delivery_claim(delivery_id, now: datetime) -> Delivery | None:
    """Take a due delivery for one try (a lease: no other worker sends it meanwhile)."""
    due = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING,
                                  next_attempt_at__lte=now)
    if not due.update(next_attempt_at=now + LEASE):
        return None
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.endpoint is not None and not delivery.endpoint.enabled:
        _finish(delivery, DeliveryStatus.FAILED, now)
        _log_attempt(delivery, Outcome(None, "not sent: the endpoint is disabled"), now)
        return None
    if delivery.payload is None:
        delivery.payload = _payload(delivery)
        Delivery.objects.filter(pk=delivery.pk).update(payload=delivery.payload)
    return delivery


def delivery_resend(delivery: Delivery, *, now: datetime | None = None) -> None:
    """"Send again": due now, with a fresh 24 h window; sent by a worker after commit."""
    from jobs import queue
    from jobs.push.outbox import RETRY_WINDOW, SEND_DELIVERIES

    now = now or timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, retry_until=now + RETRY_WINDOW)
    transaction.on_commit(lambda: queue.enqueue_task(SEND_DELIVERIES, [str(delivery.pk)]))


# --- one try ------------------------------------------------------------------------


def _payload(delivery: Delivery) -> dict:
    job = Job.objects.get(pk=delivery.job_id)
    return {**whisper.job_summary(job), "statusUrl": whisper.status_url(job.pk)}


def _secrets(delivery: Delivery, now: datetime) -> list[str]:
    if delivery.endpoint is not None:
        return delivery.endpoint.active_secrets(now)
    holder, _ = CallbackSecret.objects.get_or_create(
        organization_id=delivery.organization_id, defaults={"secret": signing.secret_new()})
    return holder.active_secrets(now)


def _request(delivery: Delivery, now: datetime) -> tuple[str, bytes, dict[str, str]]:
    # Sorted keys: PostgreSQL's jsonb keeps no key order, and a delivery sent again must
    # be the same bytes it was the first time.
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    headers = signing.headers(_secrets(delivery, now), delivery.message_id, now, body)
    headers.update({"Content-Type": "application/json", "Accept": "*/*",
                    "webhook-event": delivery.event})
    return delivery.url, body.encode(), headers


async def _post_all(requests) -> list[Outcome]:
    return list(await asyncio.gather(*(post(*r) for r in requests)))


async def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """One POST; never raises."""
    client = clients.http(timeout=settings.WEBHOOK_TIMEOUT_SECONDS, max_body=EXCERPT * 4,
                          user_agent=USER_AGENT)
    started = time.monotonic()
    try:
        response = await client.fetch(url, method="POST", headers=headers, content=body,
                                      follow_redirects=False)
    except TargetNotAllowed as exc:
        outcome = Outcome(None, f"refused by the target policy: {exc}"[:300])
    except ClientError as exc:
        outcome = Outcome(None, str(exc)[:300], retryable=True)
    else:
        outcome = _judge(response.status, response.text[:EXCERPT],
                         response.header("retry-after"))
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def _judge(status: int, excerpt: str, retry_after: str | None) -> Outcome:
    if 200 <= status < 300:
        return Outcome(status, f"delivered (HTTP {status})", excerpt)
    retryable = status >= 500 or status == 429
    text = f"HTTP {status}"
    if 300 <= status < 400:
        text += " (redirects are not followed)"
    return Outcome(status, text, excerpt, retry_after=_retry_after(retry_after),
                   retryable=retryable)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds()) if when.tzinfo else None


# --- what a try means ----------------------------------------------------------------


def backoff(attempt: int, *, retry_after: float | None = None, rng=random) -> float:
    """Seconds before try ``attempt + 1``: exponential with jitter, at least Retry-After."""
    ceiling = min(MAX_DELAY, FIRST_DELAY * 2 ** (attempt - 1))
    delay = rng.uniform(ceiling / 2, ceiling)
    return max(delay, retry_after or 0.0)


def delivery_record(delivery: Delivery, outcome: Outcome, *, now: datetime, rng=random) -> None:
    attempt = delivery.attempts + 1
    next_at = None
    if outcome.retryable:
        candidate = now + timedelta(seconds=backoff(attempt, retry_after=outcome.retry_after,
                                                    rng=rng))
        next_at = candidate if candidate <= delivery.retry_until else None
    with transaction.atomic():
        _log_attempt(delivery, outcome, now, will_retry=next_at is not None)
        if outcome.ok:
            _finish(delivery, DeliveryStatus.DELIVERED, now, attempts=attempt, delivered_at=now)
        elif next_at is not None:
            Delivery.objects.filter(pk=delivery.pk).update(
                attempts=attempt, last_attempt_at=now, next_attempt_at=next_at)
        else:
            _finish(delivery, DeliveryStatus.FAILED, now, attempts=attempt)
        if delivery.endpoint_id:
            endpoint_judge(delivery.endpoint_id, ok=outcome.ok, now=now)


def _finish(delivery: Delivery, status: str, now: datetime, **fields) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, next_attempt_at=None, last_attempt_at=now, **fields)


def _log_attempt(delivery: Delivery, outcome: Outcome, now: datetime, *,
                 will_retry: bool = False) -> None:
    DeliveryAttempt.objects.create(
        delivery=delivery, at=now, duration_ms=outcome.duration_ms,
        status_code=outcome.status_code, outcome=outcome.text[:300],
        response_excerpt=outcome.excerpt[:EXCERPT], will_retry=will_retry)


def endpoint_judge(endpoint_id, *, ok: bool, now: datetime) -> None:
    """A success clears the failing clock; 24 h of failures disables the endpoint."""
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint_id)
    if ok:
        endpoints.exclude(failing_since=None).update(failing_since=None)
        return
    endpoints.filter(failing_since=None).update(failing_since=now)
    disabled = endpoints.filter(enabled=True,
                                failing_since__lte=now - ENDPOINT_FAILING_LIMIT).update(
        enabled=False, disabled_at=now,
        disabled_reason="Every delivery failed for 24 hours, so it was turned off.")
    if disabled:
        log.warning("webhook endpoint %s disabled after failing for 24 h", endpoint_id)
        Delivery.objects.filter(Q(endpoint_id=endpoint_id),
                                status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None)
