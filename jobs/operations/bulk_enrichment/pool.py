"""Runs the enrichment of many indicators: setup, cache, workers, progress, first error.

Offline-first: a DNS client is made only when ``dns`` is asked for, WHOIS and RDAP
clients only for ``whois``, so a job of offline modules sends nothing on the network.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

from asgiref.sync import sync_to_async

from jobs.operations.base import Context, OperationError
from jobs.operations.bulk_enrichment import cache, references
from jobs.operations.bulk_enrichment.enrich import ADDRESS_MODULES, Env, IndicatorFailed, enrich
from jobs.operations.bulk_enrichment.indicators import Indicator

log = logging.getLogger(__name__)

IN_FLIGHT = 100  # indicators enriched at once when parallel (each asks up to 6 questions)
DNS_TIMEOUT = 2.0
DNS_CONCURRENCY = 100  # questions in flight: more only queues at the servers
WHOIS_TIMEOUT = 10.0
PROGRESS_EVERY = 0.25  # seconds; a batch boundary is reported at most this often
WAITING_MODULES = {"dns", "whois", "historical"}  # the ones that wait for a server or the db


async def enrich_all(indicators: list[Indicator], params, ctx: Context) -> dict[str, Any]:
    """{value: item dict or IndicatorFailed} for every indicator."""
    modules = frozenset(params.include)
    org_id = getattr(ctx.observations, "organization_id", None)
    max_age = params.options.max_age
    cached = await sync_to_async(cache.cache_read, thread_sensitive=True)(
        org_id=org_id, modules=modules, values=[i.value for i in indicators], max_age=max_age)
    todo = [ind for ind in indicators if ind.value not in cached]
    env = await _env(modules, todo, ctx, org_id)
    outcomes = await _run_pool(todo, env, params, ctx, done_before=len(cached))
    if max_age:
        # Only a job that reuses results keeps its own for the next one: writing 10,000
        # items costs seconds that a job asking for fresh answers should not pay.
        fresh = {value: item for value, item in outcomes.items() if isinstance(item, dict)}
        await sync_to_async(cache.cache_write, thread_sensitive=True)(
            org_id=org_id, modules=modules, items=fresh)
    return {**cached, **outcomes}


async def _env(modules: frozenset[str], todo: list[Indicator], ctx: Context,
               org_id: int | None) -> Env:
    env = Env(modules=modules, observations=ctx.observations, policy=ctx.policy)
    if "dns" in modules:
        env.dns = ctx.dns(timeout=DNS_TIMEOUT, concurrency=DNS_CONCURRENCY)
    if "whois" in modules:
        env.whois = ctx.whois(timeout=WHOIS_TIMEOUT)
        env.rdap = ctx.rdap(timeout=WHOIS_TIMEOUT)
    load = sync_to_async(references.load_for_job, thread_sensitive=True)
    env.lists, env.vrps, env.known_addresses = await load(
        modules=modules, org_id=org_id,
        names=[i.lookup_name for i in todo if i.lookup_name and not env.dns
               and modules & ADDRESS_MODULES])
    return env


async def _run_pool(todo: list[Indicator], env: Env, params, ctx: Context,
                    done_before: int) -> dict[str, Any]:
    options = params.options
    outcomes: dict[str, Any] = {}
    progress = _Progress(ctx, len(params.indicators), options.batch_size, done_before)
    pending = iter(todo)
    seconds = options.timeout_per_indicator / 1000

    async def worker() -> None:
        # Workers share one iterator: asyncio runs one at a time, so none is taken twice.
        for indicator in pending:
            outcome = await _one(indicator, env, min(seconds, max(ctx.remaining(), 0.001)))
            outcomes[indicator.value] = outcome
            if isinstance(outcome, IndicatorFailed) and not options.continue_on_error:
                raise _first_error(indicator, outcome, outcomes)
            await progress.step()

    workers = IN_FLIGHT if options.parallel_processing else 1
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(workers, max(len(todo), 1))):
                group.create_task(worker())
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
    return outcomes


async def _one(indicator: Indicator, env: Env, seconds: float) -> dict | IndicatorFailed:
    try:
        if env.modules & WAITING_MODULES:
            return await asyncio.wait_for(enrich(indicator, env), seconds)
        # Local data never waits, so there is nothing to interrupt: a task and a timer per
        # indicator would only cost time. The limit still holds, checked afterwards.
        started = time.monotonic()
        item = await enrich(indicator, env)
        if time.monotonic() - started > seconds:
            raise TimeoutError
        return item
    except TimeoutError:
        return IndicatorFailed("TIMEOUT", f"no answer within {seconds * 1000:.0f} ms")
    except IndicatorFailed as exc:
        return exc
    except (asyncio.CancelledError, OperationError):
        raise
    except Exception:
        reference = uuid.uuid4().hex[:12]
        log.exception("enriching %r failed; reference %s", indicator.value, reference)
        return IndicatorFailed("FAILED", f"internal error (reference {reference})")


def _first_error(indicator: Indicator, failure: IndicatorFailed,
                 outcomes: dict[str, Any]) -> OperationError:
    done = [value for value, item in outcomes.items() if isinstance(item, dict)]
    details = json.dumps({"failed": {"indicator": indicator.raw, "code": failure.code,
                                     "message": failure.message},
                          "completedBeforeError": len(done), "completed": done[:1000]})
    # The job's own TIMEOUT means the whole job ran out of time; keep the two apart.
    code = {"TIMEOUT": "INDICATOR_TIMEOUT", "FAILED": "INDICATOR_FAILED"}.get(failure.code,
                                                                              failure.code)
    return OperationError(code, f"{indicator.raw}: {failure.message} (continue_on_error is off)",
                          details)


class _Progress:
    """Reports at batch boundaries, at most every PROGRESS_EVERY seconds (a write each)."""

    def __init__(self, ctx: Context, total: int, batch: int, done: int):
        self.ctx, self.total, self.batch, self.done = ctx, total, batch, done
        self.last = 0.0

    async def step(self) -> None:
        self.done += 1
        if self.done % self.batch:
            return
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY:
            self.last = now
            await self.ctx.aprogress(self.done, self.total,
                                     f"Enriched {self.done} of {self.total}")
