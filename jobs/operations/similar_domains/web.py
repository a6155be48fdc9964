"""The lookalike-domains result on a job's page: a summary, then the names as a table.

The table is a shared result table (``jobs.web.tables``): filters, search, sorting,
pages, the htmx fragment and the CSV and JSON downloads come from there. This module
says what the rows hold and how the summary reads, from the typed result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobs.lookalike import TECHNIQUES
from jobs.models import Job
from jobs.operations.similar_domains.result import Result, SimilarDomain
from jobs.web import tables
from jobs.web.tables import Column, Table

CELLS = "operations/similar_domains/cells/"

# What a name's DNS answer says about it, in the order "registered first" sorts them.
STATES = {
    "registered": "Registered",
    "unknown": "Unknown",
    "no-answer": "No answer",
    "not-registered": "Not registered",
}
# Statuses that say nothing about the name: no server answered the question.
NO_ANSWER = {"TIMEOUT"}
# The published label is shared by two request names; the fuzzer tells them apart.
BY_FUZZER = {"bitsquatting": "bitsquatting"}


def request_name(entry: SimilarDomain, used: list[str]) -> str:
    """The request technique name that produced ``entry`` (the page's one naming)."""
    if entry.fuzzer in BY_FUZZER and BY_FUZZER[entry.fuzzer] in used:
        return BY_FUZZER[entry.fuzzer]
    names = [n for n in used if TECHNIQUES[n].label == entry.technique
             and n not in BY_FUZZER.values()]
    names = names or [n for n, t in TECHNIQUES.items() if t.label == entry.technique]
    return names[0] if names else entry.technique


def technique_text(name: str) -> str:
    technique = TECHNIQUES.get(name)
    return f"{name} · {technique.label}" if technique else name


def state_of(entry: SimilarDomain, result: Result) -> str | None:
    """None when the name was not looked up. A status is only believed when a server
    answered: with none reachable, even an NXDOMAIN says "no answer"."""
    if entry.dnsStatus is None and entry.registered is None:
        return None
    if result.resolution is not None and result.resolution.status == "unavailable":
        return "no-answer"
    if entry.registered:
        return "registered"
    if entry.dnsStatus in NO_ANSWER:
        return "no-answer"
    return "not-registered" if entry.dnsStatus == "NXDOMAIN" else "unknown"


def rows(result: Result) -> list[dict[str, Any]]:
    used = techniques_used(result)
    return [_row(entry, result, used) for entry in result.similarDomains]


def _row(entry: SimilarDomain, result: Result, used: list[str]) -> dict[str, Any]:
    return {
        "domain": entry.punycode or entry.domain,
        "unicode": entry.unicode or "",
        "punycode": entry.punycode or "",
        "technique": request_name(entry, used),
        "label": entry.technique,
        "fuzzer": entry.fuzzer or "",
        "registered": state_of(entry, result),
        "dns_status": entry.dnsStatus or "",
        "addresses": [*(entry.dnsA or []), *(entry.dnsAaaa or [])],
        "mx": entry.dnsMx or [],
        "ns": entry.dnsNs or [],
    }


TABLE = Table(
    "lookalikes", "Lookalike names", rows=rows, noun="name", page_size=100,
    empty="No lookalike names were generated.",
    columns=(
        Column("domain", "Domain", mono=True, template=CELLS + "domain.html"),
        Column("unicode", "Unicode", shown=False),
        Column("punycode", "Punycode", shown=False),
        Column("technique", "Technique", filter=True, display=technique_text,
               template=CELLS + "technique.html"),
        Column("label", "Published label", shown=False),
        Column("fuzzer", "Fuzzer"),
        Column("registered", "Registered", filter=True, hide_empty=True,
               display=lambda state: STATES.get(state, state),
               sort_key=lambda state: list(STATES).index(state) if state in STATES else 9,
               template=CELLS + "state.html"),
        Column("dns_status", "DNS status", shown=False),
        Column("addresses", "Addresses", sortable=False, mono=True, hide_empty=True,
               template=CELLS + "records.html"),
        Column("mx", "MX", sortable=False, mono=True, hide_empty=True,
               template=CELLS + "records.html"),
        Column("ns", "NS", sortable=False, mono=True, hide_empty=True,
               template=CELLS + "records.html"),
    ),
)


# --- the summary above the table -----------------------------------------------------------


@dataclass
class TechniqueLine:
    name: str
    label: str
    about: str
    count: int
    truncated: bool


@dataclass
class Summary:
    base_domain: str
    total: int
    limit: int
    techniques: list[TechniqueLine]
    dns_headline: str
    dns_note: str = ""
    dns_tone: str = "muted"  # muted, ok, warn

    @property
    def truncated(self) -> list[str]:
        return [t.name for t in self.techniques if t.truncated]


def techniques_used(result: Result) -> list[str]:
    names = [n.strip() for n in result.analysis.techniquesUsed.split(",")]
    return [n for n in names if n]


def summary_of(result: Result) -> Summary:
    analysis = result.analysis
    counts = analysis.countsByTechnique or {}
    truncated = analysis.truncated or {}
    lines = []
    for name in techniques_used(result):
        technique = TECHNIQUES.get(name)
        lines.append(TechniqueLine(
            name=name, label=technique.label if technique else "",
            about=technique.about if technique else "", count=counts.get(name, 0),
            truncated=truncated.get(name, False)))
    summary = Summary(base_domain=analysis.baseDomain, total=result.totalCount,
                      limit=analysis.searchLimit, techniques=lines, dns_headline="")
    _describe_resolution(summary, result)
    return summary


def _describe_resolution(summary: Summary, result: Result) -> None:
    """The DNS lookups in plain words, from the result's ``resolution`` summary."""
    resolution = result.resolution
    status = resolution.status if resolution is not None else "not_requested"
    message = resolution.message or "" if resolution is not None else ""
    if status == "unavailable":
        summary.dns_headline, summary.dns_tone = "No DNS server answered", "warn"
        summary.dns_note = message or "The names were generated but not looked up."
        return
    if status not in ("completed", "partial"):
        summary.dns_headline = "DNS lookups skipped"
        summary.dns_note = ("The names were generated but not looked up. Run the job again "
                            "with “Resolve” ticked to see which ones are registered.")
        return
    checked = resolution.checked if resolution.checked is not None else result.totalCount
    summary.dns_headline = f"{resolution.registered or 0:,} of {checked:,} registered"
    summary.dns_tone = "warn" if status == "partial" else "ok"
    notes = [message] if message else []
    unknown = {k: v for k, v in (resolution.statuses or {}).items()
               if k not in ("NOERROR", "NXDOMAIN") and v}
    if unknown:
        detail = ", ".join(f"{name} {count:,}" for name, count in sorted(unknown.items()))
        notes.append(f"{sum(unknown.values()):,} could not be checked ({detail}).")
    summary.dns_note = " ".join(notes)


# --- what the dashboard asks of this operation ---------------------------------------------


def result_context(job: Job, result: Result, request) -> dict[str, Any]:
    return {"lookalikes": summary_of(result),
            "views": tables.views_for(job, result, (TABLE,), request.GET)}


def result_summary(result: Result) -> str:
    text = f"{result.totalCount:,} name{'' if result.totalCount == 1 else 's'}"
    resolution = result.resolution
    if resolution is not None and resolution.status in ("completed", "partial"):
        text += f", {resolution.registered or 0:,} registered"
    if any((result.analysis.truncated or {}).values()):
        text += " (limit reached)"
    return text
