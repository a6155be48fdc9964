"""The CSV round trip: an uploaded CSV's rows with the enrichment columns appended."""

from __future__ import annotations

import csv
import io

from django.http import Http404, HttpResponse

from jobs.models import EnrichmentUpload, JobStatus
from jobs.operations.bulk_enrichment import uploads
from jobs.operations.bulk_enrichment.rows import table_row
from jobs.web import selectors
from jobs.web.orgs import WebRequest, organization_required
from jobs.web.tables import safe_cell

JOB_TYPE = "bulk_enrichment"
CSV_COLUMNS = ("type", "value", "status", "country", "as_name", "asn", "listed", "listed_in",
               "risk_score", "addresses", "rpki", "error")


@organization_required
def bulk_csv(request: WebRequest, job_id):
    """The uploaded CSV's rows with the enrichment columns appended (or, for a job started
    from a list, one row per indicator)."""
    job = selectors.job_get(organization=request.organization, job_id=job_id)
    if job.type != JOB_TYPE or job.status != JobStatus.COMPLETED:
        raise Http404("No enrichment result")
    upload = csv_upload_of(job)
    body = csv_round_trip(job.result or {}, upload)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="enriched-{str(job.pk)[:8]}.csv"'
    return response


def csv_upload_of(job) -> EnrichmentUpload | None:
    """The organization's latest CSV whose indicator column is this job's list."""
    indicators = (job.params or {}).get("indicators") or []
    return (EnrichmentUpload.objects.filter(organization_id=job.organization_id,
                                            digest=uploads.digest(indicators))
            .order_by("-created_at").first())


def csv_round_trip(result: dict, upload: EnrichmentUpload | None) -> str:
    by_entry = _columns_by_entry(result)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if upload is None:
        writer.writerow(["indicator", *CSV_COLUMNS])
        for entry, columns in by_entry.items():
            writer.writerow([safe_cell(entry), *columns])
        return out.getvalue()
    rows = [row for row in csv.reader(io.StringIO(upload.text)) if any(c.strip() for c in row)]
    for number, row in enumerate(rows):
        if number == 0 and upload.has_header:
            writer.writerow([safe_cell(c) for c in row] + list(CSV_COLUMNS))
            continue
        cell = row[upload.column].strip() if upload.column < len(row) else ""
        extra = by_entry.get(cell, [""] * len(CSV_COLUMNS))
        writer.writerow([safe_cell(c) for c in row] + extra)
    return out.getvalue()


def _columns_by_entry(result: dict) -> dict[str, list[str]]:
    found = {}
    for item in result.get("results", []):
        row = table_row(item)
        found[item["indicator"]] = [safe_cell(_text(row.get(c))) for c in CSV_COLUMNS]
    for error in result.get("errors", []):
        row = {"type": error.get("type"), "status": error.get("code"),
               "error": error.get("message")}
        found[error["indicator"]] = [safe_cell(_text(row.get(c))) for c in CSV_COLUMNS]
    return found


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)
