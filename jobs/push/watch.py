"""Waiting for a job to move, for long-poll requests and event streams.

One watcher per event loop serves every waiter of that loop (under an ASGI server:
the whole web process). With the database broker it reads the versions of all watched
jobs in one query every ``DB_INTERVAL``; with Redis a subscription to the moves
wakes waiters at once and the database is read only as a fallback.

A job's *version* is its ``updated_at``: every move and progress step sets it.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection

from jobs.models import Job
from jobs.push import notify

log = logging.getLogger(__name__)

DB_INTERVAL = 0.05  # seconds between reads without Redis (wake-up within ~100 ms)
FALLBACK_INTERVAL = 1.0  # with Redis, in case a publish was missed

_watchers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def job_versions(ids: list) -> dict[str, datetime]:
    close_old_connections()
    try:
        return {str(pk): updated for pk, updated in
                Job.objects.filter(pk__in=ids).values_list("pk", "updated_at")}
    finally:
        release_pooled()


def release_pooled() -> None:
    """Gives a pooled connection back now (a no-op without a pool, outside transactions).

    Reads from a thread pool's threads, and a long-poll about to wait, would otherwise
    keep a pooled connection checked out while doing nothing with it.
    """
    if getattr(connection, "pool", None) is not None and not connection.in_atomic_block:
        connection.close()


class Watcher:
    def __init__(self):
        self.waiters: dict[str, list[tuple[datetime | None, asyncio.Event]]] = {}
        self.task: asyncio.Task | None = None

    async def wait(self, job_id: str, version: datetime | None, timeout: float) -> bool:
        """True when the job's version differs from ``version`` (or it is gone), False
        after ``timeout`` seconds."""
        event = asyncio.Event()
        entry = (version, event)
        self.waiters.setdefault(job_id, []).append(entry)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            entries = self.waiters.get(job_id, [])
            if entry in entries:
                entries.remove(entry)
            if not entries:
                self.waiters.pop(job_id, None)

    async def _run(self) -> None:
        listener = asyncio.create_task(self._listen()) if settings.REDIS_URL else None
        interval = FALLBACK_INTERVAL if listener else DB_INTERVAL
        try:
            while self.waiters:
                await self._check()
                await asyncio.sleep(interval)
        finally:
            if listener:
                listener.cancel()

    async def _check(self) -> None:
        ids = list(self.waiters)
        try:
            versions = await sync_to_async(job_versions, thread_sensitive=False)(ids)
        except Exception:
            log.exception("reading job versions failed")
            return
        for job_id in ids:
            for version, event in self.waiters.get(job_id, []):
                if versions.get(job_id) != version:
                    event.set()

    def wake(self, job_id: str) -> None:
        for _version, event in self.waiters.get(job_id, []):
            event.set()

    async def _listen(self) -> None:
        import redis.asyncio as aioredis

        prefix = notify.channel_prefix()
        while True:
            client = aioredis.Redis.from_url(settings.REDIS_URL)
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.psubscribe(f"{prefix}*")
                async for message in pubsub.listen():
                    channel = message.get("channel", b"")
                    channel = channel.decode() if isinstance(channel, bytes) else str(channel)
                    self.wake(channel.removeprefix(prefix))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: the fallback reads carry on meanwhile
                log.warning("listening for job moves failed: %s", exc)
                await asyncio.sleep(1)
            finally:
                await client.aclose()


def watcher() -> Watcher:
    loop = asyncio.get_running_loop()
    found = _watchers.get(loop)
    if found is None:
        found = _watchers[loop] = Watcher()
    return found


async def job_wait(job_id, version: datetime | None, timeout: float) -> bool:
    return await watcher().wait(str(job_id), version, timeout)


class Limit:
    """At most ``size`` holders per process (thread-safe: long-polls hold threads)."""

    def __init__(self, setting: str):
        import threading

        self.setting = setting
        self.count = 0
        self.lock = threading.Lock()

    def acquire(self) -> bool:
        with self.lock:
            if self.count >= getattr(settings, self.setting):
                return False
            self.count += 1
            return True

    def release(self) -> None:
        with self.lock:
            self.count -= 1

    def ticket(self) -> Ticket | None:
        return Ticket(self) if self.acquire() else None


class Ticket:
    """One place in a Limit, given back once however many times it is released."""

    def __init__(self, limit: Limit):
        self.limit = limit
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.limit.release()


waiters = Limit("PUSH_MAX_WAITERS")
streams = Limit("PUSH_MAX_STREAMS")
