"""The modules that ask servers: dns (the configured resolvers) and whois (WHOIS, with
RDAP asked at the same time for domains).

They speak through the job context's clients, so every DNS answer lands in the
organization's observation store and every connection passes the target policy.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

from jobs.net.dns import DnsAnswer, DnsClient
from jobs.net.errors import ClientError
from jobs.net.names import registrable_domain
from jobs.net.rdap import RdapClient, RdapOutcome, fill_gaps
from jobs.net.whois import WhoisClient
from jobs.operations.bulk_enrichment.indicators import Indicator
from jobs.operations.infra_scan.mailauth import analyse_dmarc, analyse_spf

NAME_TYPES = ("A", "AAAA", "MX", "NS", "TXT", "CNAME")
NO_ANSWER = {"TIMEOUT"}


class ModuleFailed(Exception):
    """One module could not answer for one indicator (the indicator still succeeds)."""


async def dns_section(indicator: Indicator, client: DnsClient) -> tuple[dict, list[str]]:
    """(the ``dns`` section, the addresses it found) for any kind that has a name or IP."""
    if indicator.is_address or _ip_host(indicator):
        answer = await client.reverse(indicator.host or indicator.value)
        _raise_if_silent([answer])
        return {"PTR": answer.records, "status": answer.status}, []
    if indicator.kind == "email":
        section = await _mail_dns(indicator.host, client)
        return section, section["A"] + section["AAAA"]
    answers = await client.query_many([(indicator.lookup_name, t) for t in NAME_TYPES])
    _raise_if_silent(answers)
    section: dict[str, Any] = {a.rtype: a.records for a in answers}
    section["status"] = _status(answers)
    addresses = section["A"] + section["AAAA"]
    return section, addresses


async def _mail_dns(domain: str, client: DnsClient) -> dict:
    mx, txt, dmarc, a, aaaa = await client.query_many(
        [(domain, "MX"), (domain, "TXT"), (f"_dmarc.{domain}", "TXT"), (domain, "A"),
         (domain, "AAAA")])
    _raise_if_silent([mx, txt])
    return {"domain": domain, "MX": mx.records, "A": a.records, "AAAA": aaaa.records,
            "SPF": analyse_spf(txt.records), "DMARC": analyse_dmarc(dmarc.records),
            "status": mx.status}


def _status(answers: list[DnsAnswer]) -> str:
    statuses = {a.status for a in answers}
    if "NOERROR" in statuses:
        return "NOERROR"
    return sorted(statuses)[0]


def _raise_if_silent(answers: list[DnsAnswer]) -> None:
    if answers and all(a.status in NO_ANSWER for a in answers):
        raise ModuleFailed(answers[0].error or "no DNS server answered in time")


def _ip_host(indicator: Indicator) -> bool:
    """A URL whose host is a literal address (http://192.0.2.1/x)."""
    if indicator.kind != "url":
        return False
    try:
        ipaddress.ip_address(indicator.host)
    except ValueError:
        return False
    return True


def registration_query(indicator: Indicator) -> str | None:
    """What to ask WHOIS: the registrable domain of a name, or the address itself."""
    if indicator.is_address:
        return indicator.value
    if indicator.kind == "cidr":
        return indicator.value.split("/")[0]
    name = indicator.lookup_name
    if not name:
        return None
    if _ip_host(indicator):
        return name
    return registrable_domain(name)


async def registration_section(query: str, client: WhoisClient,
                               rdap: RdapClient | None = None) -> tuple[dict, list[str]]:
    """(the section, the sources that answered: "whois", "rdap").

    WHOIS's answer, its empty values filled from RDAP's (``rdap.filled`` names them);
    RDAP's alone when WHOIS gives none. RDAP is asked about domains only (its address
    lookups are another service). ``rdap`` says what it did, or that it is not set up."""
    asking = None
    if rdap is not None and not _is_address(query):
        asking = asyncio.ensure_future(rdap.attempt(query))
    try:
        result = await client.lookup(query)
    except ClientError as exc:
        outcome = await asking if asking else None
        if outcome is None or outcome.answer is None:
            also = f"; RDAP: {outcome.error}" if outcome else ""
            raise ModuleFailed(exc.message + also) from None
        return _rdap_section(query, outcome, exc.message), ["rdap"]
    except BaseException:
        if asking:
            asking.cancel()  # cancelled or timed out: RDAP's answer is no longer wanted
        raise
    section = _section(query, result.found, result.server, result.fields, result.errors)
    if asking is None:
        return section, ["whois"]
    outcome = await asking
    status = outcome.as_dict()
    if outcome.answer is not None:
        merged, status["filled"] = fill_gaps(result.fields, outcome.answer.fields)
        section = _section(query, True, result.server, merged, result.errors)
    section["rdap"] = status
    return section, ["whois", "rdap"] if outcome.answer is not None else ["whois"]


def _rdap_section(query: str, outcome: RdapOutcome, whois_error: str) -> dict:
    fields = outcome.answer.fields
    section = _section(query, True, outcome.answer.server, fields, [f"WHOIS: {whois_error}"])
    section["rdap"] = {**outcome.as_dict(), "filled": sorted(k for k, v in fields.items() if v)}
    return section


def _section(query: str, found: bool, server: str, fields: dict, errors: list[str]) -> dict:
    return {
        "query": query, "found": found, "server": server,
        "registrar": fields.get("registrar"), "createdDate": fields.get("creationDate"),
        "updatedDate": fields.get("updatedDate"), "expiresDate": fields.get("expiryDate"),
        "nameServers": fields.get("nameServers") or [], "statuses": fields.get("statuses") or [],
        "registrant": {"name": fields.get("registrantName"),
                       "organization": fields.get("registrantOrganization"),
                       "email": fields.get("registrantEmail"),
                       "country": fields.get("registrantCountry")},
        "errors": errors,
    }


def _is_address(query: str) -> bool:
    try:
        ipaddress.ip_address(query)
    except ValueError:
        return False
    return True
