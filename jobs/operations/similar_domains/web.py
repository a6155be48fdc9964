"""The lookalike-domains result: a summary, then the names as a filtered, sorted table.

A result can hold tens of thousands of names. The job (and so its result) is loaded once
per request; filtering and sorting run over the plain dicts, and only the one page shown
is turned into rows. The same filters drive the CSV and JSON downloads (``exports``).

The table is a fragment of the job's page: htmx asks ``job_lookalikes`` for it, and
without JavaScript the same links and form reload the page with the same query string.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django_htmx.http import push_url

from jobs.lookalike import TECHNIQUES
from jobs.models import Job, JobStatus
from jobs.web import selectors
from jobs.web.orgs import WebRequest, organization_required

JOB_TYPE = "similar_domains"
PAGE_SIZE = 100
ANCHOR = "lookalikes"

TECHNIQUE_LABELS = list(dict.fromkeys(t.label for t in TECHNIQUES.values()))
TECHNIQUE_NAMES = {
    "TYPO": "Typos and bit flips",
    "UTFVARS": "Lookalike characters",
    "TLD_VARIANTS": "Other suffixes",
    "SOUNDING": "Sounds alike",
    "PREFIX": "Word in front",
    "SUFFIX": "Word after",
    "CONTAINS": "Contains the name",
    "LEVENSHTEIN": "Small edits",
}
REGISTERED_CHOICES = [
    ("", "All"),
    ("yes", "Registered"),
    ("no", "Not registered"),
    ("unknown", "Unknown or not checked"),
]

# What a name's DNS answer says about it, in the order "registered first" sorts them.
STATES = ("registered", "unknown", "free", "unchecked")
# Which states each ``registered`` filter value keeps.
REGISTERED_STATES = {"yes": {"registered"}, "no": {"free"}, "unknown": {"unknown", "unchecked"}}
# Long DNS records wrap after a dot or colon rather than mid-label; IPv4 stays whole.
BREAK_AFTER = re.compile(r"[^.:]+[.:]*|[.:]+")
IPV4 = re.compile(r"^[0-9.]+$")
# Columns shown once some name has values for them: key -> (heading, result fields).
DNS_COLUMNS = {
    "addresses": ("Addresses", ("dnsA", "dnsAaaa")),
    "mx": ("MX", ("dnsMx",)),
    "ns": ("NS", ("dnsNs",)),
}


def entries_of(result: Any) -> list[dict]:
    names = result.get("similarDomains") if isinstance(result, dict) else None
    return [e for e in names if isinstance(e, dict)] if isinstance(names, list) else []


def ascii_name(entry: dict) -> str:
    return str(entry.get("punycode") or entry.get("domain") or "")


def display_name(entry: dict) -> str:
    return str(entry.get("unicode") or entry.get("domain") or "")


def state_of(entry: dict) -> str:
    if "dnsStatus" not in entry and "registered" not in entry:
        return "unchecked"
    if entry.get("registered"):
        return "registered"
    return "free" if entry.get("dnsStatus") == "NXDOMAIN" else "unknown"


def state_text(entry: dict, state: str) -> str:
    if state == "unknown":
        return f"Unknown ({entry.get('dnsStatus') or 'no answer'})"
    return {"registered": "Registered", "free": "Not registered",
            "unchecked": "Not checked"}[state]


SORT_KEYS: dict[str, Callable[[dict], Any]] = {
    "domain": lambda e: display_name(e).casefold(),
    "technique": lambda e: str(e.get("technique") or ""),
    "fuzzer": lambda e: str(e.get("fuzzer") or ""),
    "registered": lambda e: STATES.index(state_of(e)),
}
SORT_CHOICES = [
    ("", "As generated"),
    ("domain", "Domain, A to Z"),
    ("-domain", "Domain, Z to A"),
    ("technique", "Technique, A to Z"),
    ("-technique", "Technique, Z to A"),
    ("fuzzer", "Fuzzer, A to Z"),
    ("-fuzzer", "Fuzzer, Z to A"),
    ("registered", "Registered first"),
    ("-registered", "Registered last"),
]


@dataclass(frozen=True)
class Filters:
    """The table's query string; values it does not know are ignored, not an error."""

    technique: str = ""
    registered: str = ""
    sort: str = ""
    page: str = ""

    @classmethod
    def from_query(cls, query: Mapping) -> Filters:
        technique = str(query.get("technique") or "").upper()
        registered = str(query.get("registered") or "").lower()
        sort = str(query.get("sort") or "")
        return cls(technique=technique if technique in TECHNIQUE_LABELS else "",
                   registered=registered if registered in REGISTERED_STATES else "",
                   sort=sort if sort.lstrip("-") in SORT_KEYS else "",
                   page=str(query.get("page") or "")[:10])

    @property
    def active(self) -> bool:
        return bool(self.technique or self.registered)

    def query(self, **changes: str) -> str:
        """The query string for these filters with ``changes``; a new filter starts on
        page one unless a page is given."""
        values = replace(self, **{"page": "", **changes})
        pairs = [(name, getattr(values, name)) for name in ("technique", "registered", "sort")]
        if values.page not in ("", "1"):
            pairs.append(("page", values.page))
        return urlencode([(k, v) for k, v in pairs if v])


