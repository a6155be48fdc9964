"""One page in one fresh browser context: load it, tidy it, photograph it, note what it did.

Runs on the browser's own loop (``browser.BrowserService``). Everything the page loads
goes through the capture's ``PolicyProxy``; what the proxy refused comes back in the
``Shot`` beside what Chromium saw (redirects, headers, console, network log).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from jobs.operations.screenshot.browser import PROXY_BYPASS
from jobs.operations.screenshot.params import Params
from jobs.operations.screenshot.proxy import PolicyProxy

DATA = Path(__file__).resolve().parent / "data"
LOG_LIMIT = 500  # network log and console entries kept


@dataclass
class Shot:
    png: bytes
    final_url: str
    title: str
    http_status: int | None
    headers: dict[str, str]
    redirects: list[dict]
    tls: dict | None
    consent_clicked: str | None
    truncated: bool
    console: list[dict] = field(default_factory=list)
    network: list[dict] = field(default_factory=list)


class NavigationFailed(Exception):
    """The page itself could not be loaded; ``refusal`` is set when the policy said no."""

    def __init__(self, message: str, refusal: str | None = None, unreachable: bool = True):
        super().__init__(message)
        self.refusal = refusal
        self.unreachable = unreachable


@cache
def blocked_hosts() -> frozenset[str]:
    return frozenset(_lines(DATA / "blocked_hosts.txt"))


@cache
def find_consent_script() -> str:
    return (DATA / "find_consent.js").read_text().split("\n", 2)[2]


@cache
def consent_rules() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(CSS selectors, button words) from the shipped list."""
    lines = _lines(DATA / "consent_selectors.txt")
    words = tuple(line[5:].strip().lower() for line in lines if line.startswith("text:"))
    return tuple(line for line in lines if not line.startswith("text:")), words


def _lines(path: Path) -> list[str]:
    text = path.read_text()
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.startswith("# ")]


def on_block_list(host: str) -> bool:
    labels = host.lower().rstrip(".").split(".")
    names = blocked_hosts()
    return any(".".join(labels[i:]) in names for i in range(len(labels) - 1))


async def capture(browser, params: Params, proxy: PolicyProxy) -> Shot:
    options = params.options
    context = await browser.new_context(
        proxy={"server": proxy.url, "bypass": PROXY_BYPASS},
        viewport={"width": options.width, "height": options.height},
        user_agent=options.user_agent or None, java_script_enabled=options.javascript,
        ignore_https_errors=True, service_workers="block", accept_downloads=False)
    try:
        page = await context.new_page()
        journal = _Journal(page)
        response = await _navigate(page, params.url, proxy, journal)
        clicked = await _accept_cookies(page) if options.accept_cookies else None
        await asyncio.sleep(options.wait_time / 1000)
        png, truncated = await _photograph(page, params)
        return Shot(
            png=png, final_url=page.url, title=(await page.title())[:500],
            http_status=response.status if response else None,
            headers=dict(list(response.headers.items())[:100]) if response else {},
            redirects=await _redirects(response), tls=await _tls(response),
            consent_clicked=clicked, truncated=truncated,
            console=journal.console, network=journal.network_log(proxy))
    finally:
        with contextlib.suppress(PlaywrightError):
            await context.close()


async def _navigate(page, url: str, proxy: PolicyProxy, journal: _Journal):
    timeout = settings.SCREENSHOT_PAGE_TIMEOUT * 1000
    try:
        response = await page.goto(url, wait_until="load", timeout=timeout)
    except PlaywrightTimeout:
        if page.url in ("", "about:blank"):
            raise NavigationFailed(f"The page did not answer within "
                                   f"{settings.SCREENSHOT_PAGE_TIMEOUT} seconds.") from None
        return journal.main_response  # it arrived but kept loading: capture what is there
    except PlaywrightError as exc:
        raise _navigation_failure(exc, proxy, journal) from None
    # A plain-http page the proxy refused arrives as the proxy's own 403: not a page.
    refused = _refusal_on_the_way(proxy, journal)
    if refused is not None:
        raise refused
    return response


def _navigation_failure(exc, proxy: PolicyProxy, journal: _Journal) -> NavigationFailed:
    """Why the main document failed: a policy refusal on its way beats Chromium's words."""
    refused = _refusal_on_the_way(proxy, journal)
    if refused is not None:
        return refused
    message = str(exc).splitlines()[0] if str(exc) else "The page could not be loaded."
    return NavigationFailed(message.removeprefix("Page.goto: "))


def _refusal_on_the_way(proxy: PolicyProxy, journal: _Journal) -> NavigationFailed | None:
    for entry in proxy.log.blocked:
        if (entry["host"].lower(), entry["port"]) in journal.navigation_hosts:
            return NavigationFailed(entry["reason"], refusal=entry["reason"] if entry["refused"]
                                    else None)
    return None


