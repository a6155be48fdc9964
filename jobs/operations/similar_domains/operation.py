"""Lookalike domains: names a phisher could register to pass for the given one.

Generation is the pure engine in ``jobs.lookalike``; with ``options.resolve`` every name
is then looked up (A first; AAAA, MX and NS only for names that exist) through the
configured nameservers. Those lookups touch no target, so the target policy has no say.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from jobs import lookalike
from jobs.lookalike import Variant
from jobs.net.dns import DnsAnswer, DnsClient
from jobs.net.errors import ClientError
from jobs.operations.base import Context

TIMEOUT = 900
QUERY_TIMEOUT = 2.0  # seconds per DNS question (the client retries once within it)
NAMES_IN_FLIGHT = 40  # names looked up at once; each may ask up to three questions more
RESERVE = 5.0  # seconds kept back from the job's time limit to hand in the result
PROGRESS_EVERY = 0.5  # seconds between progress writes while resolving
NO_ANSWER = ("TIMEOUT",)
MISSING = ("NXDOMAIN", "SERVFAIL", "TIMEOUT", "REFUSED", "ERROR")

Technique = Literal[
    "typosquatting", "homoglyph", "bitsquatting", "tld_variation", "sounding", "prefix",
    "suffix", "contains", "levenshtein",
]
_CONFIG = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Options(BaseModel):
    model_config = _CONFIG

    resolve: bool = Field(False, description="Look every name up in DNS (A, AAAA, MX, NS).")
    distance: Literal[1, 2] = Field(1, description="Edit distance for levenshtein.")
    all_tlds: bool = Field(False, description="tld_variation: every ICANN suffix too.")


class Params(BaseModel):
    model_config = _CONFIG

    domain: str = Field(description="The domain to find lookalikes of.")
    techniques: list[Technique] = Field(
        ["typosquatting"], description="Comma-separated or a list.")
    limit: int = Field(1000, ge=1, le=10000, description="Most names per technique.")
    options: Options = Field(default_factory=Options)

    @field_validator("domain", mode="before")
    @classmethod
    def host_name(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("a host name such as example.com is expected")
        try:
            parts = lookalike.split_domain(value)
        except lookalike.InvalidDomain as exc:
            raise ValueError(str(exc)) from None
        return lookalike.to_unicode(parts.host)

    @field_validator("techniques", mode="before")
    @classmethod
    def technique_names(cls, value: Any) -> list[str]:
        if not isinstance(value, (str, list, tuple)):
            raise ValueError("a comma-separated string or a list of technique names")
        return lookalike.parse_techniques(value)


def target(params: Params) -> str:
    return params.domain


async def run(params: Params, ctx: Context) -> dict:
    await ctx.aprogress(0, 1, "Generating lookalike names")
    parts = lookalike.split_domain(params.domain)
    variants = lookalike.generate(parts, params.techniques, params.limit, _engine_options(params))
    entries = [_entry(v) for v in variants]
    resolution: dict[str, Any] = {"status": "not_requested"}
    if params.options.resolve and variants:
        await ctx.aprogress(0, len(variants), f"Resolving 0/{len(variants)}")
        resolution = await _resolve(parts.base, variants, entries, ctx)
    elif params.options.resolve:
        resolution = {"status": "completed", "checked": 0, "registered": 0}
    await ctx.aprogress(1, 1, f"Found {len(entries)} lookalike names")
    return _result(params, parts, variants, entries, resolution)


def _engine_options(params: Params) -> lookalike.Options:
    return lookalike.Options(distance=params.options.distance,
                             all_tlds=params.options.all_tlds)


def _entry(variant: Variant) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "domain": variant.display,
        "technique": lookalike.TECHNIQUES[variant.technique].label,
        "fuzzer": variant.fuzzer,
    }
    if variant.is_idn:
        entry["punycode"] = variant.name
        entry["unicode"] = variant.unicode
    return entry


def _result(params: Params, parts: lookalike.DomainParts, variants: list[Variant],
            entries: list[dict], resolution: dict) -> dict:
    counts = Counter(v.technique for v in variants)
    return {
        "domain": params.domain,
        "status": "completed",
        "similarDomains": entries,
        "totalCount": len(entries),
        "analysis": {
            "techniquesUsed": ",".join(params.techniques),
            "baseDomain": parts.base_unicode,
            "searchLimit": params.limit,
            "subdomain": parts.subdomain,
            "brand": parts.brand,
            "suffix": parts.suffix.unicode,
            "countsByTechnique": dict(counts),
            "countsByFuzzer": dict(Counter(v.fuzzer for v in variants)),
            # ``limit`` caps the names each technique adds: one that reached it stopped
            # early, and the page says there are more.
            "truncated": {name: counts[name] >= params.limit for name in params.techniques},
        },
        "resolution": resolution,
    }


# --- resolution ------------------------------------------------------------------------


async def _resolve(base: str, variants: list[Variant], entries: list[dict],
                   ctx: Context) -> dict[str, Any]:
    """Looks every variant up, filling its entry; returns the ``resolution`` summary."""
    try:
        client = ctx.dns(timeout=QUERY_TIMEOUT, concurrency=NAMES_IN_FLIGHT * 2)
    except ClientError as exc:
        return _unavailable(exc.message)
    trouble = await _probe(client, base)
    if trouble:
        return _unavailable(trouble)
    tally = _Tally(ctx, len(variants))
    deadline = time.monotonic() + max(0.0, ctx.remaining() - RESERVE)
    pending = iter(zip(variants, entries, strict=True))
    workers = [_worker(client, pending, tally, deadline) for _ in range(NAMES_IN_FLIGHT)]
    await asyncio.gather(*workers)
    return tally.summary(_servers(client))


async def _probe(client: DnsClient, base: str) -> str:
    """Why the servers cannot be used, or "" if they can.

    Two questions first (the input's NS, and the root's, which any resolver has cached):
    without them a dead server would cost every name its timeout.
    """
    answers = await client.query_many([(base, "NS"), (".", "NS")])
    statuses = {answer.status for answer in answers}
    if statuses <= set(NO_ANSWER):
        reason = next((a.error for a in answers if a.error), "no answer in time")
        return f"{_servers(client)}: {reason}"
    if statuses == {"REFUSED"}:
        return f"{_servers(client)} refused to answer"
    return ""


async def _worker(client: DnsClient, pending, tally: _Tally, deadline: float) -> None:
    # Workers share one iterator: asyncio runs one at a time, so no name is taken twice.
    for variant, entry in pending:
        if time.monotonic() > deadline or tally.nobody_answers():
            tally.stopped = True
            return
        entry.update(await lookup(client, variant.name))
        await tally.add(entry)


async def lookup(client: DnsClient, name: str) -> dict[str, Any]:
    """A first: most lookalikes do not exist, and NXDOMAIN ends it with one question."""
    first = await client.query(name, "A")
    if first.status in MISSING:
        return _dns_fields(first.status, first)
    aaaa, mx, ns = await asyncio.gather(
        client.query(name, "AAAA"), client.query(name, "MX"), client.query(name, "NS"))
    return _dns_fields("NOERROR", first, aaaa, mx, ns)


def _dns_fields(status: str, a: DnsAnswer, aaaa: DnsAnswer | None = None,
                mx: DnsAnswer | None = None, ns: DnsAnswer | None = None) -> dict[str, Any]:
    return {
        "registered": status == "NOERROR",
        "dnsStatus": status,
        "dnsA": a.records,
        "dnsAaaa": aaaa.records if aaaa else [],
        "dnsMx": mx.records if mx else [],
        "dnsNs": ns.records if ns else [],
    }


class _Tally:
    """Counts answers and writes progress now and then (each write is a database row)."""

    def __init__(self, ctx: Context, total: int):
        self.ctx, self.total = ctx, total
        self.checked = self.registered = self.answered = 0
        self.statuses: Counter[str] = Counter()
        self.stopped = False
        self._last_report = time.monotonic()

    async def add(self, entry: dict) -> None:
        self.checked += 1
        self.registered += entry["registered"]
        self.answered += entry["dnsStatus"] not in NO_ANSWER
        self.statuses[entry["dnsStatus"]] += 1
        now = time.monotonic()
        if now - self._last_report >= PROGRESS_EVERY or self.checked == self.total:
            self._last_report = now
            await self.ctx.aprogress(self.checked, self.total,
                                     f"Resolving {self.checked}/{self.total}")

    def nobody_answers(self) -> bool:
        """The servers went quiet: enough names asked that silence is not bad luck."""
        return self.answered == 0 and self.checked >= NAMES_IN_FLIGHT

    def summary(self, servers: str) -> dict[str, Any]:
        if self.answered == 0 and self.checked:
            return _unavailable(f"{servers}: every query timed out")
        summary: dict[str, Any] = {
            "status": "partial" if self.stopped else "completed",
            "checked": self.checked,
            "registered": self.registered,
            "total": self.total,
            "statuses": dict(self.statuses),
        }
        if self.stopped:
            summary["message"] = (f"Stopped at the job's time limit after {self.checked} "
                                  f"of {self.total} names.")
        return summary


def _unavailable(reason: str) -> dict[str, Any]:
    return {"status": "unavailable", "checked": 0, "registered": 0,
            "message": f"No DNS server answered ({reason}); names were generated but not "
                       "looked up."}


def _servers(client: DnsClient) -> str:
    return ", ".join(f"{host}:{port}" for host, port in client.nameservers) or "system resolver"
