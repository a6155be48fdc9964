"""The subdomains module: names under the domain, from a wordlist and from the names
the TLS certificate covers, resolved; names that only match a wildcard record are
left out."""

from __future__ import annotations

import asyncio
import secrets
from functools import cache
from pathlib import Path

from jobs.net.errors import ClientError
from jobs.net.policy import is_public
from jobs.operations.infra_scan.core import Scan
from jobs.operations.infra_scan.findings import finding

WORDLIST = Path(__file__).with_name("data") / "subdomains.txt"
CHUNK = 200


async def run(scan: Scan) -> tuple[list, list[dict]]:
    scan.needs_name("subdomain searches")
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
    return entries, _findings(scan, entries, wildcard)


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
    for start in range(0, len(names), CHUNK):
        await scan.ctx.acheck()
        chunk = names[start : start + CHUNK]
        results = await asyncio.gather(*(scan.dns.addresses(name) for name in chunk))
        resolved.update(zip(chunk, results, strict=True))
    return resolved


def _findings(scan: Scan, entries: list[dict], wildcard: set[str]) -> list[dict]:
    found = []
    if wildcard:
        found.append(finding("dns-wildcard", "info", "Wildcard DNS record",
                             f"Every name under {scan.domain} resolves; wordlist results that "
                             "only match the wildcard were left out.",
                             ", ".join(sorted(wildcard))))  # fmt: skip
    internal = [f"{e['name']} -> {a}" for e in entries for a in e["addresses"]
                if not is_public(a)]  # fmt: skip
    if internal:
        found.append(finding("dns-internal-addresses", "low", "Internal addresses in public DNS",
                             "Subdomains publish private or reserved addresses, which maps "
                             "the internal network for anyone.", "; ".join(internal[:20])))
    return found
