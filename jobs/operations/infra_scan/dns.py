"""The dns module: the domain's records, and its mail and certificate policies (SPF,
DMARC, CAA) judged.

SPF's lookup count follows RFC 7208 section 4.6.4: every term that makes a receiver
query DNS (include, a, mx, ptr, exists, redirect) counts, and so do the terms of the
records that include: and redirect= bring in, recursively. The included records are
fetched through the scan's DNS client; the count stops once it is past the limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from jobs.net.dns import DnsAnswer, DnsClient
from jobs.net.errors import ClientError
from jobs.operations.infra_scan import mailauth
from jobs.operations.infra_scan.core import Scan
from jobs.operations.infra_scan.findings import finding

# Also the order the result page lists them in.
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "CAA")
SOA_FIELDS = ("mname", "rname", "serial", "refresh", "retry", "expire", "minimum")
UNANSWERED = {"TIMEOUT", "SERVFAIL", "REFUSED", "ERROR"}


async def run(scan: Scan) -> tuple[dict, list[dict]]:
    scan.needs_name("DNS records")
    questions = [(scan.domain, t) for t in RECORD_TYPES] + [(f"_dmarc.{scan.domain}", "TXT")]
    answers = await scan.dns.query_many(questions)
    if DnsClient.all_timed_out(answers):
        raise ClientError("no DNS server answered")
    by_type = dict(zip(RECORD_TYPES, answers, strict=False))
    records = {rtype: _records(rtype, by_type[rtype].records) for rtype in RECORD_TYPES}
    spf = await _spf(scan, by_type["TXT"])
    dmarc = _judged(answers[-1], mailauth.analyse_dmarc)
    caa = _judged(by_type["CAA"], mailauth.analyse_caa)
    issues = [*spf.get("issues", []), *dmarc.get("issues", []), *caa.get("issues", [])]
    value = {"records": records, "spf": spf, "dmarc": dmarc, "caa": caa}
    return value, issues + _zone_findings(records)


def _records(rtype: str, texts: list[str]) -> Any:
    if rtype == "MX":
        return sorted((_mx(t) for t in texts), key=lambda m: (m["preference"], m["exchange"]))
    if rtype == "SOA":
        return _soa(texts[0]) if texts else None
    if rtype == "CAA":
        return mailauth.analyse_caa(texts)["records"]
    return sorted(texts)


def _mx(text: str) -> dict:
    preference, _, exchange = text.partition(" ")
    return {"preference": int(preference), "exchange": exchange}


def _soa(text: str) -> dict:
    parts = text.split()
    return {k: (int(v) if i >= 2 else v)
            for i, (k, v) in enumerate(zip(SOA_FIELDS, parts, strict=False))}  # fmt: skip


def _judged(answer: DnsAnswer, analyse: Callable[[list[str]], dict]) -> dict:
    # A server failure says nothing about the record: judge only real answers.
    if answer.status in UNANSWERED:
        return {"record": None, "error": f"DNS answered {answer.status}"}
    return analyse(answer.records)


async def _spf(scan: Scan, txt: DnsAnswer) -> dict:
    if txt.status in UNANSWERED:
        return {"record": None, "error": f"DNS answered {txt.status}"}
    records = mailauth.spf_records(txt.records)
    if not records:
        return mailauth.analyse_spf(txt.records)

    async def spf_of(name: str) -> list[str]:
        answer = await scan.dns.query(name, "TXT")
        return mailauth.spf_records(answer.records)

    lookups = await count_spf_lookups(records[0], spf_of)
    return mailauth.analyse_spf(txt.records, lookups=lookups)


async def count_spf_lookups(record: str, spf_of: Callable[[str], Awaitable[list[str]]],
                            limit: int = mailauth.SPF_LOOKUP_LIMIT) -> int:  # fmt: skip
    """DNS lookups a receiver makes evaluating ``record``, through includes and
    redirects; counting stops one past ``limit`` (the answer is then "too many")."""
    count = 0
    followed: set[str] = set()
    pending = [record]
    while pending and count <= limit:
        for term in mailauth.spf_terms(pending.pop(0)):
            name = mailauth.spf_term_name(term)
            if name not in mailauth.SPF_LOOKUP_TERMS:
                continue
            count += 1
            if count > limit:
                break
            target = mailauth.spf_term_target(term)
            # A macro (%{...}) names a domain only at evaluation time: count, don't follow.
            if name in ("include", "redirect") and target and "%" not in target \
                    and target not in followed:
                followed.add(target)
                pending += (await spf_of(target))[:1]
    return count


def _zone_findings(records: dict) -> list[dict]:
    found = []
    if not records["MX"]:
        found.append(finding("dns-no-mx", "info", "No MX record",
                             "The domain receives no mail (or relies on its A record).", ""))
    if len(records["NS"]) == 1:
        found.append(finding("dns-single-ns", "low", "Only one name server",
                             "One name server is a single point of failure for the domain.",
                             records["NS"][0]))  # fmt: skip
    return found
