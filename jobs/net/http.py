"""An HTTP(S) client that connects only where the target policy allows.

httpx would resolve the host itself, which is exactly the second lookup the policy
forbids (a rebinding DNS server answers the check with a public address and the
connection with 127.0.0.1). So every hop is sent to the approved IP literal, with the
original ``Host`` header and, for HTTPS, the original name as SNI and as the name the
certificate is verified against (httpcore's ``sni_hostname`` extension).

Redirects are followed here, not by httpx: each Location is resolved and checked like
the first URL. Bodies stop at ``max_body`` bytes (``truncated`` says so), redirects at
``max_redirects``. Proxies from the environment are ignored on purpose: a proxy would
connect wherever it likes.
"""

from __future__ import annotations

import html
import re
import ssl
from dataclasses import dataclass, field

import httpx

from jobs.net.dns import DnsClient
from jobs.net.errors import ClientError, TargetNotAllowed
from jobs.net.policy import STRICT, IPAddress, Policy, parse_literal_ip

USER_AGENT = "Mozilla/5.0 (compatible; secops-jobs scanner)"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)


@dataclass
class HttpResponse:
    url: str
    final_url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool = False
    address: str = ""
    http_version: str = ""
    redirects: list[dict] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """All values of a header joined with ", " (None if absent); case-insensitive."""
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @property
    def text(self) -> str:
        return self.body.decode(_charset(self), "replace")

    @property
    def title(self) -> str | None:
        match = _TITLE.search(self.body)
        if not match:
            return None
        raw = match.group(1).decode(_charset(self), "replace")
        return " ".join(html.unescape(raw).split())[:300] or None

    def as_dict(self) -> dict:
        return {
            "url": self.url, "finalUrl": self.final_url, "status": self.status,
            "headers": {k.lower(): self.header(k) for k, _ in self.headers},
            "redirects": self.redirects, "title": self.title, "address": self.address,
            "truncated": self.truncated,
        }  # fmt: skip


