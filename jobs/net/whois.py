"""WHOIS over TCP port 43 (RFC 3912), following referrals, with common fields parsed.

Without a configured server the lookup starts where the Internet's does: whois.iana.org
names the registry (``refer:``), the registry names the registrar (``Registrar WHOIS
Server:``), and the registrar usually knows most (registrant, contacts). Each server is
a target like any other: resolved once, checked by policy, connected by address.

Field names in ``fields`` are camelCase like the rest of the API: registrar,
registrarIanaId, creationDate, updatedDate, expiryDate (ISO 8601 when the server's
format is recognised), nameServers, statuses, registrantName, registrantOrganization,
registrantEmail, registrantCountry, dnssec. Later (more specific) servers override
earlier ones field by field.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from jobs.net.dns import DnsClient
from jobs.net.errors import ClientError, TargetNotAllowed
from jobs.net.names import NotAName, ascii_name
from jobs.net.policy import STRICT, Policy
from jobs.net.streams import close_stream

IANA_SERVER = "whois.iana.org"
WHOIS_PORT = 43
MAX_RESPONSE = 512 * 1024
MAX_RAW = 64 * 1024

# Keys (lower-case) that carry each field; the first wins within one response.
FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "registrar": ("registrar", "sponsoring registrar", "registrar name"),
    "registrarIanaId": ("registrar iana id",),
    "creationDate": ("creation date", "created", "created on", "registered on",
                     "domain registration date", "registration time"),
    "updatedDate": ("updated date", "last-update", "last updated", "last modified",
                    "changed", "updated on"),
    "expiryDate": ("registry expiry date", "registrar registration expiration date",
                   "expiration date", "expiry date", "expires", "expires on", "paid-till",
                   "expire date", "expiration time"),
    "registrantName": ("registrant name", "registrant"),
    "registrantOrganization": ("registrant organization", "registrant organisation", "org"),
    "registrantEmail": ("registrant email", "registrant e-mail"),
    "registrantCountry": ("registrant country", "registrant country code"),
    "dnssec": ("dnssec",),
}  # fmt: skip
LIST_KEYS: dict[str, tuple[str, ...]] = {
    "nameServers": ("name server", "nserver", "nameserver", "name servers"),
    "statuses": ("domain status", "status", "state"),
}
DATE_FIELDS = ("creationDate", "updatedDate", "expiryDate")
REFERRAL_KEYS = ("refer", "registrar whois server", "whois server", "referralserver")
NOT_FOUND = re.compile(
    r"^(no match|not found|no data found|no entries found|domain not found|status:\s*free)",
    re.IGNORECASE | re.MULTILINE,
)
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d-%b-%Y", "%Y.%m.%d", "%d.%m.%Y",
                 "%Y/%m/%d", "%d/%m/%Y", "%Y%m%d")  # fmt: skip


@dataclass
class WhoisResult:
    query: str
    server: str
    servers: list[str]
    raw: str
    fields: dict
    found: bool
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"query": self.query, "server": self.server, "servers": self.servers,
                "found": self.found, **self.fields, "errors": self.errors,
                "raw": self.raw}  # fmt: skip


class WhoisClient:
    def __init__(
        self,
        server: str | None = None,
        *,
        dns: DnsClient | None = None,
        policy: Policy = STRICT,
        timeout: float = 10.0,
        max_referrals: int = 2,
        observer: Callable[[WhoisResult], None] | None = None,
    ):
        self.server = server or IANA_SERVER
        self.dns = dns
        self.policy = policy
        self.timeout = timeout
        self.max_referrals = max_referrals
        # Sees every answer (the job's registration store recorder); must not block.
        self.observer = observer

    async def lookup(self, query: str) -> WhoisResult:
        """Ask the first server and follow referrals; ClientError if nobody answers."""
        query = _ascii(query)
        answers: list[tuple[str, str]] = []
        errors: list[str] = []
        server: str | None = self.server
        while server and len(answers) <= self.max_referrals:
            try:
                answers.append((server, await self.ask(server, query)))
            except ClientError as exc:
                if not answers and isinstance(exc, TargetNotAllowed):
                    raise
                if not answers:
                    raise ClientError(f"no WHOIS server answered: {exc.message}") from None
                errors.append(f"referral to {server}: {exc.message}")
                break
            server = _next_server(answers[-1][1], [s for s, _ in answers])
        result = _result(query, answers, errors)
        if self.observer is not None:
            self.observer(result)
        return result

    async def ask(self, server: str, query: str) -> str:
        """One question to one server ("host", "host:port", "[v6]:port")."""
        host, port = split_server(server)
        dns = self.dns or DnsClient()
        try:
            ip = (await self.policy.resolve_and_check(host, dns))[0]
        except TargetNotAllowed as exc:
            raise TargetNotAllowed(f"WHOIS server {server}: {exc.message}") from None
        try:
            return await asyncio.wait_for(self._exchange(str(ip), port, query), self.timeout)
        except TimeoutError:
            raise ClientError(f"{server} did not answer within {self.timeout:g} s") from None
        except OSError as exc:
            raise ClientError(f"cannot reach {server}: {exc.strerror or exc}") from None

    async def _exchange(self, ip: str, port: int, query: str) -> str:
        reader, writer = await asyncio.open_connection(ip, port)
        try:
            writer.write(query.encode("utf-8") + b"\r\n")
            await writer.drain()
            data = await reader.read(MAX_RESPONSE)
            while len(data) < MAX_RESPONSE and (chunk := await reader.read(MAX_RESPONSE)):
                data += chunk
        finally:
            await close_stream(writer)
        return data[:MAX_RESPONSE].decode("utf-8", "replace")


def split_server(server: str) -> tuple[str, int]:
    """("host", port) from "host", "host:port", "whois://host:port/" or "[v6]:port"."""
    text = re.sub(r"^r?whois://", "", server.strip(), flags=re.IGNORECASE).rstrip("/")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else WHOIS_PORT
    if text.count(":") == 1:
        host, port = text.split(":")
        if port.isdigit() and 0 < int(port) < 65536:
            return host, int(port)
        raise ClientError(f"bad WHOIS server {server!r}")
    return text, WHOIS_PORT


def _ascii(query: str) -> str:
    query = query.strip().rstrip(".")
    try:
        return ascii_name(query)
    except NotAName:
        return query  # not a domain name (an IP, a handle): ask as given


# --- referrals -----------------------------------------------------------------------------


def _next_server(text: str, seen: list[str]) -> str | None:
    for key, value in _pairs(text):
        if key in REFERRAL_KEYS and _looks_like_server(value):
            server = re.sub(r"^r?whois://", "", value, flags=re.IGNORECASE).rstrip("/")
            if server.lower() not in (s.lower() for s in seen):
                return server
    return None


def _looks_like_server(value: str) -> bool:
    # Some registrars publish a web page here; only host[:port] is a WHOIS server.
    return bool(value) and not re.match(r"^https?://", value, re.IGNORECASE) and " " not in value


# --- parsing -------------------------------------------------------------------------------


def _result(query: str, answers: list[tuple[str, str]], errors: list[str]) -> WhoisResult:
    fields = _empty_fields()
    records = [text for _server, text in answers if not _is_tld_referral(text)]
    for text in records:
        _merge(fields, parse_whois(text))
    raw = "\n".join(f"% {server}\n{text.strip()}" for server, text in answers)[:MAX_RAW]
    found = any(not NOT_FOUND.search(text) and _has_data(parse_whois(text)) for text in records)
    return WhoisResult(query, answers[-1][0], [s for s, _ in answers], raw, fields, found, errors)


def _is_tld_referral(text: str) -> bool:
    """IANA's answer describes the TLD, not the domain: use it only for its referral."""
    return any(key == "refer" for key, _ in _pairs(text))


