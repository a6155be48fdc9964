"""One Chromium per worker process, kept warm between jobs.

Playwright objects belong to the event loop that made them, and the runner gives every
job a loop of its own, so the browser lives on a long-lived loop in a thread of this
process; jobs hand it their capture as a coroutine and wait for the answer. A process
forked after the browser started (django-q2 workers) starts its own on first use.

Each job gets a fresh browser context (no cookies, cache or storage shared between
jobs or organizations) whose proxy is that job's ``PolicyProxy``. The browser itself
is launched pointing at a proxy that refuses everything, so traffic outside a context
cannot leave either. If Chromium dies, the job in hand fails and the next job starts
a new one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from jobs.operations.screenshot.proxy import PolicyProxy

log = logging.getLogger(__name__)

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-quic", "--disable-sync",
    "--disable-component-update", "--disable-domain-reliability",
    # No --disable-features here: Chromium keeps only the last one given, and
    # Playwright's own list (background fetches it turns off) must stay in force.
    "--dns-prefetch-disable", "--no-pings", "--no-first-run", "--no-default-browser-check",
    "--metrics-recording-only", "--mute-audio", "--force-webrtc-ip-handling-policy="
    "disable_non_proxied_udp", "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--hide-scrollbars",
]
# Loopback is NOT bypassed: without this rule Chromium would reach 127.0.0.1 directly.
PROXY_BYPASS = "<-loopback>"


class BrowserCrashed(Exception):
    """Chromium went away while a job was using it."""


class BrowserService:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="chromium", daemon=True)
        self._thread.start()
        self._playwright = None
        self._browser = None
        self._deny_proxy: PolicyProxy | None = None
        self._launch_lock: asyncio.Lock | None = None
        self._slots: asyncio.Semaphore | None = None
        self.launches = 0

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    async def run(self, work: Callable[[Any], Awaitable[Any]]) -> Any:
        """Run ``work(browser)`` on the browser's loop; await it from any other loop."""
        future = asyncio.run_coroutine_threadsafe(self._run(work), self.loop)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            raise

    async def _run(self, work):
        if self._slots is None:
            self._slots = asyncio.Semaphore(settings.SCREENSHOT_CONCURRENCY)
            self._launch_lock = asyncio.Lock()
        async with self._slots:
            browser = await self._ready_browser()
            try:
                return await work(browser)
            except Exception as exc:
                if not browser.is_connected():
                    raise BrowserCrashed(str(exc)) from exc
                raise

    async def _ready_browser(self):
        async with self._launch_lock:
            if self._browser is None or not self._browser.is_connected():
                await self._launch()
            return self._browser

    async def _launch(self) -> None:
        from playwright.async_api import async_playwright

        if self._browser is not None:
            log.warning("chromium is gone; starting a new one")
            with contextlib.suppress(Exception):
                await self._browser.close()
        if self._playwright is None:
            self._playwright = await async_playwright().start()
        if self._deny_proxy is None:
            self._deny_proxy = PolicyProxy(None, deny_all=True)
            await self._deny_proxy.start()
        self._browser = await self._playwright.chromium.launch(
            executable_path=settings.CHROMIUM_PATH, headless=True,
            args=[*CHROMIUM_FLAGS, f"--proxy-server={self._deny_proxy.url}",
                  f"--proxy-bypass-list={PROXY_BYPASS}"])
        self.launches += 1

    def browser_pid(self) -> int | None:
        """The Chromium browser process (found by its unique proxy flag), if running."""
        if self._deny_proxy is None:
            return None
        marker = f"--proxy-server={self._deny_proxy.url}".encode()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError):
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    raw = handle.read()  # child processes may rewrite it with spaces
                args = raw.split(b"\0")
                # Debian's /usr/bin/chromium is a shell wrapper with the same arguments:
                # the browser is the process whose executable is Chromium itself.
                if marker in args and b"--type=" not in raw \
                        and "chrom" in os.path.basename(os.readlink(f"/proc/{entry}/exe")):
                    return int(entry)
        return None

    async def _shutdown(self) -> None:
        with contextlib.suppress(Exception):
            if self._browser is not None:
                await self._browser.close()
        with contextlib.suppress(Exception):
            if self._playwright is not None:
                await self._playwright.stop()
        if self._deny_proxy is not None:
            await self._deny_proxy.close()

    def shutdown(self) -> None:
        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(15)
        self.loop.call_soon_threadsafe(self.loop.stop)


_service: BrowserService | None = None
_service_lock = threading.Lock()


def browser_service() -> BrowserService:
    """This process's service (a forked child never uses its parent's)."""
    global _service
    with _service_lock:
        if _service is None or _service.pid != os.getpid():
            _service = BrowserService()
        return _service


def browser_service_stop() -> None:
    global _service
    with _service_lock:
        if _service is not None and _service.pid == os.getpid():
            _service.shutdown()
        _service = None
