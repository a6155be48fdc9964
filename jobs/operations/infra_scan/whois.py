"""The whois module: the registration of the domain's registrable name."""

from __future__ import annotations

import datetime as dt

from jobs.net.names import registrable_domain
from jobs.operations.infra_scan.core import Scan
from jobs.operations.infra_scan.findings import finding

EXPIRY_WARNING_DAYS = 30
TRANSFER_LOCKS = {"clienttransferprohibited", "servertransferprohibited"}


async def run(scan: Scan) -> tuple[dict, list[dict]]:
    scan.needs_name("WHOIS lookups")
    domain = registrable_domain(scan.domain)
    result = await scan.ctx.whois(dns=scan.dns, timeout=10.0).lookup(domain)
    return result.as_dict(), _findings(result.fields, result.found, domain)


def _findings(fields: dict, found: bool, domain: str) -> list[dict]:
    if not found:
        return [finding("whois-not-found", "info", "Domain not found in WHOIS",
                        "The registry has no record of this name.", domain)]
    result = []
    days = _days_until(fields.get("expiryDate"))
    if days is not None and days <= EXPIRY_WARNING_DAYS:
        severity = "critical" if days < 0 else "high"
        result.append(finding("whois-expiring", severity, "Domain registration expires soon",
                              "An expired domain can be registered by anyone.",
                              f"expiry {fields['expiryDate']} ({days} days)"))  # fmt: skip
    statuses = {s.lower() for s in fields.get("statuses") or []}
    if statuses and not statuses & TRANSFER_LOCKS:
        result.append(finding("whois-no-transfer-lock", "low", "No transfer lock",
                              "Without a transfer lock the domain is easier to hijack.",
                              ", ".join(sorted(statuses))))  # fmt: skip
    return result


def _days_until(iso: str | None) -> int | None:
    try:
        moment = dt.datetime.strptime(iso or "", "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return (moment - dt.datetime.now(dt.UTC)).days