def parse_whois(text: str) -> dict:
    """The common fields of one WHOIS response (see the module docstring)."""
    fields = _empty_fields()
    for key, value in _pairs(text):
        _take(fields, key, value)
    for name in DATE_FIELDS:
        if fields[name]:
            fields[name] = normalise_date(fields[name])
    return fields


def _empty_fields() -> dict:
    return {**{name: None for name in FIELD_KEYS}, **{name: [] for name in LIST_KEYS}}


def _take(fields: dict, key: str, value: str) -> None:
    for name, keys in FIELD_KEYS.items():
        if key in keys and fields[name] is None:
            fields[name] = value
            return
    for name, keys in LIST_KEYS.items():
        if key in keys:
            item = value.split()[0] if name == "statuses" else value.lower().rstrip(".")
            if item and item not in fields[name]:
                fields[name].append(item)
            return


def _merge(fields: dict, newer: dict) -> None:
    for name, value in newer.items():
        if value:
            fields[name] = value


def _has_data(fields: dict) -> bool:
    return any(fields[name] for name in ("registrar", "creationDate", "expiryDate", "nameServers"))


def _pairs(text: str):
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("%", "#", ">>>", "--")) or ":" not in line:
            continue
        key, _, value = line.partition(":")
        value = value.strip()
        if value:
            yield key.strip().lower(), value


def normalise_date(value: str) -> str:
    """ISO 8601 (UTC, "Z") when the format is recognised, else the text as given."""
    text = value.strip()
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        moment = _strptime_any(text.split(" (")[0].replace(" UTC", "").strip())
    if moment is None:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _strptime_any(text: str) -> dt.datetime | None:
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None
