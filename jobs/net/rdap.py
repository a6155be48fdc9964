"""RDAP (RFC 9082/9083) domain lookups over HTTP(S), and the IANA bootstrap (RFC 9224).

Where a domain's RDAP server is: one base URL for every name (``server``, for private
deployments and tests), or the registry that IANA's bootstrap file (``dns.json``) names
for the longest matching suffix of the name. Without either the client is not
configured: ``domain()`` raises ``RdapNotConfigured`` and ``configured`` is False, so
operations can say so instead of failing or saying nothing.

Requests go through ``HttpClient``: every hop (the first URL, each redirect) is resolved
once, judged by the target policy and connected by that address. Answers are bounded
(``max_body``; a longer one is refused, not cut: half a JSON document is no answer) and
must be an RDAP domain object served as JSON. Failures are ``RdapError`` subclasses, all
``ClientError``s: ``RdapNotFound`` (404), ``RdapRateLimited`` (429, with the server's
Retry-After in seconds), ``RdapBadAnswer`` (not JSON, not a domain object, too large).

``fields(document)`` (``jobs.net.rdap_fields``) reads the values WHOIS results carry
(same camelCase names as ``jobs.net.whois``), so an operation can show either, or one
filling the other's gaps.

A registry of the thin kind (.com, .net) answers without the registrant; its domain
object links to the registrar's RDAP answer (a ``related`` link of type
``application/rdap+json``, as ICANN's RDAP profile asks). The client follows that one
link, through the same policy-checked client, and the answer's ``fields`` are the
registry's with their gaps filled from the registrar's. A registrar that fails is noted
(``registrar_error``), never the lookup's failure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from jobs.net.dns import DnsClient
from jobs.net.errors import ClientError
from jobs.net.http import HttpClient
from jobs.net.names import NotAName, ascii_name
from jobs.net.policy import STRICT, Policy
from jobs.net.rdap_fields import fields, fill_gaps, objects_in

MAX_ANSWER = 1024 * 1024  # a domain object is a few kB; a megabyte is generous
ACCEPT = "application/rdap+json, application/json;q=0.9"
JSON_TYPES = re.compile(r"^application/([a-z0-9.+-]+\+)?json$")
NOT_CONFIGURED = ("RDAP is not configured: set RDAP_SERVER (one base URL) or "
                  "RDAP_BOOTSTRAP_FILE (IANA's dns.json)")


class RdapError(ClientError):
    """An RDAP lookup failed; ``status`` is the HTTP status when a server answered."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class RdapNotConfigured(RdapError):
    """No RDAP server is known at all (no base URL, no bootstrap data)."""


class NoRdapServer(RdapError):
    """The bootstrap data names no RDAP server for this name's top-level domain."""


class RdapNotFound(RdapError):
    """The server has no such object (404)."""


