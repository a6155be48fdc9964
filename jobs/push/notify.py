"""Telling waiting readers (long-poll, event streams) that a job moved.

With Redis each move is published on ``<cluster name>:job:<id>``; every web process
listens (``jobs.push.watch``). Without Redis nothing is sent: waiters re-read the
database at a short interval instead.
"""

from __future__ import annotations

import logging

from django.conf import settings

from jobs.once import built_once

log = logging.getLogger(__name__)


def channel_prefix() -> str:
    # The cluster name keeps installations (and test runs) sharing one Redis apart.
    return f"{settings.Q_CLUSTER.get('name', 'secops')}:job:"


def job_channel(job_id) -> str:
    return f"{channel_prefix()}{job_id}"


@built_once
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def job_moved(job_id) -> None:
    """Publish a move; never raises (waiters fall back to re-reading)."""
    url = settings.REDIS_URL
    if not url:
        return
    try:
        _client(url).publish(job_channel(job_id), "1")
    except Exception as exc:  # a missed wake-up only costs the fallback interval
        log.warning("could not publish the move of job %s: %s", job_id, exc)
