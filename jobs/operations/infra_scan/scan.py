"""Infrastructure scan: DNS, subdomains, TLS, ports, web technologies, WHOIS and a
vulnerability review of one domain, as one job.

Request body (camelCase or snake_case):

- ``domain`` (required): a host name (IDNA is normalised to its A-label form; a URL is
  reduced to its host). An IP literal is accepted in any spelling and written
  canonically, so the API refuses forbidden ones with ``target_not_allowed``.
- ``type``: ``comprehensive`` (default, every module), or one of ``dns``,
  ``subdomains``, ``ssl``, ``ports``, ``technologies``, ``whois``, ``vulnerability``.
- ``ports``: ports and ranges for the port scan (``[443, "8000-8100"]``); default the
  common-ports list.
- ``sslPort`` (default 443) and ``httpPort`` (default 80): where TLS is inspected and
  the web pages are fetched, so a scan can look at a site on another port.

Modules run in parallel under ``comprehensive``; the TLS report, the port scan and the
home pages are each computed once and shared (the vulnerability module reads all
three). Each module reports progress as it starts; one that fails records
``{"error": "..."}`` and the scan goes on. Cancellation is checked as each module starts
and inside long loops, and every module is bounded by the time the job has left.

Findings are ``{id, severity, title, description, evidence, module}``. An id names one
issue (``tls-expired``, ``exposed-env``); when two modules report the same id (the ssl
module and the vulnerability module both see an expired certificate) the finding is
listed once, credited to the first module in the order dns, subdomains, ssl, ports,
technologies, whois, vulnerability.

Risk score (0-100): every finding is an independent chance that the domain can be
harmed, with weights critical 0.5, high 0.25, medium 0.1, low 0.03, info 0; the score
is ``round(100 * (1 - product(1 - weight)))``. One critical finding scores 50, two
highs 44, ten mediums 65; it approaches but never needs to pass 100.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any, Literal

import idna
from publicsuffixlist import PublicSuffixList
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator
from pydantic.alias_generators import to_camel

from jobs.net import fingerprint, mailauth
from jobs.net.dns import DnsAnswer, DnsClient
from jobs.net.errors import ClientError
from jobs.net.http import HttpClient, HttpResponse
from jobs.net.policy import (
    extract_host,
    is_localhost_name,
    parse_literal_ip,
    refusal_reason,
)
from jobs.net.ports import PortResult, PortScan, parse_ports
from jobs.net.ports import scan as scan_ports
from jobs.net.tls import TlsReport
from jobs.net.tls import inspect as inspect_tls
from jobs.operations.base import Context, JobAborted, JobTimedOut, OperationError

log = logging.getLogger(__name__)

TIMEOUT = 600
SCAN_TYPES = ("comprehensive", "subdomains", "ssl", "dns", "technologies", "whois",
              "vulnerability", "ports")  # fmt: skip
MODULE_ORDER = ("dns", "subdomains", "ssl", "ports", "technologies", "whois", "vulnerability")
RESULT_KEYS = {"vulnerability": "vulnerabilities"}
STARTING = {
    "dns": "Scanning DNS...",
    "subdomains": "Enumerating subdomains...",
    "ssl": "Scanning SSL...",
    "ports": "Scanning ports...",
    "technologies": "Detecting technologies...",
    "whois": "Looking up WHOIS...",
    "vulnerability": "Checking vulnerabilities...",
}
# Modules that need an address to connect to; the others work from DNS and WHOIS alone.
CONNECTING = {"ssl", "ports", "technologies", "vulnerability"}
SEVERITIES = ("critical", "high", "medium", "low", "info")
RISK_WEIGHTS = {"critical": 0.5, "high": 0.25, "medium": 0.1, "low": 0.03, "info": 0.0}
RECORD_TYPES = ("A", "AAAA", "MX", "NS", "TXT", "CNAME", "SOA", "CAA")
UNANSWERED = {"TIMEOUT", "SERVFAIL", "REFUSED", "ERROR"}
WORDLIST = Path(__file__).with_name("data") / "subdomains.txt"
DNS_TIMEOUT = 2.0
SUBDOMAIN_CHUNK = 200
FINISH_RESERVE = 3.0  # seconds kept back from module budgets to assemble the result
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


# --- the request -----------------------------------------------------------------------------


class Params(BaseModel):
    model_config = ConfigDict(populate_by_name=True, alias_generator=to_camel, extra="forbid")

    domain: str
    type: Literal[SCAN_TYPES] = Field(  # type: ignore[valid-type]
        "comprehensive", title="Scan type",
        description="comprehensive runs every module; the others run one.")
    ports: list[StrictInt | StrictStr] | None = Field(
        None, description="Ports and ranges such as 443, 8000-8100; empty scans the "
                          "common ports.")
    ssl_port: int = Field(443, ge=1, le=65535, description="Port of the TLS and HTTPS checks.")
    http_port: int = Field(80, ge=1, le=65535, description="Port of the plain HTTP checks.")

    @field_validator("domain", mode="before")
    @classmethod
    def _domain(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("not a valid host name")
        return normalise_domain(value)

    @field_validator("ports")
    @classmethod
    def _ports(cls, value: list | None) -> list | None:
        parse_ports(value)  # raises ValueError with the reason
        return value


def normalise_domain(value: str) -> str:
    """The host an infra scan is about: an A-label name, or a canonical IP literal."""
    host = extract_host(value).strip()
    if host.startswith("["):
        host = host[1:-1]
    literal = parse_literal_ip(host)
    if literal is not None:
        return str(literal)
    try:
        name = idna.encode(host.rstrip(".").lower(), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValueError("not a valid host name") from None
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("not a valid host name")
    if labels[-1].isdigit():
        raise ValueError("not a valid host name")
    return name


def target(params: Params) -> str:
    return params.domain


def literal_targets(params: Params) -> list[tuple[str, str]]:
    return [("domain", params.domain)]


# --- running ---------------------------------------------------------------------------------


async def run(params: Params, ctx: Context) -> dict:
    return await _scan(params, ctx)


async def _scan(params: Params, ctx: Context) -> dict:
    started = _now()
    modules = _modules_for(params.type)
    scan = Scan(params, ctx, total=len(modules) + 1)
    try:
        await scan.step(f"Resolving {params.domain}...")
        # A single connecting module is pointless without an address; a comprehensive
        # scan of a name with no address still has DNS, subdomains and WHOIS to offer.
        await scan.resolve_target(needs_address=params.type in CONNECTING)
        outcomes = await _gather_modules(scan, modules)
    finally:
        scan.close()
    findings = _merge_findings(outcomes)
    await ctx.aprogress(scan.total, scan.total, "Done")
    return {
        "domain": params.domain,
        "scanType": params.type,
        "startedAt": started,
        "finishedAt": _now(),
        "modules": {RESULT_KEYS.get(name, name): value for name, value, _ in outcomes},
        "findings": findings,
        "summary": summarise(findings),
    }


def _modules_for(scan_type: str) -> list[str]:
    return list(MODULE_ORDER) if scan_type == "comprehensive" else [scan_type]


async def _gather_modules(scan: Scan, modules: list[str]) -> list[tuple[str, Any, list]]:
    tasks = [asyncio.create_task(_run_module(scan, name)) for name in modules]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        # Cancelled or timed out: stop the sibling modules before handing the error up.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _run_module(scan: Scan, name: str) -> tuple[str, Any, list]:
    await scan.step(STARTING[name])
    try:
        async with asyncio.timeout(scan.budget()):
            value, findings = await MODULES[name](scan)
    except (JobAborted, JobTimedOut):
        raise
    except TimeoutError:
        return name, {"error": "the module ran out of time"}, []
    except ClientError as exc:
        return name, {"error": exc.message}, []
    except Exception:  # one broken module must not sink the scan; the log has details
        log.exception("infra_scan module %s failed for %s", name, scan.domain)
        return name, {"error": "the module failed unexpectedly"}, []
    return name, value, [{**finding, "module": name} for finding in findings]


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
            _refuse_if_forbidden(self.domain, self.domain)
            return
        if is_localhost_name(self.domain):
            raise OperationError("TARGET_NOT_ALLOWED", f"{self.domain} is a loopback name.")
        answers = await self.dns.query_many([(self.domain, "A"), (self.domain, "AAAA")])
        self.addresses = [r for answer in answers for r in answer.records]
        for address in self.addresses:
            _refuse_if_forbidden(self.domain, address)
        if not self.addresses:
            _unreachable(self.domain, answers, needs_address)

    # The results several modules read, computed once.

    async def tls_report(self) -> TlsReport:
        return await self.shared("tls", self._inspect_tls)

    async def _inspect_tls(self) -> TlsReport:
        return await inspect_tls(self.domain, self.params.ssl_port, address=self.address(),
                                 dns=self.dns, timeout=5.0)  # fmt: skip

    async def port_scan(self) -> PortScan:
        return await self.shared("ports", self._scan_ports)

    async def _scan_ports(self) -> PortScan:
        ports = parse_ports(self.params.ports)
        return await scan_ports(self.address(), ports, timeout=1.0, deadline=self.deadline())

    async def homepages(self) -> dict[str, HttpResponse]:
        return await self.shared("homepages", self._fetch_homepages)

    async def _fetch_homepages(self) -> dict[str, HttpResponse]:
        urls = {"https": self.url("https"), "http": self.url("http")}
        fetched = await asyncio.gather(*(self.fetch(u) for u in urls.values()),
                                       return_exceptions=True)  # fmt: skip
        pages = {s: r for s, r in zip(urls, fetched, strict=True) if isinstance(r, HttpResponse)}
        if not pages:
            errors = "; ".join(f"{s}: {_error_text(r)}" for s, r in zip(urls, fetched, strict=True))
            raise ClientError(f"no web server answered ({errors})")
        return pages

    def url(self, scheme: str, path: str = "/") -> str:
        port = self.params.ssl_port if scheme == "https" else self.params.http_port
        default = 443 if scheme == "https" else 80
        host = f"[{self.domain}]" if ":" in self.domain else self.domain
        return f"{scheme}://{host}{'' if port == default else f':{port}'}{path}"

    async def fetch(self, url: str, *, follow: bool = True) -> HttpResponse:
        client = HttpClient(dns=self.dns, timeout=8.0, verify=False)
        return await client.fetch(url, address=self.address(), follow_redirects=follow)


def _refuse_if_forbidden(domain: str, address: str) -> None:
    ip = parse_literal_ip(address)
    reason = refusal_reason(ip) if ip is not None else "not an address"
    if reason:
        where = domain if domain == address else f"{domain} resolves to {address}, which"
        raise OperationError(
            "TARGET_NOT_ALLOWED",
            f"{where} is {reason}; scans only reach public addresses.",
            f"address {address}: {reason}",
        )


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


def _error_text(outcome: BaseException | HttpResponse) -> str:
    if isinstance(outcome, ClientError):
        return outcome.message
    return str(outcome) or type(outcome).__name__


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --- findings and the summary ------------------------------------------------------------------


def finding(id: str, severity: str, title: str, description: str, evidence: str = "") -> dict:  # noqa: A002
    return mailauth.issue(id, severity, title, description, evidence)


def _merge_findings(outcomes: list[tuple[str, Any, list]]) -> list[dict]:
    seen: dict[str, dict] = {}
    by_module = {name: found for name, _value, found in outcomes}
    for name in MODULE_ORDER:
        for item in by_module.get(name, []):
            seen.setdefault(item["id"], item)
    return sorted(seen.values(), key=lambda f: (SEVERITIES.index(f["severity"]), f["id"]))


def summarise(findings: list[dict]) -> dict:
    counts = {severity: 0 for severity in SEVERITIES}
    safe = 1.0
    for item in findings:
        counts[item["severity"]] += 1
        safe *= 1.0 - RISK_WEIGHTS[item["severity"]]
    return {"findingsBySeverity": counts, "riskScore": int(100 * (1.0 - safe) + 0.5)}


# --- module: dns -------------------------------------------------------------------------------


async def module_dns(scan: Scan) -> tuple[dict, list[dict]]:
    _needs_name(scan, "DNS records")
    questions = [(scan.domain, t) for t in RECORD_TYPES] + [(f"_dmarc.{scan.domain}", "TXT")]
    answers = await scan.dns.query_many(questions)
    if DnsClient.all_timed_out(answers):
        raise ClientError("no DNS server answered")
    by_type = dict(zip(RECORD_TYPES, answers, strict=False))
    records = {rtype: _records(rtype, by_type[rtype].records) for rtype in RECORD_TYPES}
    spf = _judged(by_type["TXT"], mailauth.analyse_spf)
    dmarc = _judged(answers[-1], mailauth.analyse_dmarc)
    caa = _judged(by_type["CAA"], mailauth.analyse_caa)
    issues = [*spf.get("issues", []), *dmarc.get("issues", []), *caa.get("issues", [])]
    value = {"records": records, "spf": spf, "dmarc": dmarc, "caa": caa}
    return value, issues + _zone_findings(records)


def _needs_name(scan: Scan, what: str) -> None:
    if scan.is_ip:
        raise ClientError(f"{what} need a domain name, not an IP address")


def _records(rtype: str, texts: list[str]) -> Any:
    if rtype == "MX":
        return sorted((_mx(t) for t in texts), key=lambda m: (m["preference"], m["exchange"]))
    if rtype == "SOA":
        return _soa(texts[0]) if texts else None
    if rtype == "CAA":
        return mailauth.analyse_caa(texts)["records"]
    return sorted(texts)


def _mx(text: str) -> dict:
    preference, _, exchange = text.partition(" ")
    return {"preference": int(preference), "exchange": exchange}


def _soa(text: str) -> dict:
    keys = ("mname", "rname", "serial", "refresh", "retry", "expire", "minimum")
    parts = text.split()
    return {k: (int(v) if i >= 2 else v) for i, (k, v) in enumerate(zip(keys, parts, strict=False))}


def _judged(answer: DnsAnswer, analyse: Callable[[list[str]], dict]) -> dict:
    # A server failure says nothing about the record: judge only real answers.
    if answer.status in UNANSWERED:
        return {"record": None, "error": f"DNS answered {answer.status}"}
    return analyse(answer.records)


def _zone_findings(records: dict) -> list[dict]:
    found = []
    if not records["MX"]:
        found.append(finding("dns-no-mx", "info", "No MX record",
                             "The domain receives no mail (or relies on its A record).", ""))
    if len(records["NS"]) == 1:
        found.append(finding("dns-single-ns", "low", "Only one name server",
                             "One name server is a single point of failure for the domain.",
                             records["NS"][0]))  # fmt: skip
    return found


# --- module: subdomains -------------------------------------------------------------------------


async def module_subdomains(scan: Scan) -> tuple[list, list[dict]]:
    _needs_name(scan, "subdomain searches")
    wildcard = await _wildcard_addresses(scan)
    from_certificate = await _certificate_names(scan)
    names = {f"{label}.{scan.domain}": "wordlist" for label in wordlist()}
    for name in from_certificate:
        names.setdefault(name, "certificate")
    resolved = await _resolve_names(scan, list(names))
    entries = [
        {"name": name, "addresses": addresses, "source": names[name]}
        for name, addresses in sorted(resolved.items())
        if addresses and not (names[name] == "wordlist" and set(addresses) <= wildcard)
    ]
    return entries, _subdomain_findings(scan, entries, wildcard)


@cache
def wordlist() -> tuple[str, ...]:
    lines = WORDLIST.read_text(encoding="utf-8").splitlines()
    return tuple(dict.fromkeys(s.strip().lower() for s in lines if s.strip() and s[0] != "#"))


async def _wildcard_addresses(scan: Scan) -> set[str]:
    """Addresses that names which cannot exist resolve to (a wildcard record), if any."""
    probes = [f"{secrets.token_hex(8)}.{scan.domain}" for _ in range(2)]
    found = await asyncio.gather(*(scan.dns.addresses(name) for name in probes))
    return {address for addresses in found for address in addresses}


async def _certificate_names(scan: Scan) -> list[str]:
    try:
        report = await scan.tls_report()
    except ClientError:
        return []  # no TLS here: the wordlist still works
    sans = report.certificate.sans if report.certificate else []
    suffix = "." + scan.domain
    return sorted({s.lower().rstrip(".") for s in sans
                   if s.lower().endswith(suffix) and not s.startswith("*")})  # fmt: skip


async def _resolve_names(scan: Scan, names: list[str]) -> dict[str, list[str]]:
    resolved: dict[str, list[str]] = {}
    for start in range(0, len(names), SUBDOMAIN_CHUNK):
        await scan.ctx.acheck()
        chunk = names[start : start + SUBDOMAIN_CHUNK]
        results = await asyncio.gather(*(scan.dns.addresses(name) for name in chunk))
        resolved.update(zip(chunk, results, strict=True))
    return resolved


def _subdomain_findings(scan: Scan, entries: list[dict], wildcard: set[str]) -> list[dict]:
    found = []
    if wildcard:
        found.append(finding("dns-wildcard", "info", "Wildcard DNS record",
                             f"Every name under {scan.domain} resolves; wordlist results that "
                             "only match the wildcard were left out.",
                             ", ".join(sorted(wildcard))))  # fmt: skip
    internal = [f"{e['name']} -> {a}" for e in entries for a in e["addresses"]
                if (ip := parse_literal_ip(a)) is not None and refusal_reason(ip)]  # fmt: skip
    if internal:
        found.append(finding("dns-internal-addresses", "low", "Internal addresses in public DNS",
                             "Subdomains publish private or reserved addresses, which maps "
                             "the internal network for anyone.", "; ".join(internal[:20])))
    return found


# --- module: ssl --------------------------------------------------------------------------------


async def module_ssl(scan: Scan) -> tuple[dict, list[dict]]:
    report = await scan.tls_report()
    return report.as_dict(), tls_findings(report)


def tls_findings(report: TlsReport) -> list[dict]:
    found = _protocol_findings(report.protocols)
    cert = report.certificate
    if cert is None:
        return found
    found += _validity_findings(cert)
    if cert.key_type == "RSA" and (cert.key_size or 0) < 2048:
        found.append(finding("tls-weak-key", "high", "Weak certificate key",
                             "RSA keys shorter than 2048 bits can be broken.",
                             f"RSA {cert.key_size} bits"))  # fmt: skip
    if re.search(r"md5|sha1(?!\d)", cert.signature_algorithm, re.IGNORECASE):
        found.append(finding("tls-weak-signature", "high", "Weak certificate signature",
                             "MD5 and SHA-1 signatures can be forged.", cert.signature_algorithm))
    return found


def _protocol_findings(protocols: dict) -> list[dict]:
    found = []
    for version in ("TLSv1.0", "TLSv1.1"):
        if protocols.get(version) is True:
            found.append(finding(f"tls-{version[4:]}-enabled", "medium",
                                 f"{version} accepted", f"{version} is deprecated (RFC 8996) "
                                 "and has known weaknesses.", f"{version} handshake succeeded"))
    if protocols.get("TLSv1.2") is False and protocols.get("TLSv1.3") is False:
        found.append(finding("tls-no-modern-version", "high", "No modern TLS version",
                             "Neither TLS 1.2 nor TLS 1.3 is accepted.", str(protocols)))
    return found


def _validity_findings(cert) -> list[dict]:
    found = []
    not_after = cert.not_after.strftime("%Y-%m-%d")
    if cert.days_left < 0:
        found.append(finding("tls-expired", "high", "Certificate expired",
                             "Browsers refuse the site; clients that do not are exposed.",
                             f"notAfter {not_after} ({-cert.days_left} days ago)"))  # fmt: skip
    elif cert.days_left <= 30:
        severity = "high" if cert.days_left <= 7 else "medium"
        found.append(finding("tls-expiring", severity, "Certificate expires soon",
                             "Renew it before browsers start refusing the site.",
                             f"notAfter {not_after} ({cert.days_left} days left)"))  # fmt: skip
    if cert.self_signed:
        found.append(finding("tls-self-signed", "high", "Self-signed certificate",
                             "No authority vouches for it; visitors cannot tell it from an "
                             "attacker's.", cert.subject))  # fmt: skip
    elif cert.chain_valid is False and cert.days_left >= 0:
        found.append(finding("tls-untrusted-chain", "high", "Certificate chain not trusted",
                             "The chain does not lead to a trusted authority.",
                             cert.chain_error or ""))  # fmt: skip
    if cert.hostname_match is False:
        found.append(finding("tls-hostname-mismatch", "high", "Certificate does not match host",
                             "The certificate is for other names.", ", ".join(cert.sans)))
    return found


# --- module: ports ------------------------------------------------------------------------------

RISKY_SERVICES: dict[str, tuple[str, str, str]] = {
    "telnet": ("high", "Telnet exposed", "Telnet sends passwords in clear text."),
    "ftp": ("medium", "FTP exposed", "FTP sends passwords in clear text."),
    "microsoft-ds": ("high", "SMB exposed", "SMB on the Internet invites worms and brute force."),
    "netbios-ssn": ("high", "NetBIOS exposed", "NetBIOS session service should stay internal."),
    "ms-wbt-server": ("high", "RDP exposed", "Remote Desktop is a top ransomware entry point."),
    "redis": ("high", "Redis exposed", "Redis is built for trusted networks only."),
    "mongodb": ("high", "MongoDB exposed", "Databases should not face the Internet."),
    "elasticsearch": ("high", "Elasticsearch exposed", "Search clusters leak whole datasets."),
    "memcached": ("high", "Memcached exposed", "Memcached has no authentication by default."),
    "docker": ("critical", "Docker API exposed", "The Docker API gives root on the host."),
    "vnc": ("high", "VNC exposed", "VNC is often weakly protected."),
    "mysql": ("medium", "MySQL exposed", "Databases should not face the Internet."),
    "postgresql": ("medium", "PostgreSQL exposed", "Databases should not face the Internet."),
    "ms-sql-s": ("medium", "SQL Server exposed", "Databases should not face the Internet."),
    "oracle": ("medium", "Oracle listener exposed", "Databases should not face the Internet."),
    "rpcbind": ("medium", "RPC portmapper exposed", "rpcbind leaks services and amplifies DDoS."),
    "nfs": ("medium", "NFS exposed", "File shares should not face the Internet."),
}


async def module_ports(scan: Scan) -> tuple[list, list[dict]]:
    result = await scan.port_scan()
    found = port_findings(result.ports)
    if not result.complete:
        found.append(finding("ports-incomplete", "info", "Port scan incomplete",
                             "The scan ran out of time before every port was tried.",
                             f"{len(result.ports)} open ports found"))  # fmt: skip
    return [p.as_dict() for p in result.ports], found


def port_findings(ports: list[PortResult]) -> list[dict]:
    found = []
    for port in ports:
        risk = RISKY_SERVICES.get(port.service or "")
        if risk is None:
            continue
        severity, title, description = risk
        evidence = f"{port.port}/tcp open" + (f": {port.banner}" if port.banner else "")
        if port.service == "redis" and (port.banner or "").startswith("+PONG"):
            severity, title = "critical", "Redis open without a password"
            description = "Redis answered PING without authentication: anyone can read and write."
        found.append(finding(f"exposed-{port.service}-{port.port}", severity, title, description,
                             evidence))  # fmt: skip
    return found


# --- module: technologies -----------------------------------------------------------------------


async def module_technologies(scan: Scan) -> tuple[list, list[dict]]:
    technologies = _technologies(await scan.homepages())
    return [t.as_dict() for t in technologies], []


def _technologies(pages: dict[str, HttpResponse]) -> list[fingerprint.Technology]:
    merged: dict[str, fingerprint.Technology] = {}
    for response in pages.values():
        for tech in fingerprint.detect(response):
            if tech.name not in merged or (tech.version and not merged[tech.name].version):
                merged[tech.name] = tech
    return sorted(merged.values(), key=lambda t: (t.category, t.name))


# --- module: whois ------------------------------------------------------------------------------


async def module_whois(scan: Scan) -> tuple[dict, list[dict]]:
    _needs_name(scan, "WHOIS lookups")
    domain = registrable_domain(scan.domain)
    result = await scan.ctx.whois(dns=scan.dns, timeout=10.0).lookup(domain)
    return result.as_dict(), _whois_findings(result.fields, result.found, domain)


@cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def registrable_domain(name: str) -> str:
    """example.co.uk for www.example.co.uk: the name a registry knows about."""
    return _public_suffixes().privatesuffix(name) or name


def _whois_findings(fields: dict, found: bool, domain: str) -> list[dict]:
    if not found:
        return [finding("whois-not-found", "info", "Domain not found in WHOIS",
                        "The registry has no record of this name.", domain)]
    result = []
    days = _days_until(fields.get("expiryDate"))
    if days is not None and days <= 30:
        severity = "critical" if days < 0 else "high"
        result.append(finding("whois-expiring", severity, "Domain registration expires soon",
                              "An expired domain can be registered by anyone.",
                              f"expiry {fields['expiryDate']} ({days} days)"))  # fmt: skip
    statuses = {s.lower() for s in fields.get("statuses") or []}
    if statuses and not statuses & {"clienttransferprohibited", "servertransferprohibited"}:
        result.append(finding("whois-no-transfer-lock", "low", "No transfer lock",
                              "Without a transfer lock the domain is easier to hijack.",
                              ", ".join(sorted(statuses))))  # fmt: skip
    return result


def _days_until(iso: str | None) -> int | None:
    try:
        moment = dt.datetime.strptime(iso or "", "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return (moment - dt.datetime.now(dt.UTC)).days


# --- module: vulnerability ----------------------------------------------------------------------

SECURITY_HEADERS: list[tuple[str, str, str, str, bool]] = [
    # (header, finding id, severity, why it matters, HTTPS only)
    ("strict-transport-security", "header-missing-hsts", "medium",
     "Without HSTS a network attacker can downgrade visitors to plain HTTP.", True),
    ("content-security-policy", "header-missing-csp", "medium",
     "Without a Content Security Policy an injected script runs unchecked.", False),
    ("x-frame-options", "header-missing-x-frame-options", "low",
     "The site can be framed by others (clickjacking).", False),
    ("x-content-type-options", "header-missing-x-content-type-options", "low",
     "Browsers may guess content types and run uploads as scripts.", False),
    ("referrer-policy", "header-missing-referrer-policy", "info",
     "Full URLs may leak to other sites in the Referer header.", False),
    ("permissions-policy", "header-missing-permissions-policy", "info",
     "Powerful browser features are not restricted.", False),
]  # fmt: skip
LISTING_PATHS = ("/", "/uploads/", "/files/", "/backup/", "/images/", "/static/")
_LISTING = re.compile(r"<title>\s*(Index of /|Directory listing for /)", re.IGNORECASE)
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Z][A-Z0-9_]{1,63})\s*=", re.MULTILINE)
_GIT_HEAD = re.compile(r"^(ref: refs/[\w./-]+|[0-9a-f]{40})\s*$")


async def module_vulnerability(scan: Scan) -> tuple[list, list[dict]]:
    sources = await asyncio.gather(scan.tls_report(), scan.port_scan(), scan.homepages(),
                                   return_exceptions=True)  # fmt: skip
    tls, ports, pages = sources
    for outcome in sources:
        if isinstance(outcome, (JobAborted, JobTimedOut)):
            raise outcome
    if all(isinstance(s, BaseException) for s in sources):
        raise ClientError("nothing answered: " + "; ".join(_error_text(s) for s in sources))
    found = []
    if isinstance(tls, TlsReport):
        found += tls_findings(tls)
    if isinstance(ports, PortScan):
        found += port_findings(ports.ports)
    if isinstance(pages, dict):
        found += web_findings(pages)
        found += await _exposure_findings(scan, pages)
    return [{**f, "module": "vulnerability"} for f in found], found


def web_findings(pages: dict[str, HttpResponse]) -> list[dict]:
    main = pages.get("https") or pages["http"]
    found = _header_findings(main, secure="https" in pages)
    found += _disclosure_findings(main)
    found += _eol_findings(_technologies(pages))
    if "https" in pages and "http" in pages and not pages["http"].final_url.startswith("https:"):
        found.append(finding("http-no-https-redirect", "low", "HTTP does not redirect to HTTPS",
                             "Visitors who type the bare name stay on an unencrypted page.",
                             f"{pages['http'].url} -> {pages['http'].status}"))  # fmt: skip
    return found


def _header_findings(response: HttpResponse, *, secure: bool) -> list[dict]:
    found = []
    for header, id_, severity, why, https_only in SECURITY_HEADERS:
        if https_only and not secure:
            continue
        if header == "x-frame-options" and "frame-ancestors" in (
            response.header("content-security-policy") or ""
        ):
            continue  # CSP frame-ancestors does the same job
        if response.header(header) is None:
            found.append(finding(id_, severity, f"Missing {header} header", why,
                                 f"{response.final_url} answered {response.status} without it"))
    return found


def _disclosure_findings(response: HttpResponse) -> list[dict]:
    found = []
    for header in ("server", "x-powered-by", "x-aspnet-version"):
        value = response.header(header)
        if value and re.search(r"\d", value):
            found.append(finding(f"header-version-{header}", "low", f"Version shown in {header}",
                                 "Exact versions tell attackers which exploits to try.",
                                 f"{header}: {value}"))  # fmt: skip
    return found


def _eol_findings(technologies: list[fingerprint.Technology]) -> list[dict]:
    found = []
    for tech in technologies:
        note = fingerprint.end_of_life(tech)
        if note:
            severity = "medium" if tech.category == "javascript-library" else "high"
            slug = re.sub(r"[^a-z0-9]+", "-", tech.name.lower()).strip("-")
            found.append(finding(f"outdated-{slug}", severity,
                                 f"{tech.name} {tech.version} is out of date", note,
                                 tech.evidence))  # fmt: skip
    return found


async def _exposure_findings(scan: Scan, pages: dict[str, HttpResponse]) -> list[dict]:
    scheme = "https" if "https" in pages else "http"
    paths = ["/.git/HEAD", "/.env", *LISTING_PATHS[1:]]
    await scan.ctx.acheck()
    responses = await asyncio.gather(*(scan.fetch(scan.url(scheme, p), follow=False)
                                       for p in paths), return_exceptions=True)  # fmt: skip
    probes = {p: r for p, r in zip(paths, responses, strict=True) if isinstance(r, HttpResponse)}
    probes["/"] = pages[scheme]
    found = _git_finding(probes.get("/.git/HEAD")) + _env_finding(probes.get("/.env"))
    for path in LISTING_PATHS:
        found += _listing_finding(path, probes.get(path))
    return found


def _git_finding(response: HttpResponse | None) -> list[dict]:
    if response is None or response.status != 200:
        return []
    if not _GIT_HEAD.match(response.text.strip()):
        return []
    return [finding("exposed-git", "high", "Git repository exposed",
                    "/.git/ is served: the source code and its history can be downloaded.",
                    f"GET {response.final_url} -> 200: {response.text.strip()[:80]}")]


def _env_finding(response: HttpResponse | None) -> list[dict]:
    if response is None or response.status != 200 or "<html" in response.text[:500].lower():
        return []
    names = _ENV_LINE.findall(response.text)
    if len(names) < 2:
        return []
    # Name the variables, never their values: the report must not spread the secrets.
    return [finding("exposed-env", "critical", "Environment file exposed",
                    "/.env is served: it usually holds passwords and API keys.",
                    f"GET {response.final_url} -> 200, variables: {', '.join(names[:10])}")]


def _listing_finding(path: str, response: HttpResponse | None) -> list[dict]:
    if response is None or response.status != 200 or not _LISTING.search(response.text):
        return []
    slug = path.strip("/") or "root"
    return [finding(f"directory-listing-{slug}", "medium", "Directory listing enabled",
                    "The server lists files nobody linked to, such as backups.",
                    f"GET {response.final_url} -> 200: {response.title or ''}")]


MODULES: dict[str, Callable[[Scan], Awaitable[tuple[Any, list[dict]]]]] = {
    "dns": module_dns,
    "subdomains": module_subdomains,
    "ssl": module_ssl,
    "ports": module_ports,
    "technologies": module_technologies,
    "whois": module_whois,
    "vulnerability": module_vulnerability,
}