class RdapRateLimited(RdapError):
    """The server asks us to slow down (429); ``retry_after`` seconds, when it said."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message, status=429)
        self.retry_after = retry_after


class RdapBadAnswer(RdapError):
    """The server answered with something that is not an RDAP domain object."""


@dataclass
class RdapAnswer:
    query: str
    server: str  # the base URL asked
    url: str  # the URL of the request (redirects are in ``redirects``)
    document: dict
    address: str = ""
    redirects: list[dict] = field(default_factory=list)
    # The registrar's answer the registry's links to, when there was one to follow.
    registrar: RdapAnswer | None = None
    registrar_error: str | None = None

    @property
    def fields(self) -> dict:
        own = fields(self.document)
        if self.registrar is None:
            return own
        return fill_gaps(own, self.registrar.fields)[0]


@dataclass
class RdapOutcome:
    """A lookup that may have failed, for results that report RDAP beside other sources."""

    answer: RdapAnswer | None
    configured: bool
    error: str | None = None

    def as_dict(self) -> dict:
        found = self.answer is not None
        out = {"configured": self.configured, "found": found,
               "server": self.answer.server if found else None,
               "url": self.answer.url if found else None, "error": self.error}
        if found and (self.answer.registrar or self.answer.registrar_error):
            registrar = self.answer.registrar
            out["registrar"] = {"url": registrar.url if registrar else None,
                                "error": self.answer.registrar_error}
        return out


class Bootstrap:
    """IANA's RDAP bootstrap for domains (RFC 9224): TLD or suffix -> base URLs."""

    def __init__(self, services: dict[str, list[str]], publication: str = ""):
        self.services = services
        self.publication = publication

    @classmethod
    def from_json(cls, text: str | bytes) -> Bootstrap:
        """Parses a ``dns.json``; ValueError if it is not one."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("services"), list):
            raise ValueError("no \"services\" list: not an RDAP bootstrap file")
        services: dict[str, list[str]] = {}
        for entry in data["services"]:
            if not (isinstance(entry, list) and len(entry) >= 2):
                raise ValueError(f"a service entry is not [entries, urls]: {entry!r:.80}")
            urls = [u for u in entry[1] if isinstance(u, str) and _is_http(u)]
            for suffix in entry[0]:
                if isinstance(suffix, str) and urls:
                    services[suffix.strip(".").lower()] = urls
        return cls(services, str(data.get("publication") or ""))

    def base_url(self, name: str) -> str | None:
        """The base URL for ``name`` (an A-label name): longest matching suffix, HTTPS
        first (RFC 9224 section 4); None when the file names no server for it."""
        labels = name.lower().rstrip(".").split(".")
        for start in range(len(labels)):
            urls = self.services.get(".".join(labels[start:]))
            if urls:
                return sorted(urls, key=lambda u: not u.lower().startswith("https:"))[0]
        return None

    def __len__(self) -> int:
        return len(self.services)


class RdapClient:
    def __init__(
        self,
        server: str | None = None,
        *,
        bootstrap: Bootstrap | None = None,
        dns: DnsClient | None = None,
        policy: Policy = STRICT,
        timeout: float = 10.0,
        max_answer: int = MAX_ANSWER,
        max_redirects: int = 3,
        verify: bool | str = True,
        observer: Callable[[dict], None] | None = None,
        not_configured: str = NOT_CONFIGURED,
    ):
        self.server = server or None
        self.not_configured = not_configured or NOT_CONFIGURED
        self.bootstrap = bootstrap
        self.timeout = timeout
        self.max_answer = max_answer
        self.http = HttpClient(dns=dns, policy=policy, timeout=timeout, max_body=max_answer,
                               max_redirects=max_redirects, verify=verify)
        # Sees every domain object found (the job's registration store recorder).
        self.observer = observer

    @property
    def configured(self) -> bool:
        return self.server is not None or self.bootstrap is not None

    def base_url(self, name: str) -> str:
        """The base URL to ask about ``name``; RdapNotConfigured / NoRdapServer if none."""
        if self.server:
            return self.server
        if self.bootstrap is None:
            raise RdapNotConfigured(self.not_configured)
        found = self.bootstrap.base_url(name)
        if found is None:
            tld = name.rpartition(".")[2]
            raise NoRdapServer(f"the RDAP bootstrap data names no server for .{tld}")
        return found

    async def domain(self, name: str) -> RdapAnswer:
        """The domain object for ``name``; RdapError (a ClientError) if there is none."""
        query = _ascii(name)
        base = self.base_url(query)
        answer = await self._ask(query, base, domain_url(base, query))
        link = registrar_link(answer.document, answer.url)
        if link:
            try:
                answer.registrar = await self._ask(query, link, link)
            except ClientError as exc:
                answer.registrar_error = exc.message
        return answer

    async def _ask(self, query: str, base: str, url: str) -> RdapAnswer:
        try:
            # ``timeout`` bounds each hop; a redirect chain gets twice that in all.
            response = await asyncio.wait_for(
                self.http.fetch(url, headers={"Accept": ACCEPT}), self.timeout * 2)
        except TimeoutError:
            raise RdapError(f"{url} did not answer within {self.timeout * 2:g} s") from None
        document = _document(response, url, self.max_answer)
        if self.observer is not None:
            self.observer(document)
        return RdapAnswer(query, base, url, document, response.address, response.redirects)

    async def attempt(self, name: str) -> RdapOutcome:
        """``domain()`` with a failure (not configured, not found, ...) as its reason."""
        try:
            return RdapOutcome(await self.domain(name), self.configured)
        except ClientError as exc:
            return RdapOutcome(None, self.configured, exc.message)


def domain_url(base: str, name: str) -> str:
    """``<base>/domain/<name>``; a base URL without its trailing slash still works."""
    return f"{base.rstrip('/')}/domain/{name}"


def registrar_link(document: dict, asked: str) -> str | None:
    """The registrar's RDAP URL for this domain that a registry's answer links to."""
    for link in objects_in(document.get("links")):
        href, kind = str(link.get("href") or ""), str(link.get("type") or "").lower()
        if (str(link.get("rel", "")).lower() == "related" and kind.startswith(
                "application/rdap+json") and _is_http(href) and "/domain/" in href.lower()
                and href.rstrip("/") != asked.rstrip("/")):
            return href
    return None


def _ascii(name: str) -> str:
    text = name.strip().rstrip(".")
    try:
        return ascii_name(text)
    except NotAName:
        raise RdapError(f"not a domain name: {name!r}") from None


def _is_http(url: str) -> bool:
    return url.lower().startswith(("https://", "http://"))


# --- answers -------------------------------------------------------------------------------


def _document(response, url: str, limit: int) -> dict:
    status = response.status
    if status == 404:
        raise RdapNotFound(f"{url}: not found (404)", status=404)
    if status == 429:
        retry = retry_after(response.header("retry-after"))
        wait = f", retry after {retry:g} s" if retry is not None else ""
        raise RdapRateLimited(f"{url}: rate limited (429){wait}", retry_after=retry)
    if status != 200:
        raise RdapError(f"{url}: HTTP {status}{_error_title(response.body)}", status=status)
    if response.truncated:
        raise RdapBadAnswer(f"{url}: answer larger than {limit} bytes", status=status)
    kind = (response.header("content-type") or "").split(";")[0].strip().lower()
    if kind and not JSON_TYPES.match(kind):
        raise RdapBadAnswer(f"{url}: not RDAP (content type {kind})", status=status)
    try:
        document = json.loads(response.body)
    except ValueError as exc:  # also bytes that are not UTF-8
        raise RdapBadAnswer(f"{url}: not JSON ({exc})", status=status) from None
    if not isinstance(document, dict) or document.get("objectClassName") != "domain":
        raise RdapBadAnswer(f"{url}: not an RDAP domain object", status=status)
    return document


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date); None if absent/odd."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (moment - dt.datetime.now(dt.UTC)).total_seconds())


def _error_title(body: bytes) -> str:
    """RFC 9083 section 6 error bodies carry a title; show it when there is one."""
    try:
        data = json.loads(body[:65536])
    except ValueError:
        return ""
    title = data.get("title") if isinstance(data, dict) else None
    return f" ({str(title)[:200]})" if title else ""