def select(entries: list[dict], filters: Filters) -> list[dict]:
    """The entries the filters keep, in the order they ask for (stable: ties keep the
    order the names were generated in)."""
    chosen = entries
    if filters.technique:
        chosen = [e for e in chosen if e.get("technique") == filters.technique]
    if filters.registered:
        keep = REGISTERED_STATES[filters.registered]
        chosen = [e for e in chosen if state_of(e) in keep]
    if filters.sort:
        key = SORT_KEYS[filters.sort.lstrip("-")]
        chosen = sorted(chosen, key=key, reverse=filters.sort.startswith("-"))
    return chosen


def lookalike_job(*, organization, job_id) -> Job:
    """The organization's completed lookalike job, or 404."""
    job = selectors.job_get(organization=organization, job_id=job_id)
    if job.type != JOB_TYPE or job.status != JobStatus.COMPLETED:
        raise Http404("No lookalike results for this job")
    return job


# --- what the template shows ------------------------------------------------------------


@dataclass
class Row:
    name: str
    punycode: str
    technique: str
    fuzzer: str
    state: str
    state_text: str
    # (column label, values) for the DNS columns shown; each value in pieces that a line
    # may break after (at dots and colons, never inside a label).
    records: list[tuple[str, list[list[str]]]]


@dataclass
class Column:
    label: str
    key: str = ""          # the sort key; "" for a column that does not sort
    query: str = ""        # the query string its header links to
    aria_sort: str = ""
    mark: str = ""


@dataclass
class Summary:
    base_domain: str
    total: int
    techniques: list[tuple[str, int]]
    dns_headline: str
    dns_note: str = ""
    dns_tone: str = "muted"  # muted, ok, warn


@dataclass
class LookalikeTable:
    job: Job
    filters: Filters
    summary: Summary
    page: Page
    rows: list[Row]
    columns: list[Column]
    technique_choices: list[tuple[str, str]]
    resolved: bool
    total: int
    page_url: str
    fragment_url: str
    csv_url: str
    json_url: str
    registered_choices: list[tuple[str, str]] = field(
        default_factory=lambda: REGISTERED_CHOICES)
    sort_choices: list[tuple[str, str]] = field(default_factory=lambda: SORT_CHOICES)

    @property
    def column_count(self) -> int:
        return len(self.columns)

    def link(self, **changes: str) -> str:
        return self.filters.query(**changes)

    @property
    def clear_query(self) -> str:
        return Filters(sort=self.filters.sort).query()

    @property
    def previous_query(self) -> str:
        return self.link(page=str(self.page.previous_page_number()))

    @property
    def next_query(self) -> str:
        return self.link(page=str(self.page.next_page_number()))


def lookalike_table(job: Job, query: Mapping) -> LookalikeTable:
    result = job.result if isinstance(job.result, dict) else {}
    entries = entries_of(result)
    filters = Filters.from_query(query)
    chosen = select(entries, filters)
    page = Paginator(chosen, PAGE_SIZE).get_page(filters.page)
    resolved = any(state_of(e) != "unchecked" for e in entries)
    shown = _dns_columns(entries) if resolved else []
    export = filters.query()
    export = f"?{export}" if export else ""
    return LookalikeTable(
        job=job, filters=filters, summary=summary_of(result, entries), page=page,
        rows=[_row(e, shown) for e in page.object_list],
        columns=_columns(filters, resolved, shown),
        technique_choices=_technique_choices(entries, filters.technique),
        resolved=resolved, total=len(entries),
        page_url=reverse("job-detail", args=[job.pk]),
        fragment_url=reverse("job-lookalikes", args=[job.pk]),
        csv_url=reverse("job-export", args=[job.pk, "csv"]) + export,
        json_url=reverse("job-export", args=[job.pk, "json"]) + export,
    )


def _row(entry: dict, shown: list[str]) -> Row:
    state = state_of(entry)
    return Row(
        name=display_name(entry), punycode=str(entry.get("punycode") or ""),
        technique=str(entry.get("technique") or ""), fuzzer=str(entry.get("fuzzer") or ""),
        state=state, state_text=state_text(entry, state),
        records=[(DNS_COLUMNS[key][0], [_pieces(v) for v in _records(entry, key)])
                 for key in shown])


def _pieces(value: str) -> list[str]:
    return [value] if IPV4.match(value) else BREAK_AFTER.findall(value)


def _records(entry: dict, column: str) -> list[str]:
    values: list[str] = []
    for name in DNS_COLUMNS[column][1]:
        found = entry.get(name)
        if isinstance(found, list):
            values += [str(v) for v in found]
    return values


