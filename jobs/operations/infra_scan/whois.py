"""The whois module: the registration of the domain's registrable name, from WHOIS and
RDAP asked at the same time.

Both, because each knows what the other may not: the registry's RDAP server gives
structured dates and statuses (and answers where port 43 has been switched off), the
registrar's WHOIS often still names the registrant. The section keeps WHOIS's shape:
a field WHOIS left empty is filled from RDAP (``rdap.filled`` names them), and when
WHOIS gives no answer at all the section is built from RDAP alone; ``found`` is true
when either found the name. ``rdap`` says what RDAP did, including that it is not
configured. Both answers reach the registration
store through the job's recorders.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from jobs.net.errors import ClientError
from jobs.net.names import registrable_domain
from jobs.net.rdap import RdapOutcome, fill_gaps
from jobs.operations.infra_scan.core import Scan
from jobs.operations.infra_scan.findings import finding

EXPIRY_WARNING_DAYS = 30
TRANSFER_LOCKS = {"clienttransferprohibited", "servertransferprohibited"}
TIMEOUT = 10.0


async def run(scan: Scan) -> tuple[dict, list[dict]]:
    scan.needs_name("WHOIS lookups")
    domain = registrable_domain(scan.domain)
    rdap = asyncio.ensure_future(scan.ctx.rdap(dns=scan.dns, timeout=TIMEOUT).attempt(domain))
    try:
        result = await scan.ctx.whois(dns=scan.dns, timeout=TIMEOUT).lookup(domain)
    except ClientError as exc:
        outcome = await rdap
        if outcome.answer is None:
            # Raised as it is (a policy refusal stays one), with RDAP's reason added.
            exc.message = f"{exc.message}; RDAP: {outcome.error}"
            raise
        section = _from_rdap(domain, outcome, exc.message)
    else:
        outcome = await rdap
        section, status = result.as_dict(), outcome.as_dict()
        if outcome.answer is not None:
            section, status["filled"] = fill_gaps(section, outcome.answer.fields)
        section["found"] = result.found or outcome.answer is not None
        section["rdap"] = status
    finally:
        rdap.cancel()  # a no-op once awaited; stops it when WHOIS failed otherwise
    return section, _findings(section, section["found"], domain)


def _from_rdap(domain: str, outcome: RdapOutcome, whois_error: str) -> dict:
    """The section when only RDAP answered: every value is RDAP's."""
    answer = outcome.answer
    return {"query": domain, "server": answer.server, "servers": [], "found": True,
            **answer.fields, "errors": [f"WHOIS: {whois_error}"], "raw": "",
            "rdap": {**outcome.as_dict(), "filled": sorted(k for k, v in answer.fields.items()
                                                           if v)}}


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
