"""Route origin validation (RFC 6811) against the VRP set the operator loads.

The VRP file is the JSON that rpki-client (``-j``) and Routinator (``--format json``)
export: ``{"roas": [{"prefix": "192.0.2.0/24", "maxLength": 24, "asn": 64496 or
"AS64496", "ta": "..."}]}``. A route is ``valid`` when a covering VRP has its origin AS
and a max length at least its length, ``invalid`` when covering VRPs exist but none
matches, ``not-found`` when no VRP covers it.
"""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict


def parse_vrps(text: str) -> list[list]:
    """[[prefix, max_length, asn], ...]; ValueError if it is not a VRP export."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    roas = document.get("roas") if isinstance(document, dict) else None
    if not isinstance(roas, list):
        raise ValueError('not a VRP export: no "roas" list')
    return [_vrp(roa) for roa in roas]


def _vrp(roa: dict) -> list:
    try:
        network = ipaddress.ip_network(roa["prefix"], strict=False)
        asn = int(str(roa["asn"]).upper().removeprefix("AS"))
        max_length = int(roa.get("maxLength") or network.prefixlen)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"unreadable VRP {roa!r}: {exc}") from None
    return [network.compressed, max_length, asn]


class VrpIndex:
    """VRPs by (version, prefix length, network number), for covering-prefix lookups."""

    def __init__(self, vrps: list[list]):
        self.size = len(vrps)
        self._by_prefix: dict[tuple[int, int, int], list[tuple[int, int]]] = defaultdict(list)
        self._lengths: dict[int, set[int]] = {4: set(), 6: set()}
        for prefix, max_length, asn in vrps:
            network = ipaddress.ip_network(prefix)
            key = (network.version, network.prefixlen, int(network.network_address))
            self._by_prefix[key].append((max_length, asn))
            self._lengths[network.version].add(network.prefixlen)

    def covering(self, route: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[tuple]:
        found = []
        for length in sorted(self._lengths[route.version]):
            if length > route.prefixlen:
                break
            number = int(route.supernet(new_prefix=length).network_address)
            for max_length, asn in self._by_prefix.get((route.version, length, number), ()):
                found.append((f"{route.supernet(new_prefix=length)}", max_length, asn))
        return found

    def validate(self, prefix: str, asn: int | None) -> dict:
        route = ipaddress.ip_network(prefix, strict=False)
        covering = self.covering(route)
        vrps = [{"prefix": p, "maxLength": m, "asn": a} for p, m, a in covering]
        if not covering:
            return {"status": "not-found", "prefix": str(route), "asn": asn, "vrps": []}
        if asn is None:
            return {"status": "unknown", "prefix": str(route), "asn": None, "vrps": vrps,
                    "reason": "the origin AS number is unknown (the shipped data names the AS "
                              "but has no number; set GEOIP_DIR to an ASN .mmdb)"}
        valid = any(a == asn and route.prefixlen <= m for _, m, a in covering)
        return {"status": "valid" if valid else "invalid", "prefix": str(route), "asn": asn,
                "vrps": vrps}