class HttpClient:
    def __init__(
        self,
        *,
        dns: DnsClient | None = None,
        policy: Policy = STRICT,
        timeout: float = 10.0,
        max_body: int = 2 * 1024 * 1024,
        max_redirects: int = 5,
        verify: bool | str = True,
        user_agent: str = USER_AGENT,
    ):
        self.dns = dns
        self.policy = policy
        self.timeout = timeout
        self.max_body = max_body
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self._ssl = _ssl_context(verify)

    async def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        follow_redirects: bool = True,
        address: str | None = None,
        content: bytes | None = None,
    ) -> HttpResponse:
        """Fetch ``url``. ``address`` pins the first hop's IP (still checked by policy);
        ``content`` is the request body (dropped when a redirect turns the method to GET).

        Raises TargetNotAllowed when any hop is refused, ClientError on other failures.
        """
        current = self._parse_url(url)
        redirects: list[dict] = []
        async with self._transport() as transport:
            while True:
                response = await self._hop(transport, current, method, headers, address,
                                           content)
                location = response.header("location")
                if not (follow_redirects and response.status in REDIRECT_STATUSES and location):
                    response.url, response.redirects = url, redirects
                    return response
                if len(redirects) >= self.max_redirects:
                    raise ClientError(f"more than {self.max_redirects} redirects from {url}")
                target = self._redirect_target(current, location)
                redirects.append({"url": str(current), "status": response.status,
                                  "location": str(target)})  # fmt: skip
                current, address = target, None
                method = _next_method(method, response.status)
                content = None if method == "GET" else content

    def _transport(self) -> httpx.AsyncHTTPTransport:
        # The transport, not a Client: a Client resolves redirects on its own (and
        # chokes on Location values it cannot parse before we can judge them).
        # No keep-alive: a pooled connection made for one SNI name must never carry a
        # request for another name that happens to share the IP.
        return httpx.AsyncHTTPTransport(
            verify=self._ssl, trust_env=False, limits=httpx.Limits(max_keepalive_connections=0)
        )

    async def _hop(self, transport, url: httpx.URL, method, headers, address,
                   content=None) -> HttpResponse:
        ips = await self._approved(url, address)
        last_error: ClientError | None = None
        for ip in ips:
            try:
                return await self._send(transport, url, ip, method, headers, content)
            except _ConnectFailed as exc:
                last_error = ClientError(str(exc))  # try the host's next address
        raise last_error or ClientError(f"cannot connect to {url.host}")

    async def _approved(self, url: httpx.URL, address: str | None) -> list[IPAddress]:
        if address is not None:
            return [self.policy.check_address(address)]
        host = url.raw_host.decode("ascii")
        try:
            return await self.policy.resolve_and_check(host, self.dns or DnsClient())
        except TargetNotAllowed as exc:
            raise TargetNotAllowed(f"{url}: {exc}") from None

    async def _send(self, transport, url: httpx.URL, ip: IPAddress, method, headers,
                    content=None):
        request = httpx.Request(
            method,
            url.copy_with(host=str(ip)),
            headers=self._headers(url, headers),
            content=content,
            extensions={**_sni(url), "timeout": httpx.Timeout(self.timeout).as_dict()},
        )
        try:
            response = await transport.handle_async_request(request)
        except httpx.ConnectError as exc:
            raise _ConnectFailed(_connect_message(url, ip, exc)) from None
        except httpx.TimeoutException:
            raise ClientError(f"{url} timed out after {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise ClientError(f"{url}: {exc or type(exc).__name__}") from None
        response.request = request
        try:
            body, truncated = await self._read_body(response)
        finally:
            await response.aclose()
        return HttpResponse(
            url=str(url), final_url=str(url), status=response.status_code,
            headers=[(k, v) for k, v in response.headers.multi_items()],
            body=body, truncated=truncated, address=str(ip),
            http_version=response.http_version,
        )  # fmt: skip

    async def _read_body(self, response: httpx.Response) -> tuple[bytes, bool]:
        body = bytearray()
        try:
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.max_body:
                    return bytes(body[: self.max_body]), True
        except httpx.HTTPError as exc:
            if not body:
                raise ClientError(f"reading {response.url.path} failed: {exc}") from None
            return bytes(body), True  # a body cut short is still evidence
        return bytes(body), False

    def _headers(self, url: httpx.URL, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {
            "Host": url.netloc.decode("ascii"),
            "User-Agent": self.user_agent,
            "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
        }
        headers.update(extra or {})
        return headers

    def _parse_url(self, url: str, *, hop: bool = False) -> httpx.URL:
        self._refuse_literal(url, hop=hop)
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise ClientError(f"not a valid URL: {url!r} ({exc})") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            what = "redirect to" if hop else "URL"
            raise ClientError(f"{what} {url!r} is not an http(s) URL")
        return parsed

    def _refuse_literal(self, url: str, *, hop: bool) -> None:
        """Judge a literal address before any URL parser sees it: httpx rejects some
        spellings (0300.0.2.2) that browsers accept, and a refusal should say why."""
        reason = self.policy.literal_refusal(url) if "//" in url else None  # URLs with a host
        if reason:
            raise TargetNotAllowed(f"{'redirect to ' if hop else ''}{url}: {reason}")

    def _redirect_target(self, current: httpx.URL, location: str) -> httpx.URL:
        """The next hop, resolved against the current URL."""
        self._refuse_literal(location, hop=True)
        try:
            joined = str(current.join(location))
        except (httpx.InvalidURL, ValueError) as exc:
            raise ClientError(f"redirect to an invalid URL {location!r} ({exc})") from None
        return self._parse_url(joined, hop=True)


class _ConnectFailed(Exception):
    pass


def _next_method(method: str, status: int) -> str:
    # What browsers do: 303 always becomes GET, 301/302 turn a POST into GET.
    if status == 303 or (status in (301, 302) and method == "POST"):
        return "GET"
    return method


def _sni(url: httpx.URL) -> dict:
    host = url.raw_host.decode("ascii")
    if url.scheme != "https" or _is_ip(host):
        return {}
    return {"sni_hostname": host.rstrip(".")}


def _is_ip(host: str) -> bool:
    return parse_literal_ip(host) is not None


def _ssl_context(verify: bool | str) -> ssl.SSLContext:
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context()
    if isinstance(verify, str):
        context.load_verify_locations(cafile=verify)
    return context


def _connect_message(url: httpx.URL, ip: IPAddress, exc: httpx.ConnectError) -> str:
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return f"{url}: TLS certificate verification failed ({text.rsplit(':', 1)[-1].strip()})"
    return f"cannot connect to {url.host} at {ip}: {text}"


def _charset(response: HttpResponse) -> str:
    content_type = response.header("content-type") or ""
    match = re.search(r"charset=[\"']?([A-Za-z0-9_\-]+)", content_type)
    name = match.group(1) if match else None
    if not name:
        meta = _META_CHARSET.search(response.body[:4096])
        name = meta.group(1).decode("ascii") if meta else "utf-8"
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name