async def _accept_cookies(page) -> str | None:
    """Click the first visible consent button on the page or in its frames.

    One script per frame finds it (a round trip per selector would cost more than the
    rest of the capture) and marks it; Playwright then clicks it like a person would.
    """
    selectors, words = consent_rules()
    for frame in page.frames[:10]:
        with contextlib.suppress(PlaywrightError):
            found = await frame.evaluate(find_consent_script(),
                                         [list(selectors), list(words)])
            if found:
                await frame.locator(f"[{CONSENT_MARK}]").first.click(timeout=1500)
                with contextlib.suppress(PlaywrightError):
                    await page.wait_for_load_state("load", timeout=2000)
                return found
    return None


CONSENT_MARK = "data-capture-consent"



# Chromium now and then refuses one capture with this and takes the same picture when
# asked again; seen under load (two test suites at once on two cores).
REFUSED_CAPTURE = "Unable to capture screenshot"


async def screenshot(page, **options) -> bytes:
    """``page.screenshot``, tried once more after a short pause when Chromium refuses
    the capture outright. The job's own time limit bounds both tries."""
    try:
        return await page.screenshot(**options)
    except PlaywrightError as exc:
        if REFUSED_CAPTURE not in str(exc):
            raise
    await asyncio.sleep(0.25)
    return await page.screenshot(**options)


async def _photograph(page, params: Params) -> tuple[bytes, bool]:
    options = params.options
    timeout = settings.SCREENSHOT_PAGE_TIMEOUT * 1000
    if not options.full_page:
        return await screenshot(page, type="png", timeout=timeout), False
    height = await page.evaluate(
        "() => Math.max(document.documentElement.scrollHeight,"
        " document.body ? document.body.scrollHeight : 0)") if options.javascript else None
    if height is None:
        height = await _height_without_js(page)
    cap = settings.SCREENSHOT_MAX_HEIGHT
    if height > cap:
        clip = {"x": 0, "y": 0, "width": options.width, "height": cap}
        return await screenshot(page, type="png", full_page=True, clip=clip,
                                timeout=timeout), True
    return await screenshot(page, type="png", full_page=True, timeout=timeout), False


async def _height_without_js(page) -> int:
    # With the page's scripts off, evaluate still works through an isolated world via
    # the main frame's element handles.
    handle = await page.query_selector("html")
    box = await handle.bounding_box() if handle else None
    return int(box["height"]) if box else 0


async def _redirects(response) -> list[dict]:
    if response is None:
        return []
    chain = []
    request = response.request.redirected_from
    while request is not None:
        earlier = await request.response()
        chain.append({"url": request.url, "status": earlier.status if earlier else None,
                      "location": (earlier.headers.get("location") if earlier else None)})
        request = request.redirected_from
    return list(reversed(chain))


async def _tls(response) -> dict | None:
    if response is None or not response.url.startswith("https:"):
        return None
    with contextlib.suppress(PlaywrightError):
        details = await response.security_details()
        if details:
            return {"protocol": details.get("protocol"), "subject": details.get("subjectName"),
                    "issuer": details.get("issuer"), "validFrom": details.get("validFrom"),
                    "validTo": details.get("validTo")}
    return None


class _Journal:
    """Listens to the page: console messages, every request and how it ended."""

    def __init__(self, page):
        self.page = page
        self.console: list[dict] = []
        self.requests: dict = {}
        self.navigation_hosts: set[tuple[str, int]] = set()
        self.main_response = None
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._note_console("pageerror", str(error)))
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("requestfailed", self._failed)
        page.on("websocket", self._websocket)

    def _console(self, message) -> None:
        self._note_console(message.type, message.text)

    def _note_console(self, kind: str, text: str) -> None:
        if len(self.console) < LOG_LIMIT:
            self.console.append({"type": kind, "text": text[:2000]})

    def _request(self, request) -> None:
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.navigation_hosts.add(host_port(request.url))
        if len(self.requests) < LOG_LIMIT:
            self.requests[request] = {"url": request.url[:2048], "method": request.method,
                                      "resourceType": request.resource_type, "status": None,
                                      "size": None, "blocked": False, "failure": None}

    def _response(self, response) -> None:
        entry = self.requests.get(response.request)
        if entry is not None:
            entry["status"] = response.status
            length = response.headers.get("content-length")
            entry["size"] = int(length) if length and length.isdigit() else None
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.main_response = response

    def _failed(self, request) -> None:
        entry = self.requests.get(request)
        if entry is not None:
            entry["failure"] = (request.failure or "failed")[:300]

    def _websocket(self, socket) -> None:
        if len(self.requests) < LOG_LIMIT:
            self.requests[socket] = {"url": socket.url[:2048], "method": "GET",
                                     "resourceType": "websocket", "status": None,
                                     "size": None, "blocked": False, "failure": None}

    def network_log(self, proxy: PolicyProxy) -> list[dict]:
        refused = {(b["host"].lower(), b["port"]) for b in proxy.log.blocked}
        log = list(self.requests.values())
        for entry in log:
            # The proxy connected nowhere for these (a plain-http one shows its 403).
            entry["blocked"] = host_port(entry["url"]) in refused
            if entry["blocked"]:
                entry["status"], entry["size"] = None, None
        return log


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme in ("https", "wss") else 80
    try:
        port = parts.port or default
    except ValueError:
        port = default
    return (parts.hostname or "").lower(), port
