"""Fixed-window rate limits per API key and category, shared by every web process.

With Redis configured the counters live there (INCR); otherwise in the database, one
atomic UPSERT per request, so any number of web processes see the same counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection

from jobs.api.errors import ApiError
from jobs.models import RateCounter
from jobs.once import built_once

CATEGORIES = ("reads", "scans", "bulk", "screenshots", "other")


@dataclass(frozen=True)
class RateState:
    """Where one key stands in one category's current window."""

    category: str
    limit: int
    window: int
    used: int
    reset_epoch: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def reset_seconds(self, now: float | None = None) -> int:
        return max(0, int(self.reset_epoch - (now or time.time()) + 0.999))

    def headers(self) -> dict[str, str]:
        # The IETF httpapi draft's structured fields, and the common X- trio.
        reset = self.reset_seconds()
        return {
            "RateLimit-Policy": f'"{self.category}";q={self.limit};w={self.window}',
            "RateLimit": f'"{self.category}";r={self.remaining};t={reset}',
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(reset),
        }


def _limit_of(category: str) -> tuple[int, int] | None:
    limit = settings.RATE_LIMITS.get(category) or settings.RATE_LIMITS.get("other")
    return limit if limit and limit[0] > 0 else None


def check_rate(key_id: int, category: str, request=None) -> RateState | None:
    """Count one request; 429 past the limit. The state rides on ``request`` so the
    response gets the rate headers (``rate_headers_middleware``)."""
    limit = _limit_of(category)
    if limit is None:
        return None
    count, window = limit
    now = time.time()
    window_start = int(now // window) * window
    bucket = f"{key_id}:{category}:{window_start}"
    state = RateState(category, count, window, _incr(bucket, window_start + window),
                      window_start + window)
    if request is not None:
        request.rate_state = state
    if state.used > count:
        retry_after = max(1, state.reset_seconds(now))
        raise ApiError(429, f"Rate limit of {count} {category} requests per {window} s "
                            "reached for this key.",
                       headers={"Retry-After": str(retry_after), **state.headers()},
                       extra={"retryAfter": retry_after})
    return state


def rate_states(key_id: int) -> list[RateState]:
    """Every category's state for a key, without counting anything."""
    now = time.time()
    states = []
    for category in CATEGORIES:
        limit = _limit_of(category)
        if limit is None:
            continue
        count, window = limit
        window_start = int(now // window) * window
        used = _peek(f"{key_id}:{category}:{window_start}")
        states.append(RateState(category, count, window, used, window_start + window))
    return states


def _peek(bucket: str) -> int:
    if settings.REDIS_URL:
        value = _redis().get(f"rl:{settings.Q_CLUSTER['name']}:{bucket}")
        return int(value or 0)
    counter = RateCounter.objects.filter(bucket=bucket).values_list("count", flat=True).first()
    return counter or 0


def _incr(bucket: str, expires_epoch: int) -> int:
    if settings.REDIS_URL:
        name = f"rl:{settings.Q_CLUSTER['name']}:{bucket}"
        pipe = _redis().pipeline()
        pipe.incr(name)
        pipe.expireat(name, expires_epoch + 1)
        return int(pipe.execute()[0])
    table = RateCounter._meta.db_table
    expires = datetime.fromtimestamp(expires_epoch, tz=UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, count, expires_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (bucket) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [bucket, connection.ops.adapt_datetimefield_value(expires)],
        )
        return cursor.fetchone()[0]


@built_once
def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


def purge_counters() -> None:
    RateCounter.objects.filter(expires_at__lt=datetime.now(tz=UTC)).delete()
