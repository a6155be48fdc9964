"""Website screenshots: a real browser photographs a page behind the target policy.

The page is first judged like any target (a refused main URL fails the job with
``TARGET_NOT_ALLOWED`` before the browser starts); then Chromium loads it through the
capture's policy proxy, which judges every connection again on the address actually
connected to (``proxy``). The image is converted, hashed and stored (``store``).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from playwright.async_api import Error as PlaywrightError

from jobs.net.errors import TargetNotAllowed, Unresolvable
from jobs.operations.base import Context, OperationError
from jobs.operations.screenshot import capture, imaging, schedules, store
from jobs.operations.screenshot.browser import BrowserCrashed, browser_service
from jobs.operations.screenshot.params import Params
from jobs.operations.screenshot.proxy import PolicyProxy

TIMEOUT = 120
RESERVE = 10.0  # seconds kept back to convert, hash and store the image
DNS_TIMEOUT = 3.0
STEPS = 4


async def run(params: Params, ctx: Context) -> dict:
    await ctx.aprogress(0, STEPS, "Checking the address")
    if params.schedule is not None:
        await sync_to_async(_schedule_from_request, thread_sensitive=True)(params, ctx)
    host = urlsplit(params.url).hostname or ""
    await _check_target(host, ctx)
    await ctx.aprogress(1, STEPS, "Loading the page")
    shot, proxy = await _capture(params, ctx)
    await ctx.aprogress(2, STEPS, "Storing the image")
    data, width, height = await asyncio.to_thread(
        imaging.encode, shot.png, params.options.format, params.options.quality)
    phash = await asyncio.to_thread(imaging.phash, shot.png)
    stored = await sync_to_async(store.capture_save, thread_sensitive=True)(
        job_id=ctx.job_id, page_url=params.url, final_url=shot.final_url, data=data,
        fmt=params.options.format, width=width, height=height, phash=phash)
    await ctx.aprogress(STEPS, STEPS, "Captured")
    return _result(params, shot, proxy, stored)


def _schedule_from_request(params: Params, ctx: Context) -> None:
    """A capture request with ``schedule`` also creates one (this job is its first run)."""
    from jobs.models import Job

    job = Job.objects.only("organization_id", "metadata", "username", "api_key_id",
                           "user_id").get(pk=ctx.job_id)
    if (job.metadata or {}).get("schedule"):
        return  # made already (this is a retry) or started by a schedule
    try:
        schedule = schedules.schedule_create(
            organization_id=job.organization_id, url=params.url,
            options=params.options.model_dump(mode="json", by_alias=True, exclude_none=True),
            spec=params.schedule, username=job.username, user_id=job.user_id,
            api_key_id=job.api_key_id)
    except schedules.ScheduleLimit as exc:
        raise OperationError("SCHEDULE_LIMIT", str(exc)) from None
    Job.objects.filter(pk=job.pk).update(metadata={**job.metadata, "schedule": str(schedule.pk)})


async def _check_target(host: str, ctx: Context) -> None:
    try:
        await ctx.policy.resolve_and_check(host, ctx.dns(timeout=DNS_TIMEOUT))
    except TargetNotAllowed as exc:
        raise OperationError("TARGET_NOT_ALLOWED", str(exc)) from None
    except Unresolvable as exc:
        raise OperationError("TARGET_UNREACHABLE", str(exc)) from None


async def _capture(params: Params, ctx: Context):
    dns = ctx.dns(timeout=DNS_TIMEOUT)
    blocklist = capture.on_block_list if params.options.block_ads else None
    holder: dict = {}

    async def work(browser):
        proxy = PolicyProxy(dns, is_blocked=blocklist, policy=ctx.policy,
                            max_bytes=settings.SCREENSHOT_MAX_TRANSFER_BYTES)
        holder["proxy"] = proxy
        await proxy.start()
        try:
            return await capture.capture(browser, params, proxy)
        finally:
            await proxy.close()

    budget = max(1.0, ctx.remaining() - RESERVE)
    try:
        shot = await asyncio.wait_for(browser_service().run(work), budget)
    except TimeoutError:
        raise OperationError("TIMEOUT", f"The capture took longer than {budget:.0f} "
                                        "seconds.") from None
    except capture.NavigationFailed as exc:
        if exc.refusal:
            raise OperationError("TARGET_NOT_ALLOWED", exc.refusal) from None
        raise OperationError("TARGET_UNREACHABLE", str(exc)) from None
    except BrowserCrashed as exc:
        raise OperationError("BROWSER_CRASHED", "The browser stopped while capturing this "
                             "page; it has been restarted for the next job.",
                             str(exc)[:500]) from None
    except PlaywrightError as exc:  # e.g. the page's renderer crashed mid-screenshot
        message = (str(exc).splitlines() or ["The browser could not capture the page."])[0]
        raise OperationError("CAPTURE_FAILED", message[:500]) from None
    proxy = holder["proxy"]
    if proxy.log.over_limit:
        shot.console.append({"type": "warning", "text": "The page transferred more than "
                             f"{settings.SCREENSHOT_MAX_TRANSFER_BYTES} bytes; the rest "
                             "was cut off."})
    return shot, proxy


def _result(params: Params, shot: capture.Shot, proxy: PolicyProxy,
            stored: store.Stored) -> dict:
    row = stored.capture
    final = urlsplit(shot.final_url)
    default_port = 443 if final.scheme == "https" else 80
    server = proxy.log.servers.get(f"{final.hostname}:{final.port or default_port}")
    return {
        "screenshotId": str(row.pk),
        "url": store.image_url(row.pk),
        "pageUrl": params.url,
        "finalUrl": shot.final_url,
        "httpStatus": shot.http_status,
        "title": shot.title,
        "capturedAt": store.iso(row.captured_at),
        "format": row.format,
        "dimensions": f"{row.width}x{row.height}",
        "fileSize": row.file_size,
        "truncated": shot.truncated,
        "serverIp": server,
        "tls": shot.tls,
        "redirectChain": shot.redirects,
        "blockedRequests": _blocked(proxy, shot),
        "phash": row.phash,
        "similar": stored.similar,
        "change": stored.change,
        "consentClicked": shot.consent_clicked,
        "responseHeaders": shot.headers,
        "console": shot.console,
        "network": shot.network,
    }


def _blocked(proxy: PolicyProxy, shot: capture.Shot) -> list[dict]:
    """The proxy's refusals, named by the URL the page asked for where it is known."""
    entries = []
    for entry in proxy.log.blocked:
        asked = next((n["url"] for n in shot.network if n["blocked"]
                      and capture.host_port(n["url"]) == (entry["host"].lower(),
                                                          entry["port"])), entry["url"])
        entries.append({**entry, "url": asked})
    return entries


def target(params: Params) -> str:
    return params.url


def literal_targets(params: Params) -> list[tuple[str, str]]:
    return [("url", params.url)]
