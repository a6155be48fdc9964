"""An async DNS client (dnspython) that reports outcomes instead of raising them.

Every query ends in a ``DnsAnswer`` whose ``status`` tells the outcomes apart:

- ``NOERROR``: the name has records of that type (``records`` is not empty);
- ``NODATA``: the name exists but has no records of that type;
- ``NXDOMAIN``: the name does not exist;
- ``SERVFAIL`` / ``REFUSED``: a server answered with that error;
- ``TIMEOUT``: no server answered in time (or none could be reached at all);
- ``ERROR``: anything else (a malformed name, an unparseable answer), see ``error``.

Records are strings in presentation format ("10 mail.example.com." for MX,
"0 issue \\"ca.example\\"" for CAA) except TXT, whose character strings are joined and
returned unquoted ("v=spf1 -all"), because that is how every consumer reads them.

Nameservers are (host, port) pairs chosen by the caller (the job layer reads them from
``settings.DNS_NAMESERVERS``), so a test server on a high port works; none means the
system resolver configuration.
Queries are bounded by a semaphore so a thousand-name wordlist does not become a
thousand sockets at once.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.reversename

from jobs.net.errors import ClientError

STATUSES = ("NOERROR", "NODATA", "NXDOMAIN", "SERVFAIL", "TIMEOUT", "REFUSED", "ERROR")


@dataclass(frozen=True)
class DnsAnswer:
    name: str
    rtype: str
    status: str
    records: list[str] = field(default_factory=list)
    ttl: int | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "NOERROR"


class DnsClient:
    """Ask the configured nameservers; one instance may serve many concurrent queries."""

    def __init__(
        self,
        nameservers: list[tuple[str, int]] | None = None,
        timeout: float = 2.0,
        concurrency: int = 50,
        observer: Callable[[DnsAnswer], None] | None = None,
    ):
        # ``observer`` sees every answer (the job layer records them per organization).
        self.observer = observer
        nameservers = list(nameservers or [])
        self.nameservers = nameservers
        self.timeout = timeout
        self.concurrency = concurrency
        self._resolver = _make_resolver(nameservers, timeout)
        self._semaphore: asyncio.Semaphore | None = None
        self._semaphore_loop: asyncio.AbstractEventLoop | None = None

    async def query(self, name: str, rtype: str) -> DnsAnswer:
        """One question; never raises for DNS outcomes (see the module docstring)."""
        answer = await self._ask(name, rtype.upper())
        if self.observer is not None and answer.records:
            self.observer(answer)
        return answer

    async def _ask(self, name: str, rtype: str) -> DnsAnswer:
        async with self._limit():
            try:
                # dnspython's back-off between tries may overshoot its lifetime; this
                # outer bound keeps "timeout" a promise to the caller.
                async with asyncio.timeout(self.timeout + 0.05):
                    answer = await self._resolver.resolve(
                        name, rtype, raise_on_no_answer=False, lifetime=self.timeout, search=False
                    )
            except dns.resolver.NXDOMAIN:
                return DnsAnswer(name, rtype, "NXDOMAIN")
            except (dns.exception.Timeout, TimeoutError):
                return DnsAnswer(name, rtype, "TIMEOUT", error="no answer in time")
            except dns.resolver.NoNameservers as exc:
                return _failure_answer(name, rtype, exc)
            except (dns.exception.DNSException, ValueError) as exc:
                return DnsAnswer(name, rtype, "ERROR", error=str(exc) or type(exc).__name__)
        return _success_answer(name, rtype, answer)

    async def query_many(self, pairs: Iterable[tuple[str, str]]) -> list[DnsAnswer]:
        """Many questions at once (still bounded by ``concurrency``), answers in order."""
        return list(await asyncio.gather(*(self.query(n, t) for n, t in pairs)))

    async def addresses(self, name: str) -> list[str]:
        """A and AAAA records of ``name``, IPv4 first; empty if none or no answer."""
        answers = await self.query_many([(name, "A"), (name, "AAAA")])
        return list(dict.fromkeys(r for a in answers for r in a.records))

    async def reverse(self, ip: str) -> DnsAnswer:
        """The PTR answer for an address."""
        try:
            name = dns.reversename.from_address(ip).to_text()
        except (dns.exception.DNSException, ValueError):
            return DnsAnswer(ip, "PTR", "ERROR", error="not an IP address")
        return await self.query(name, "PTR")

    @staticmethod
    def all_timed_out(answers: Iterable[DnsAnswer]) -> bool:
        """True if there were answers and no server answered any of them."""
        statuses = [a.status for a in answers]
        return bool(statuses) and all(s == "TIMEOUT" for s in statuses)

    def _limit(self) -> asyncio.Semaphore:
        # asyncio primitives belong to one loop; a client reused under a new loop
        # (each asyncio.run) gets a fresh semaphore.
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._semaphore_loop is not loop:
            self._semaphore = asyncio.Semaphore(self.concurrency)
            self._semaphore_loop = loop
        return self._semaphore


def _make_resolver(nameservers: list[tuple[str, int]], timeout: float):
    if nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(_nameserver_ip(host), int(port))
            for host, port in nameservers
        ]
    else:
        try:
            resolver = dns.asyncresolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            raise ClientError("no DNS servers configured") from None
    # Per-try timeout below the lifetime so one lost UDP packet gets a second chance.
    resolver.timeout = max(timeout / 2, 0.2)
    resolver.lifetime = timeout
    resolver.retry_servfail = False
    resolver.cache = None
    return resolver


def _nameserver_ip(host: str) -> str:
    """Nameservers are infrastructure the operator chose; a name is looked up once here."""
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        return host
    except OSError:
        pass
    try:
        return socket.getaddrinfo(host, 53, proto=socket.IPPROTO_UDP)[0][4][0]
    except OSError as exc:
        raise ClientError(f"cannot resolve DNS server {host}: {exc}") from None


def _success_answer(name: str, rtype: str, answer) -> DnsAnswer:
    rrset = answer.rrset
    if rrset is None:
        return DnsAnswer(name, rtype, "NODATA")
    return DnsAnswer(name, rtype, "NOERROR", [_rdata_text(r) for r in rrset], rrset.ttl)


def _rdata_text(rdata) -> str:
    if rdata.rdtype in (dns.rdatatype.TXT, dns.rdatatype.SPF):
        return b"".join(rdata.strings).decode("utf-8", "replace")
    return rdata.to_text()


def _failure_answer(name: str, rtype: str, exc: dns.resolver.NoNameservers) -> DnsAnswer:
    """Every server failed: say whether they answered with an error or not at all."""
    errors = exc.kwargs.get("errors") or []
    rcodes = {_rcode_of(entry) for entry in errors} - {None}
    if "REFUSED" in rcodes:
        status = "REFUSED"
    elif "SERVFAIL" in rcodes:
        status = "SERVFAIL"
    elif errors and all(isinstance(entry[3], OSError) for entry in errors):
        status = "TIMEOUT"  # nothing reachable: the caller's "no server answered"
    else:
        status = "ERROR"
    return DnsAnswer(name, rtype, status, error=_errors_text(errors))


def _rcode_of(entry: tuple) -> str | None:
    response = entry[4] if len(entry) > 4 else None
    if response is None:
        return None
    return dns.rcode.to_text(response.rcode())


def _errors_text(errors: list) -> str:
    return "; ".join(f"{entry[0]}: {entry[3]}" for entry in errors)[:300]
