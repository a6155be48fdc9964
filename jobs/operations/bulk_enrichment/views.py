"""The paste-or-upload page: what a list holds before the job starts."""

from __future__ import annotations

from django.shortcuts import render

from jobs.models import EnrichmentUpload
from jobs.operations.bulk_enrichment import uploads
from jobs.operations.bulk_enrichment.operation import DEFAULT_INCLUDE, Module
from jobs.web.orgs import WebRequest, organization_required

JOB_TYPE = "bulk_enrichment"
MODULES = list(Module.__args__)


@organization_required
def bulk_upload(request: WebRequest):
    """GET: the form. POST: what the list holds (count and types), and a form that starts
    the job through the dashboard's ordinary new-job page."""
    if request.method != "POST":
        return _render(request, {"include": DEFAULT_INCLUDE})
    upload = request.FILES.get("file")
    include = [m for m in request.POST.getlist("include") if m in MODULES]
    context = {"include": include, "max_age": request.POST.get("max_age", "")}
    try:
        parsed = _read(upload, request.POST.get("text", ""))
    except uploads.UploadInvalid as exc:
        return _render(request, {**context, "error": str(exc)}, status=400)
    if parsed.is_csv:
        _keep_csv(request, parsed, upload.name if upload else "upload.csv")
    return _render(request, {**context, "parsed": parsed,
                             "indicators_text": "\n".join(parsed.indicators)})


def _read(upload, text: str) -> uploads.Parsed:
    if upload is not None:
        text = uploads.decode(upload.read())
        return uploads.parse_text(text, as_csv=uploads.looks_like_csv(upload.name, text))
    return uploads.parse_text(text, as_csv=False)


def _keep_csv(request: WebRequest, parsed: uploads.Parsed, filename: str) -> None:
    EnrichmentUpload.objects.create(
        organization=request.organization, digest=uploads.digest(parsed.indicators),
        filename=filename[:255], column=parsed.column, has_header=parsed.has_header,
        text=parsed.csv_text)


def _render(request: WebRequest, context: dict, status: int = 200):
    return render(request, "operations/bulk_enrichment/upload.html",
                  {"modules": MODULES, "max_indicators": uploads.MAX_INDICATORS, **context},
                  status=status)
