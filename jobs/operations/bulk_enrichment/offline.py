"""The modules that answer from local data only: routing, ip_intelligence, rpki, reputation.

Nothing here touches the network: addresses come from the offline IP data, block lists
and the VRP set come from the database (``datasets``), loaded once per job.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from jobs.net import policy
from jobs.operations.bulk_enrichment import blocklists, ipdata
from jobs.operations.bulk_enrichment.indicators import Indicator
from jobs.operations.bulk_enrichment.rpki import VrpIndex

# AS names (as the GeoLite2 data spells them) of networks that are cloud platforms.
CLOUD_AS_NAMES = {
    "AMAZON": "Amazon Web Services", "GOOGLE-CLOUD": "Google Cloud", "GOOGLE": "Google",
    "MICROSOFT": "Microsoft Azure", "CLOUDFLARENET": "Cloudflare", "DIGITALOCEAN": "DigitalOcean",
    "OVH": "OVHcloud", "HETZNER": "Hetzner", "LINODE": "Akamai Linode", "AKAMAI": "Akamai",
    "ORACLE": "Oracle Cloud", "ALIBABA": "Alibaba Cloud", "TENCENT": "Tencent Cloud",
    "FASTLY": "Fastly", "VULTR": "Vultr", "CHOOPA": "Vultr", "SCALEWAY": "Scaleway",
    "IBM-CLOUD": "IBM Cloud", "SOFTLAYER": "IBM Cloud", "HUAWEI": "Huawei Cloud",
    "CONTABO": "Contabo", "HOSTINGER": "Hostinger", "INCAPSULA": "Imperva",
}  # fmt: skip
# Networks that announce the same prefixes from many places (public resolvers, CDNs).
ANYCAST_AS_NAMES = ("CLOUDFLARENET", "QUAD9", "FASTLY", "INCAPSULA", "NEUSTAR", "ULTRADNS",
                    "VERISIGN", "OPENDNS", "CISCO-UMBRELLA", "NSONE", "DNSIMPLE")


class Facts:
    """Per-job memo of what is known about each address: domains share addresses, and
    one indicator asks about the same address in several modules."""

    def __init__(self):
        self._ips: dict[str, ipaddress.IPv4Address | ipaddress.IPv6Address] = {}
        self._seen: dict[str, ipdata.IpFacts] = {}

    def ip(self, address: str):
        ip = self._ips.get(address)
        if ip is None:
            ip = self._ips[address] = ipaddress.ip_address(address)
        return ip

    def of(self, address: str) -> ipdata.IpFacts:
        facts = self._seen.get(address)
        if facts is None:
            facts = self._seen[address] = ipdata.lookup(self.ip(address))
        return facts


def routing_sections(addresses: list[str], facts: Facts, single: bool) -> dict[str, Any]:
    """``routing``, ``network`` and ``isp`` for the indicator's addresses (first one leads).

    ``single``: the indicator is one address, so the per-address list would only repeat it.
    """
    rows = [_route_row(address, facts.of(address)) for address in addresses]
    if not rows:
        return {"routing": {"status": "no_address"}}
    lead = rows[0]
    routing = {"asn": lead["asn"], "as_name": lead["as_name"], "prefix": lead["prefix"],
               "country": lead["country"]}
    if not single:
        routing.update(asns=sorted({r["as_name"] for r in rows if r["as_name"]}),
                       addresses=rows)
    return {
        "routing": routing,
        "network": {"address": lead["address"], "prefix": lead["prefix"],
                    "block": facts.of(lead["address"]).network,
                    "version": facts.ip(lead["address"]).version},
        "isp": {"name": lead["as_name"], "asn": lead["asn"]},
    }


def _route_row(address: str, facts: ipdata.IpFacts) -> dict[str, Any]:
    return {"address": address, "asn": facts.asn, "as_name": facts.as_name,
            "prefix": facts.prefix, "country": facts.country}


def intelligence_sections(addresses: list[str], facts: Facts, single: bool) -> dict[str, Any]:
    """``ip_intelligence`` and ``geolocation`` for the indicator's addresses."""
    rows = [_intel_row(facts.ip(address), facts.of(address)) for address in addresses]
    if not rows:
        return {"ip_intelligence": {"status": "no_address"}}
    lead = facts.of(addresses[0])
    intelligence = {"is_public": all(r["is_public"] for r in rows),
                    "special_use": rows[0]["special_use"], "anycast": rows[0]["anycast"],
                    "cloud": rows[0]["cloud"]}
    if not single:
        intelligence["addresses"] = rows
    return {
        "ip_intelligence": intelligence,
        "geolocation": {"country": lead.country, "country_name": lead.country_name,
                        "city": lead.city, "source": lead.source},
    }


