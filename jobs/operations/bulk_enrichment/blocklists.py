"""Block lists: parsing the common formats, and matching indicators against them.

One parser reads them all, line by line, because the formats differ only in decoration:

- plain lists (one IP, CIDR, domain, URL, e-mail or hash per line), FireHOL ``.netset`` /
  ``.ipset`` files, with ``#`` comments;
- hosts files (``0.0.0.0 evil.example``): the names, not the sink address;
- Spamhaus DROP (``1.10.16.0/20 ; SBL256894``): ``;`` starts a comment;
- abuse.ch CSV exports (URLhaus, Feodo Tracker, ThreatFox, MalwareBazaar): the first
  field that is an indicator, and any hashes after it; dates, tags and links are ignored.
"""

from __future__ import annotations

import csv
import ipaddress
from bisect import bisect_right
from dataclasses import dataclass, field

from jobs.operations.bulk_enrichment.indicators import Indicator, Unrecognised, classify

SINKS = {"0.0.0.0", "127.0.0.1", "::", "::1", "255.255.255.255"}
HOST_NAMES_TO_SKIP = {"localhost", "localhost.localdomain", "broadcasthost", "local"}
GROUPS = {"ipv4": "ip", "ipv6": "ip", "cidr": "cidr", "domain": "domain", "url": "url",
          "email": "email", "md5": "hash", "sha1": "hash", "sha256": "hash"}


def parse_list(text: str) -> dict[str, list[str]]:
    """{"ip"|"cidr"|"domain"|"url"|"email"|"hash": sorted values} found in ``text``."""
    found: dict[str, set[str]] = {group: set() for group in set(GROUPS.values())}
    for line in text.splitlines():
        for indicator in _line_indicators(line):
            found[GROUPS[indicator.kind]].add(indicator.value)
    return {group: sorted(values) for group, values in found.items() if values}


def _line_indicators(line: str) -> list[Indicator]:
    text = line.strip()
    if not text or text[0] in "#;!" or text.startswith("//"):
        return []
    if "," in text and text.count('"') >= 2:
        return _csv_fields(text)
    text = text.split(";", 1)[0].split(" #", 1)[0].strip()
    tokens = text.split()
    if len(tokens) >= 2 and tokens[0] in SINKS:
        return [i for i in map(_quiet_classify, tokens[1:])
                if i and i.kind == "domain" and i.value not in HOST_NAMES_TO_SKIP]
    found = _quiet_classify(tokens[0]) if tokens else None
    return [found] if found else []


def _csv_fields(line: str) -> list[Indicator]:
    """The row's first indicator, and every hash after it.

    The first is the listed one (URLhaus' url, Feodo's dst_ip, ThreatFox's ioc_value);
    later URLs are references (URLhaus' own page for the entry), later hashes are the
    same file's other digests (MalwareBazaar lists sha256, md5 and sha1).
    """
    fields = next(csv.reader([line], skipinitialspace=True), [])
    found = [i for i in map(_quiet_classify, fields) if i]
    return found[:1] + [i for i in found[1:] if GROUPS[i.kind] == "hash"]


def _quiet_classify(text: str) -> Indicator | None:
    try:
        return classify(text)
    except Unrecognised:
        return None


# --- matching --------------------------------------------------------------------------


@dataclass
class _Ranges:
    """Merged address ranges of one family, for "is this address in any listed network"."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, networks: list) -> _Ranges:
        spans = sorted((int(n.network_address), int(n.broadcast_address)) for n in networks)
        ranges = cls()
        for start, end in spans:
            if ranges.ends and start <= ranges.ends[-1] + 1:
                ranges.ends[-1] = max(ranges.ends[-1], end)
            else:
                ranges.starts.append(start)
                ranges.ends.append(end)
        return ranges

    def covers(self, first: int, last: int) -> bool:
        at = bisect_right(self.starts, first) - 1
        return at >= 0 and last <= self.ends[at]


class BlockList:
    def __init__(self, name: str, entries: dict[str, list[str]]):
        self.name = name
        self.exact = {value for group in ("ip", "domain", "url", "email", "hash")
                      for value in entries.get(group, [])}
        self.exact.update(entries.get("cidr", []))
        networks = [ipaddress.ip_network(v) for v in entries.get("cidr", [])]
        self.ranges = {version: _Ranges.of([n for n in networks if n.version == version])
                       for version in (4, 6)}

    def matches(self, indicator: Indicator) -> str | None:
        """The listed entry ``indicator`` matches (itself, a parent domain, its host, a
        covering network), or None."""
        for candidate in _candidates(indicator):
            if candidate in self.exact:
                return candidate
        return self._network_match(indicator)

    def _network_match(self, indicator: Indicator) -> str | None:
        host = indicator.value if indicator.kind in ("ipv4", "ipv6", "cidr") else indicator.host
        try:
            network = ipaddress.ip_network(host, strict=False)
        except ValueError:
            return None
        ranges = self.ranges[network.version]
        if ranges.covers(int(network.network_address), int(network.broadcast_address)):
            return f"{network} (in a listed network)"
        return None


def _candidates(indicator: Indicator) -> list[str]:
    values = [indicator.value]
    name = indicator.lookup_name if indicator.kind != "domain" else indicator.value
    if name:
        values.append(name)
        labels = name.split(".")
        # A listed domain covers its subdomains: a.b.evil.example matches evil.example.
        values.extend(".".join(labels[i:]) for i in range(1, len(labels) - 1))
    return values


def score(listed: int) -> int:
    """0 when listed nowhere; each further list halves the distance to 100."""
    return round(100 * (1 - 0.5**listed))