def _dns_columns(entries: list[dict]) -> list[str]:
    """The DNS columns some name has values for, in table order."""
    return [key for key, (_label, fields) in DNS_COLUMNS.items()
            if any(entry.get(f) for entry in entries for f in fields)]


def _columns(filters: Filters, resolved: bool, shown: list[str]) -> list[Column]:
    columns = [_sortable("Domain", "domain", filters), _sortable("Technique", "technique", filters),
               _sortable("Fuzzer", "fuzzer", filters)]
    if resolved:
        columns.append(_sortable("Registered", "registered", filters))
    return columns + [Column(DNS_COLUMNS[key][0]) for key in shown]


def _sortable(label: str, key: str, filters: Filters) -> Column:
    column = Column(label, key, query=filters.query(sort=key))
    if filters.sort == key:
        column.aria_sort, column.mark = "ascending", "▲"
        column.query = filters.query(sort=f"-{key}")
    elif filters.sort == f"-{key}":
        column.aria_sort, column.mark = "descending", "▼"
    return column


def _technique_choices(entries: list[dict], chosen: str) -> list[tuple[str, str]]:
    counts = Counter(str(e.get("technique") or "") for e in entries)
    labels = [label for label in counts if label in TECHNIQUE_LABELS]
    if chosen and chosen not in counts:
        labels.append(chosen)
    return [(label, f"{label} · {TECHNIQUE_NAMES.get(label, label)} ({counts[label]:,})")
            for label in labels]


def summary_of(result: dict, entries: list[dict]) -> Summary:
    analysis = result.get("analysis") if isinstance(result.get("analysis"), dict) else {}
    counts = analysis.get("countsByTechnique") or {}
    used = [name.strip() for name in str(analysis.get("techniquesUsed") or "").split(",")]
    total = result.get("totalCount")
    summary = Summary(
        base_domain=str(analysis.get("baseDomain") or result.get("domain") or ""),
        total=total if isinstance(total, int) else len(entries),
        techniques=[(name, counts.get(name, 0)) for name in used if name],
        dns_headline="")
    _describe_resolution(summary, result.get("resolution"), entries)
    return summary


def _describe_resolution(summary: Summary, resolution: Any, entries: list[dict]) -> None:
    """The DNS lookups in plain words, from the result's ``resolution`` summary."""
    resolution = resolution if isinstance(resolution, dict) else {}
    status = resolution.get("status") or "not_requested"
    message = str(resolution.get("message") or "")
    if status == "unavailable":
        summary.dns_headline, summary.dns_tone = "No DNS server answered", "warn"
        summary.dns_note = message or "The names were generated but not looked up."
        return
    if status not in ("completed", "partial"):
        summary.dns_headline = "DNS lookups skipped"
        summary.dns_note = ("The names were generated but not looked up. Run the job again "
                            "with “Resolve” ticked to see which ones are registered.")
        return
    checked = _count(resolution.get("checked"), len(entries))
    registered = _count(resolution.get("registered"), 0)
    summary.dns_headline = f"{registered:,} of {checked:,} registered"
    summary.dns_tone = "warn" if status == "partial" else "ok"
    notes = [message] if message else []
    statuses = resolution.get("statuses")
    statuses = statuses if isinstance(statuses, dict) else {}
    unknown = {k: v for k, v in statuses.items()
               if k not in ("NOERROR", "NXDOMAIN") and isinstance(v, int) and v}
    if unknown:
        detail = ", ".join(f"{name} {count:,}" for name, count in sorted(unknown.items()))
        notes.append(f"{sum(unknown.values()):,} could not be checked ({detail}).")
    summary.dns_note = " ".join(notes)


def _count(value: Any, default: int) -> int:
    return value if isinstance(value, int) else default


# --- the fragment -------------------------------------------------------------------------


@organization_required
def job_lookalikes(request: WebRequest, job_id):
    """The table alone, for htmx; a plain request goes to the job's page with the same query."""
    job = lookalike_job(organization=request.organization, job_id=job_id)
    table = lookalike_table(job, request.GET)
    query = table.link(page=str(table.page.number))
    address = table.page_url + (f"?{query}" if query else "")
    if not request.htmx:
        return redirect(f"{address}#{ANCHOR}")
    response = render(request, "operations/similar_domains/result.html#table",
                      {"lookalikes": table})
    patch_vary_headers(response, ("HX-Request",))
    return push_url(response, address)


# --- what the dashboard asks of this operation ---------------------------------------------


def result_context(job: Job, result, request) -> dict[str, Any]:
    return {"lookalikes": lookalike_table(job, request.GET)}


def result_summary(result) -> str:
    text = f"{result.totalCount} name{'' if result.totalCount == 1 else 's'}"
    resolution = result.resolution
    if resolution is not None and resolution.registered is not None \
            and resolution.status != "not_requested":
        text += f", {resolution.registered} registered"
    return text
