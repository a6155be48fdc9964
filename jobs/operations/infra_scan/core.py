"""One scan's shared state: the approved target, the clients, and the results several
modules read (the TLS report, the port scan, the home pages), each computed once."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from typing import Any

from jobs.net.dns import DnsAnswer, DnsClient
from jobs.net.errors import ClientError
from jobs.net.http import HttpResponse
from jobs.net.policy import is_localhost_name, parse_literal_ip
from jobs.net.ports import PortScan, parse_ports
from jobs.net.tls import TlsReport
from jobs.operations.base import Context, OperationError
from jobs.operations.infra_scan.request import Params

DNS_TIMEOUT = 2.0
FINISH_RESERVE = 3.0  # seconds kept back from module budgets to assemble the result
UNANSWERED = {"TIMEOUT", "SERVFAIL", "REFUSED", "ERROR"}


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def error_text(outcome: BaseException | object) -> str:
    if isinstance(outcome, ClientError):
        return outcome.message
    return str(outcome) or type(outcome).__name__


class Scan:
    """One scan's shared state: the approved addresses, clients, and shared results."""

    def __init__(self, params: Params, ctx: Context, total: int):
        self.params = params
        self.ctx = ctx
        self.domain = params.domain
        self.is_ip = parse_literal_ip(params.domain) is not None
        self.total = total
        self.started_steps = 0
        self._step_lock = asyncio.Lock()
        self.addresses: list[str] = []
        self.dns = ctx.dns(timeout=DNS_TIMEOUT, concurrency=100)
        self.policy = ctx.policy
        self._shared: dict[str, asyncio.Task] = {}

    async def step(self, message: str) -> None:
        # Modules start concurrently; the lock writes their steps in the order counted.
        async with self._step_lock:
            self.started_steps += 1
            await self.ctx.aprogress(min(self.started_steps - 1, self.total), self.total,
                                     message)

    def budget(self) -> float:
        return max(1.0, self.ctx.remaining() - FINISH_RESERVE)

    def deadline(self) -> float:
        return time.monotonic() + self.budget()

    def needs_name(self, what: str) -> None:
        if self.is_ip:
            raise ClientError(f"{what} need a domain name, not an IP address")

    async def shared(self, key: str, factory: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``factory`` once per scan; every module awaiting it gets the same result."""
        if key not in self._shared:
            self._shared[key] = asyncio.ensure_future(factory())
        # shield: one module giving up must not cancel the work for the others.
        return await asyncio.shield(self._shared[key])

    def close(self) -> None:
        for task in self._shared.values():
            if not task.done():
                task.cancel()
            elif not task.cancelled():
                task.exception()  # mark seen: failures were already reported per module

    def address(self) -> str:
        if not self.addresses:
            raise ClientError(f"{self.domain} has no address to connect to")
        return self.addresses[0]

    async def resolve_target(self, *, needs_address: bool) -> None:
        """Approve the scan target or fail the job with a code users can act on."""
        if self.is_ip:
            self.addresses = [self.domain]
            self._refuse_if_forbidden(self.domain)
            return
        if is_localhost_name(self.domain):
            raise OperationError("TARGET_NOT_ALLOWED", f"{self.domain} is a loopback name.")
        answers = await self.dns.query_many([(self.domain, "A"), (self.domain, "AAAA")])
        self.addresses = [r for answer in answers for r in answer.records]
        for address in self.addresses:
            self._refuse_if_forbidden(address)
        if not self.addresses:
            _unreachable(self.domain, answers, needs_address)

    def _refuse_if_forbidden(self, address: str) -> None:
        ip = parse_literal_ip(address)
        reason = self.policy.refusal_reason(ip) if ip is not None else "not an address"
        if reason:
            domain = self.domain
            where = domain if domain == address else f"{domain} resolves to {address}, which"
            raise OperationError(
                "TARGET_NOT_ALLOWED",
                f"{where} is {reason}; scans only reach public addresses.",
                f"address {address}: {reason}",
            )

    # The results several modules read, computed once.

    async def tls_report(self) -> TlsReport:
        return await self.shared("tls", self._inspect_tls)

    async def _inspect_tls(self) -> TlsReport:
        client = self.ctx.tls(dns=self.dns, timeout=5.0)
        return await client.inspect(self.domain, self.params.ssl_port, address=self.address())

    async def port_scan(self) -> PortScan:
        return await self.shared("ports", self._scan_ports)

    async def _scan_ports(self) -> PortScan:
        scanner = self.ctx.ports(timeout=1.0)
        return await scanner.scan(self.address(), parse_ports(self.params.ports),
                                  deadline=self.deadline())  # fmt: skip

    async def homepages(self) -> dict[str, HttpResponse]:
        return await self.shared("homepages", self._fetch_homepages)

    async def _fetch_homepages(self) -> dict[str, HttpResponse]:
        urls = {"https": self.url("https"), "http": self.url("http")}
        fetched = await asyncio.gather(*(self.fetch(u) for u in urls.values()),
                                       return_exceptions=True)  # fmt: skip
        pages = {s: r for s, r in zip(urls, fetched, strict=True) if isinstance(r, HttpResponse)}
        if not pages:
            errors = "; ".join(f"{s}: {error_text(r)}" for s, r in zip(urls, fetched, strict=True))
            raise ClientError(f"no web server answered ({errors})")
        return pages

    def url(self, scheme: str, path: str = "/") -> str:
        port = self.params.ssl_port if scheme == "https" else self.params.http_port
        default = 443 if scheme == "https" else 80
        host = f"[{self.domain}]" if ":" in self.domain else self.domain
        return f"{scheme}://{host}{'' if port == default else f':{port}'}{path}"

    async def fetch(self, url: str, *, follow: bool = True) -> HttpResponse:
        client = self.ctx.http(dns=self.dns, timeout=8.0, verify=False)
        return await client.fetch(url, address=self.address(), follow_redirects=follow)


def _unreachable(domain: str, answers: list[DnsAnswer], needs_address: bool) -> None:
    statuses = {answer.status for answer in answers}
    if DnsClient.all_timed_out(answers):
        raise OperationError("TARGET_UNREACHABLE", f"No DNS server answered for {domain}.")
    if statuses == {"NXDOMAIN"}:
        raise OperationError("TARGET_UNREACHABLE", f"{domain} does not exist in DNS.",
                             "NXDOMAIN")  # fmt: skip
    if needs_address or statuses & UNANSWERED:
        raise OperationError("TARGET_UNREACHABLE", f"{domain} has no address to scan.",
                             "DNS: " + ", ".join(sorted(statuses)))  # fmt: skip
