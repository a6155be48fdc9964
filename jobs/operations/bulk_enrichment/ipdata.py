"""Offline facts about an address: country, AS, prefix; from shipped data or the operator's.

Two sources, the operator's first:

- ``settings.GEOIP_DIR``: ``.mmdb`` files (MaxMind GeoLite2/GeoIP2 or DB-IP layout), read
  with ``maxminddb``; an ASN database gives the AS number, a City database the city.
- geoip2fast's shipped GeoLite2 country + ASN tables (IPv4 and IPv6), converted once into
  compact arrays (``ipbuild.py``) under ``settings.IPDATA_CACHE_DIR``. That data names the
  AS but carries no AS number.

Both are loaded once per process and never touch the network.
"""

from __future__ import annotations

import ipaddress
import pickle
import subprocess
import sys
import threading
from bisect import bisect_right
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

SHIPPED_FILE = "geoip2fast-asn-ipv6.dat.gz"
V6_SHIFT = 64
_lock = threading.Lock()


@dataclass(slots=True)
class IpFacts:
    country: str | None = None
    country_name: str | None = None
    city: str | None = None
    asn: int | None = None
    as_name: str | None = None
    prefix: str | None = None  # the routed (AS) prefix
    network: str | None = None  # the geolocation block
    source: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def lookup(address) -> IpFacts:
    """What the offline data says about ``address`` (a string or an ipaddress object)."""
    ip = address if not isinstance(address, str) else ipaddress.ip_address(address)
    readers = operator_databases()
    if readers:
        return _from_mmdb(ip, readers)
    return shipped().lookup(ip)



# --- the operator's .mmdb files --------------------------------------------------------------


@cache
def operator_databases() -> dict:
    """{"asn": reader, "geo": reader} from GEOIP_DIR (empty when it is not set)."""
    folder = settings.GEOIP_DIR
    if not folder:
        return {}
    import maxminddb

    readers: dict = {}
    for path in sorted(Path(folder).glob("*.mmdb")):
        reader = maxminddb.open_database(str(path))
        kind = "asn" if "asn" in reader.metadata().database_type.lower() else "geo"
        readers.setdefault(kind, reader)
    return readers


def _from_mmdb(ip, readers: dict) -> IpFacts:
    facts = IpFacts(source="mmdb")
    if "geo" in readers:
        record, bits = readers["geo"].get_with_prefix_len(str(ip))
        if record:
            country = record.get("country") or record.get("registered_country") or {}
            facts.country = country.get("iso_code")
            facts.country_name = (country.get("names") or {}).get("en")
            facts.city = ((record.get("city") or {}).get("names") or {}).get("en")
            facts.network = str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))
    if "asn" in readers:
        record, bits = readers["asn"].get_with_prefix_len(str(ip))
        if record:
            facts.asn = record.get("autonomous_system_number")
            facts.as_name = record.get("autonomous_system_organization")
            facts.prefix = str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))
    return facts


# --- geoip2fast's shipped data, compact ----------------------------------------------------


class _Table:
    """Sorted network starts with their prefix lengths and an id each (one family)."""

    def __init__(self, columns: dict, shift: int):
        self.start, self.bits, self.ids = columns["start"], columns["bits"], columns["id"]
        self.shift = shift
        self.width = 64 if shift else 32

    def find(self, number: int) -> tuple[int, str] | None:
        key = number >> self.shift
        at = bisect_right(self.start, key) - 1
        if at < 0:
            return None
        start, bits = self.start[at], self.bits[at]
        size = 1 << max(0, self.width - bits)
        if key >= start + size:
            return None
        return self.ids[at], f"{start << self.shift}/{bits}"


class ShippedData:
    def __init__(self, data: dict):
        self.info = data["info"]
        self.countries = [entry.split(":", 1) for entry in data["countries"]]
        self.as_names = data["as_names"]
        self.geo = {4: _Table(data["country"]["v4"], 0), 6: _Table(data["country"]["v6"], V6_SHIFT)}
        self.asn = {4: _Table(data["asn"]["v4"], 0), 6: _Table(data["asn"]["v6"], V6_SHIFT)}

    def lookup(self, ip) -> IpFacts:
        facts = IpFacts(source="geoip2fast")
        number = int(ip)
        geo = self.geo[ip.version].find(number)
        if geo:
            code, name = self.countries[geo[0]]
            # The first codes are geoip2fast's own labels for special-use ranges.
            if code.isalpha():
                facts.country, facts.country_name = code, name
            facts.network = _network_text(geo[1], ip.version)
        asn = self.asn[ip.version].find(number)
        if asn and asn[0]:
            facts.as_name = self.as_names[asn[0]]
            facts.prefix = _network_text(asn[1], ip.version)
        return facts


def _network_text(spec: str, version: int) -> str:
    number, bits = spec.split("/")
    family = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    address = family(int(number))
    return f"{address}/{bits}"


@cache
def shipped() -> ShippedData:
    with _lock:
        path = _compact_file()
        with open(path, "rb") as handle:
            return ShippedData(pickle.load(handle))


def _compact_file() -> Path:
    import geoip2fast

    folder = Path(settings.IPDATA_CACHE_DIR)
    path = folder / f"geoip2fast-{geoip2fast.__version__}.pickle"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        source = Path(geoip2fast.__file__).with_name(SHIPPED_FILE)
        builder = Path(__file__).with_name("ipbuild.py")
        subprocess.run([sys.executable, str(builder), str(source), str(path)], check=True,
                       timeout=120)
    return path
