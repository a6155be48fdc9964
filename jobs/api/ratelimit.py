"""Fixed-window rate limits per API key and category, shared by every web process.

The counters live in the database (``RateCounter``; UNLOGGED on PostgreSQL, so counting
never waits for the WAL to reach the disk), one atomic UPSERT per request, so any number
of web processes see the same counts. A submit counts inside the statement that saves
its job (``jobs.records``), which a counter held elsewhere would cost a round trip.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection

from jobs.api.errors import ApiError
from jobs.models import RateCounter

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


@dataclass(frozen=True, slots=True)
class RateCharge:
    """One request to count against a key's limit in one category, in the current window.

    ``count()`` counts it on its own. A submit's statement counts it with the job
    instead (see ``in_statement``): on SQLite ``lifecycle.job_submit``'s, which then
    calls ``counted()``; on PostgreSQL ``lifecycle.job_submit_with_key``'s, which also
    finds the key, so the charge has no ``key_id`` until then (``for_key``).
    """

    key_id: int | None
    category: str
    limit: int
    window: int
    window_start: int
    request: Any = None
    # The bucket's count when the key was read (``bucket_suffix``), if it was.
    used_before: int | None = None

    @property
    def bucket(self) -> str:
        return f"{self.key_id}{self.bucket_suffix}"

    @property
    def bucket_suffix(self) -> str:
        """What follows the key's id in the bucket's name."""
        return f":{self.category}:{self.window_start}"

    @property
    def in_statement(self) -> tuple[str, Any, int]:
        """``(bucket, expires, limit)`` for a database statement to count this request
        in; the bucket is its suffix alone while the key is not known."""
        bucket = self.bucket_suffix if self.key_id is None else self.bucket
        return bucket, _db_epoch(self.window_start + self.window), self.limit

    def for_key(self, key_id: int) -> RateCharge:
        return replace(self, key_id=key_id)

    def count(self) -> RateState:
        return self.settle(_incr(self.bucket, self.window_start + self.window))

    def counted(self) -> RateState:
        """Settle after a statement counted this request (and was not refused): as the
        request after the count read with the key, when it was, which saves reading it
        again. Requests that other processes counted in between show in the next
        answer's headers; the limit itself is enforced by the statement."""
        if self.used_before is not None:
            return self.settle(self.used_before + 1)
        return self.settle(_peek(self.bucket))

    def settle(self, used: int) -> RateState:
        """The state after this request was counted as the ``used``-th: on ``request``
        for the response's headers, and 429 past the limit."""
        state = RateState(self.category, self.limit, self.window, used,
                          self.window_start + self.window)
        if self.request is not None:
            self.request.rate_state = state
        if used > self.limit:
            retry_after = max(1, state.reset_seconds())
            raise ApiError(429, f"Rate limit of {self.limit} {self.category} requests per "
                                f"{self.window} s reached for this key.",
                           headers={"Retry-After": str(retry_after), **state.headers()},
                           extra={"retryAfter": retry_after})
        return state

    def refused(self) -> None:
        """Raise the 429 of a statement that refused this request past the limit."""
        self.settle(self.limit + 1)


@functools.lru_cache(maxsize=16)
def _db_epoch(epoch: int):
    """A window's end as the database stores a datetime: the same for every request of
    the window, so worked out once."""
    return connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(epoch, tz=UTC))


def rate_charge(key_id: int | None, category: str, request=None, *, now: float | None = None,
                used_before: int | None = None) -> RateCharge | None:
    """This request's charge in ``category`` at ``now`` (epoch seconds); None when the
    category has no limit. ``used_before``: the bucket's count read with the key.
    ``key_id`` None: the key is not known yet (``RateCharge.for_key``)."""
    limit = _limit_of(category)
    if limit is None:
        return None
    count, window = limit
    window_start = int((time.time() if now is None else now) // window) * window
    return RateCharge(key_id, category, count, window, window_start, request, used_before)


def bucket_suffix(category: str, now: float) -> str | None:
    """What follows the key's id in the name of the bucket that ``rate_charge(...,
    now=now)`` counts in, for reading it with the key (``auth.caller_for_key``), where a
    submit counts in a statement that cannot answer with the count (SQLite's); None
    elsewhere, and for a category without a limit."""
    limit = _limit_of(category)
    if limit is None or connection.vendor != "sqlite":
        return None
    window = limit[1]
    return f":{category}:{int(now // window) * window}"


def check_rate(key_id: int, category: str, request=None) -> RateState | None:
    """Count one request; 429 past the limit. The state rides on ``request`` so the
    response gets the rate headers (``rate_headers_middleware``)."""
    charge = rate_charge(key_id, category, request)
    return None if charge is None else charge.count()


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
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count FROM {RateCounter._meta.db_table} WHERE bucket = %s",
                       [bucket])
        row = cursor.fetchone()
    return row[0] if row else 0


def _incr(bucket: str, expires_epoch: int) -> int:
    table = RateCounter._meta.db_table
    expires = datetime.fromtimestamp(expires_epoch, tz=UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, count, expires_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (bucket) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [bucket, connection.ops.adapt_datetimefield_value(expires)],
        )
        return cursor.fetchone()[0]


def purge_counters() -> None:
    RateCounter.objects.filter(expires_at__lt=datetime.now(tz=UTC)).delete()
