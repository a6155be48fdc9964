"""Which network announces an address: offline data, never a network query.

With ``settings.GEOIP_DIR`` set, MaxMind/DB-IP ``.mmdb`` files there (an ASN database
and optionally a country one) are read with ``maxminddb``: they carry AS numbers and are
as fresh as the operator keeps them. Otherwise the data shipped inside the
``geoip2fast`` package is used; it knows the AS name, the announced prefix and the
country for IPv4 and IPv6, but not the AS number, so those nodes are keyed by name.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

SHIPPED = "geoip2fast-asn-ipv6.dat.gz"  # IPv4 and IPv6, with AS names and prefixes
_lock = threading.Lock()


def lookup(ip: str) -> dict[str, Any] | None:
    """{number, name, prefix, country, source} or {"unavailable": why}; None if unknown."""
    directory = getattr(settings, "GEOIP_DIR", "") or ""
    try:
        if directory:
            return _mmdb_lookup(directory, ip)
        return _shipped_lookup(ip)
    except Exception as exc:  # bad data files must not fail the map
        log.warning("ASN lookup of %s failed: %s", ip, exc)
        return {"unavailable": f"ASN data could not be read: {exc}"}


def is_public(ip: str) -> bool:
    """Reserved and private ranges belong to no one worth drawing (IANA's own entries)."""
    return ipaddress.ip_address(ip).is_global


# --- geoip2fast (shipped) -------------------------------------------------------------------


@cache
def _shipped():
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(geoip2fast_data_file=SHIPPED, verbose=False)


def release() -> None:
    """Frees the shipped data (~115 MB once loaded) when a map is done with it.

    geoip2fast keeps its tables in module globals; a worker process that ran one map
    would otherwise hold them for good. The next map loads them again (under a second).
    """
    with _lock:
        if _shipped.cache_info().currsize == 0:
            return
        _shipped.cache_clear()
        from geoip2fast import geoip2fast as tables

        for name in dir(tables):
            if name.startswith("main") and isinstance(getattr(tables, name), list):
                setattr(tables, name, [])


def _shipped_lookup(ip: str) -> dict[str, Any] | None:
    if not is_public(ip):
        return None
    with _lock:  # the library keeps module-level tables; load them once
        found = _shipped().lookup(ip)
    name = getattr(found, "asn_name", "") or ""
    if not name:
        return None
    country = getattr(found, "country_code", "") or ""
    return {"number": None, "name": name, "prefix": getattr(found, "asn_cidr", "") or None,
            "country": country if len(country) == 2 else None,
            "source": "geoip2fast (shipped data; no AS numbers)"}


# --- maxminddb files ------------------------------------------------------------------------


@cache
def _readers(directory: str) -> dict[str, Any]:
    import maxminddb

    readers = {}
    for path in sorted(Path(directory).glob("*.mmdb")):
        kind = "asn" if "asn" in path.name.lower() else "country"
        readers.setdefault(kind, maxminddb.open_database(str(path)))
    if "asn" not in readers:
        raise FileNotFoundError(f"no ASN .mmdb file in {directory}")
    return readers


def _mmdb_lookup(directory: str, ip: str) -> dict[str, Any] | None:
    readers = _readers(directory)
    record, prefix = readers["asn"].get_with_prefix_len(ip)
    if not record:
        return None
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    country = None
    if "country" in readers:
        found = readers["country"].get(ip) or {}
        country = (found.get("country") or {}).get("iso_code")
    return {"number": record.get("autonomous_system_number"),
            "name": record.get("autonomous_system_organization") or "",
            "prefix": str(network), "country": country,
            "source": f"maxminddb ({directory})"}


def node_key(info: dict[str, Any]) -> str:
    """``64500`` when the number is known, else ``name:GOOGLE``."""
    if info.get("number"):
        return str(info["number"])
    return "name:" + str(info.get("name") or "unknown")


def label(info: dict[str, Any]) -> str:
    if info.get("number"):
        return f"AS{info['number']} {info.get('name') or ''}".strip()
    return str(info.get("name") or "unknown AS")