def _intel_row(ip, facts: ipdata.IpFacts) -> dict[str, Any]:
    special = policy.non_public_reason(ip)
    return {"address": ip.compressed, "version": ip.version, "is_public": special is None,
            "special_use": special, "anycast": _anycast(facts), "cloud": _cloud(facts),
            "country": facts.country, "as_name": facts.as_name}


def _cloud(facts: ipdata.IpFacts) -> str | None:
    name = (facts.as_name or "").upper()
    if not name:
        return "unknown"
    for key, provider in CLOUD_AS_NAMES.items():
        if key in name:
            return provider
    return None


def _anycast(facts: ipdata.IpFacts) -> str:
    """"likely" for networks known to announce anycast; otherwise the data cannot tell."""
    name = (facts.as_name or "").upper()
    return "likely" if any(key in name for key in ANYCAST_AS_NAMES) else "unknown"


def rpki_section(indicator: Indicator, addresses: list[str], facts: Facts,
                 vrps: VrpIndex | None) -> dict[str, Any]:
    if vrps is None:
        return {"status": "unknown", "reason": "no VRP set is loaded (set RPKI_VRP_PATH or "
                                               "RPKI_VRP_URL)", "routes": []}
    routes = [_route(indicator, address, facts, vrps) for address in addresses]
    routes = [r for r in routes if r]
    if not routes:
        return {"status": "unknown", "reason": "no routed prefix known", "routes": []}
    return {"status": routes[0]["status"], "routes": routes, "vrp_count": vrps.size}


def _route(indicator: Indicator, address: str, facts: Facts, vrps: VrpIndex) -> dict | None:
    found = facts.of(address)
    prefix = indicator.value if indicator.kind == "cidr" else found.prefix
    if not prefix:
        return None
    return {"address": address, **vrps.validate(prefix, found.asn)}


def reputation_section(indicator: Indicator, addresses: list[str],
                       lists: list[blocklists.BlockList]) -> dict[str, Any]:
    if not lists:
        return {"status": "no_lists", "listed": False, "listed_in": [], "score": 0,
                "matches": [], "reason": "no block lists are configured (REPUTATION_LISTS)"}
    matches = []
    for block_list in lists:
        entry = block_list.matches(indicator) or _address_match(block_list, indicator,
                                                                 addresses)
        if entry:
            matches.append({"list": block_list.name, "entry": entry})
    listed_in = [m["list"] for m in matches]
    section = {"listed": bool(listed_in), "listed_in": listed_in,
               "score": blocklists.score(len(listed_in))}
    if matches:
        section["matches"] = matches
    return section


def _address_match(block_list: blocklists.BlockList, indicator: Indicator,
                   addresses: list[str]) -> str | None:
    if indicator.kind in ("ipv4", "ipv6", "cidr"):
        return None
    for address in addresses:
        kind = f"ipv{ipaddress.ip_address(address).version}"
        entry = block_list.matches(Indicator(address, kind, address))
        if entry:
            return f"{entry} (an address of {indicator.lookup_name})"
    return None
