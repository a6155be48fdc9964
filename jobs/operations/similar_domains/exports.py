"""Lookalike names as CSV or JSON downloads, with the filters and order of the table."""

from __future__ import annotations

import csv
import io
import json
import re

from django.http import Http404, HttpResponse

from jobs.models import Job
from jobs.operations.similar_domains import web as lookalikes
from jobs.web.orgs import WebRequest, organization_required

CSV_COLUMNS = ("domain", "unicode", "punycode", "technique", "fuzzer", "registered",
               "dns_status", "a", "aaaa", "mx", "ns")
# A spreadsheet runs a cell that starts with one of these as a formula; DNS answers come
# from anyone's servers, so such a cell is written as text (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9.-]+")


@organization_required
def job_export(request: WebRequest, job_id, fmt: str):
    if fmt not in ("csv", "json"):
        raise Http404("No such format")
    job = lookalikes.lookalike_job(organization=request.organization, job_id=job_id)
    filters = lookalikes.Filters.from_query(request.GET)
    entries = lookalikes.select(lookalikes.entries_of(job.result), filters)
    if fmt == "csv":
        response = HttpResponse(csv_text(entries), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(json_text(job, filters, entries),
                                content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename(job, fmt)}"'
    return response


def csv_text(entries: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([safe_cell(cell) for cell in csv_row(entry)] for entry in entries)
    return out.getvalue()


def csv_row(entry: dict) -> list[str]:
    registered = entry.get("registered")
    return [
        lookalikes.ascii_name(entry),
        str(entry.get("unicode") or ""),
        str(entry.get("punycode") or ""),
        str(entry.get("technique") or ""),
        str(entry.get("fuzzer") or ""),
        "" if registered is None else str(bool(registered)).lower(),
        str(entry.get("dnsStatus") or ""),
        *(_joined(entry.get(key)) for key in ("dnsA", "dnsAaaa", "dnsMx", "dnsNs")),
    ]


def _joined(value) -> str:
    return " ".join(str(v) for v in value) if isinstance(value, list) else ""


def safe_cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_START) else value


def json_text(job: Job, filters: lookalikes.Filters, entries: list[dict]) -> str:
    result = job.result if isinstance(job.result, dict) else {}
    body = {
        "jobId": str(job.pk),
        "domain": result.get("domain", job.target),
        "filters": {"technique": filters.technique or None,
                    "registered": filters.registered or None,
                    "sort": filters.sort or None},
        "count": len(entries),
        "totalCount": len(lookalikes.entries_of(result)),
        "similarDomains": entries,
    }
    return json.dumps(body, indent=2, ensure_ascii=False)


def filename(job: Job, fmt: str) -> str:
    name = UNSAFE_FILENAME.sub("-", job.target or "").strip("-.") or "domain"
    return f"lookalikes-{name}-{str(job.pk)[:8]}.{fmt}"
