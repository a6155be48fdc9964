"""The modules that ask servers: dns (the configured resolvers) and whois.

They speak through the job context's clients, so every DNS answer lands in the
organization's observation store and every connection passes the target policy.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from jobs.net.dns import DnsAnswer, DnsClient
from jobs.net.errors import ClientError
from jobs.net.names import registrable_domain
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


async def registration_section(query: str, client: WhoisClient) -> dict:
    try:
        result = await client.lookup(query)
    except ClientError as exc:
        raise ModuleFailed(exc.message) from None
    fields = result.fields
    return {
        "query": query, "found": result.found, "server": result.server,
        "registrar": fields.get("registrar"), "createdDate": fields.get("creationDate"),
        "updatedDate": fields.get("updatedDate"), "expiresDate": fields.get("expiryDate"),
        "nameServers": fields.get("nameServers") or [], "statuses": fields.get("statuses") or [],
        "registrant": {"name": fields.get("registrantName"),
                       "organization": fields.get("registrantOrganization"),
                       "email": fields.get("registrantEmail"),
                       "country": fields.get("registrantCountry")},
        "errors": result.errors,
    }
