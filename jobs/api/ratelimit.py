"""Fixed-window rate limits per API key and category, shared by every web process.

With Redis configured the counters live there (INCR); otherwise in the database, one
atomic UPSERT per request, so any number of web processes see the same counts.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import cache

from django.conf import settings
from django.db import connection

from jobs.api.errors import ApiError
from jobs.models import RateCounter


def check_rate(key_id: int, category: str) -> None:
    limit = settings.RATE_LIMITS.get(category) or settings.RATE_LIMITS.get("other")
    if not limit or limit[0] <= 0:
        return
    count, window = limit
    now = time.time()
    window_start = int(now // window) * window
    bucket = f"{key_id}:{category}:{window_start}"
    used = _incr(bucket, window_start + window)
    if used > count:
        retry_after = max(1, int(window_start + window - now + 0.999))
        raise ApiError(429, f"Rate limit of {count} {category} requests per {window} s "
                            "reached for this key.",
                       headers={"Retry-After": str(retry_after)},
                       extra={"retryAfter": retry_after})


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


@cache
def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


def purge_counters() -> None:
    RateCounter.objects.filter(expires_at__lt=datetime.now(tz=UTC)).delete()
