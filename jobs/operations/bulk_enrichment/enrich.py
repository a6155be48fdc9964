"""One indicator, enriched: the modules asked for, in the order their inputs need.

Addresses come first (the indicator itself; a name's A/AAAA answers when ``dns`` runs;
otherwise what the organization's observation store last saw for the name, so offline
modules never send a query), then the target policy judges them, then every module
writes its section. A module that cannot answer records why in ``metadata.errors``;
only a policy refusal, a timeout or a crash makes the indicator itself fail.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jobs.net.dns import DnsClient
from jobs.net.policy import STRICT, Policy, is_localhost_name
from jobs.net.rdap import RdapClient
from jobs.net.whois import WhoisClient
from jobs.operations.bulk_enrichment import blocklists, offline, online
from jobs.operations.bulk_enrichment.indicators import Indicator
from jobs.operations.bulk_enrichment.rpki import VrpIndex

ADDRESS_MODULES = {"routing", "ip_intelligence", "rpki"}
HASH_KINDS = {"md5", "sha1", "sha256"}


class IndicatorFailed(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Env:
    """What every indicator of one job shares."""

    modules: frozenset[str]
    dns: DnsClient | None = None
    whois: WhoisClient | None = None
    rdap: RdapClient | None = None  # asked with WHOIS (the ``whois`` module) for domains
    lists: list[blocklists.BlockList] = field(default_factory=list)
    vrps: VrpIndex | None = None
    known_addresses: dict[str, list[str]] = field(default_factory=dict)
    observations: Any = None
    facts: offline.Facts = field(default_factory=offline.Facts)
    policy: Policy = STRICT


async def enrich(indicator: Indicator, env: Env) -> dict[str, Any]:
    started = time.monotonic()
    meta: dict[str, Any] = {"sources": [], "errors": {}, "skipped": []}
    item: dict[str, Any] = {"indicator": indicator.raw, "type": indicator.type}
    addresses = await _addresses(indicator, env, item, meta)
    _check_policy(indicator, addresses, env.facts, env.policy)
    await _name_modules(indicator, env, item, meta)
    _offline_modules(indicator, env, addresses, item, meta)
    if "historical" in env.modules:
        item.update(await _historical(indicator, env))
        meta["sources"].append("observations")
    item["summary"] = _summary(item, addresses)
    item["query"] = _query(indicator, started)
    item["metadata"] = {key: value for key, value in meta.items() if value}
    return item


def _query(indicator: Indicator, started: float) -> dict[str, Any]:
    query = {"type": indicator.kind, "value": indicator.value,
             "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
             "response_time_ms": round((time.monotonic() - started) * 1000, 2), "cached": False}
    if indicator.is_address:
        query["version"] = 4 if indicator.kind == "ipv4" else 6
    return query


# --- addresses and the target policy ---------------------------------------------------


async def _addresses(indicator: Indicator, env: Env, item: dict, meta: dict) -> list[str]:
    if indicator.is_address:
        return [indicator.value]
    if indicator.kind == "cidr":
        return [str(ipaddress.ip_network(indicator.value).network_address)]
    if indicator.kind in HASH_KINDS:
        return []
    if _literal(indicator.host):
        return [indicator.host]
    if "dns" in env.modules and env.dns is not None:
        return await _dns_module(indicator, env, item, meta)
    if env.modules & ADDRESS_MODULES:
        known = env.known_addresses.get(indicator.lookup_name, [])
        if known:
            meta["sources"].append("observations")
        return known
    return []


async def _dns_module(indicator: Indicator, env: Env, item: dict, meta: dict) -> list[str]:
    try:
        section, addresses = await online.dns_section(indicator, env.dns)
    except online.ModuleFailed as exc:
        meta["errors"]["dns"] = str(exc)
        return env.known_addresses.get(indicator.lookup_name, [])
    item["dns"] = section
    meta["sources"].append("dns")
    return addresses


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_policy(indicator: Indicator, addresses: list[str], facts: offline.Facts,
                  policy: Policy) -> None:
    if indicator.kind == "cidr":
        network = ipaddress.ip_network(indicator.value)
        for edge in (network.network_address, network.broadcast_address):
            reason = policy.refusal_reason(edge)
            if reason:
                raise IndicatorFailed("TARGET_NOT_ALLOWED",
                                      f"{indicator.value} holds {edge}, which is {reason}")
        return
    name = indicator.lookup_name
    if name and is_localhost_name(name):
        raise IndicatorFailed("TARGET_NOT_ALLOWED", f"{name} is a loopback name")
    for address in addresses:
        reason = policy.refusal_reason(facts.ip(address))
        if reason:
            subject = "is" if address == indicator.value else f"resolves to {address}, which is"
            what = indicator.value if address == indicator.value else name
            raise IndicatorFailed("TARGET_NOT_ALLOWED", f"{what} {subject} {reason}")


# --- the modules ---------------------------------------------------------------------------


async def _name_modules(indicator: Indicator, env: Env, item: dict, meta: dict) -> None:
    if "dns" in env.modules and env.dns is not None and "dns" not in item \
            and indicator.kind not in HASH_KINDS | {"cidr"} and "dns" not in meta["errors"]:
        await _dns_module(indicator, env, item, meta)
    if "whois" in env.modules and env.whois is not None:
        query = online.registration_query(indicator) if indicator.kind not in HASH_KINDS else None
        if query is None:
            meta["skipped"].append("whois")
            return
        try:
            item["registration"], sources = await online.registration_section(
                query, env.whois, env.rdap)
            meta["sources"].extend(sources)
        except online.ModuleFailed as exc:
            meta["errors"]["whois"] = str(exc)


def _offline_modules(indicator: Indicator, env: Env, addresses: list[str], item: dict,
                     meta: dict) -> None:
    wants = env.modules
    if wants & ADDRESS_MODULES and indicator.kind in HASH_KINDS:
        meta["skipped"].extend(sorted(wants & ADDRESS_MODULES))
    elif wants & ADDRESS_MODULES:
        single = indicator.kind in ("ipv4", "ipv6", "cidr")
        if "routing" in wants:
            item.update(offline.routing_sections(addresses, env.facts, single))
        if "ip_intelligence" in wants:
            item.update(offline.intelligence_sections(addresses, env.facts, single))
        if "rpki" in wants:
            item["rpki"] = offline.rpki_section(indicator, addresses, env.facts, env.vrps)
        meta["sources"].append("ipdata")
    if "reputation" in wants:
        item["reputation"] = offline.reputation_section(indicator, addresses, env.lists)
        meta["sources"].append("blocklists")


async def _historical(indicator: Indicator, env: Env) -> dict[str, Any]:
    if env.observations is None:
        return {"historical": {"seen": False, "reason": "no observation store"}}
    subject = indicator.lookup_name or indicator.value
    seen = await env.observations.aseen(subject)
    section: dict[str, Any] = {"subject": subject, "seen": seen is not None,
                               "first_seen": _iso(seen.first_seen) if seen else None,
                               "last_seen": _iso(seen.last_seen) if seen else None}
    result = {"historical": section}
    if indicator.is_address:
        names = await env.observations.anames_with_value(indicator.value, limit=50)
        result["relationships"] = {"names_seen_on_address": names}
    return result


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _summary(item: dict, addresses: list[str]) -> dict[str, Any]:
    routing = item.get("routing") or {}
    geo = item.get("geolocation") or {}
    reputation = item.get("reputation") or {}
    country = geo.get("country") or next(
        (row.get("country") for row in routing.get("addresses", []) if row.get("country")), None)
    return {"organization": routing.get("as_name"), "country": country,
            "asn": routing.get("asn"), "listed": bool(reputation.get("listed")),
            "listed_in": reputation.get("listed_in", []),
            "risk_score": reputation.get("score", 0), "addresses": addresses}
