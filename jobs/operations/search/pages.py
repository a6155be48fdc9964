"""Dashboard pages of the registration store: a record with "find others like this"
pivots and its history, and the staff import page (an import runs as a django-q2 task
and the page follows its run's checkpoint)."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseStopPolling

from jobs.operations.search import finder
from jobs.registrations.models import (
    LIST_FIELDS,
    TEXT_FIELDS,
    TRACKED,
    Registration,
    RegistrationImport,
)
from jobs.web.orgs import WebRequest, organization_required

PIVOT_LABELS = {
    "registrantEmail": "Same registrant e-mail", "registrantName": "Same registrant name",
    "registrantCompany": "Same company", "registrantPhone": "Same phone",
    "registrarName": "Same registrar", "registrantCity": "Same city",
    "registrantCountry": "Same country", "nameServer": "Same name server",
}
UPLOAD_DIR = "registration-imports"
LIVE = (RegistrationImport.Status.QUEUED, RegistrationImport.Status.RUNNING)   # still moving


@organization_required
def record_lookup(request: WebRequest):
    """``?domain=`` opens the record the organization sees for that domain."""
    name = request.GET.get("domain", "").strip().lower().rstrip(".")
    record = _visible(request).filter(domain=name).order_by("organization_id").first()
    if record is None:
        raise Http404("No registration record for this domain")
    return redirect("registration-record", record_id=record.pk)


@organization_required
def record_detail(request: WebRequest, record_id: int):
    record = get_object_or_404(_visible(request), pk=record_id)
    return render(request, "operations/search/record.html", {
        "record": record, "pivots": _pivots(record, request.organization.pk),
        "history": _history(record), "count_bound": finder.COUNT_BOUND,
    })


def _visible(request: WebRequest):
    return Registration.objects.filter(
        Q(organization__isnull=True) | Q(organization=request.organization))


def _pivots(record: Registration, organization_id: int) -> list[dict]:
    columns = {**TEXT_FIELDS, **LIST_FIELDS}
    pivots = []
    for field, label in PIVOT_LABELS.items():
        values = ([getattr(record, columns[field])] if field in TEXT_FIELDS
                  else record.name_server_list)
        for value in filter(None, values):
            count = finder.sharing(field, value.replace("*", ""), organization_id)
            pivots.append({"field": field, "label": label, "value": value, "count": count,
                           "more": count > finder.COUNT_BOUND})
    return pivots


def _history(record: Registration) -> list[dict]:
    """Each earlier version with what changed when it was replaced."""
    later = {column: getattr(record, column) for column in TRACKED}
    later = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in later.items()}
    out = []
    for version in record.versions.order_by("-replaced_at", "-pk"):
        changes = [(column, version.values.get(column), later[column]) for column in TRACKED
                   if str(version.values.get(column) or "") != str(later[column] or "")]
        out.append({"version": version, "changes": changes})
        later = {column: version.values.get(column) for column in TRACKED}
    return out


# --- staff import ----------------------------------------------------------------------------


def _staff(request: WebRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can import registration records.")


@organization_required
@require_http_methods(["GET", "POST"])
def import_page(request: WebRequest):
    _staff(request)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or not upload.size:
            messages.error(request, "Choose a CSV or JSONL file (gzip accepted).")
        else:
            run = _start_import(request, upload)
            return redirect("registration-import-status", run_id=run.pk)
    runs = RegistrationImport.objects.order_by("-pk")[:20]
    return render(request, "operations/search/import.html", {"runs": runs})


def _start_import(request: WebRequest, upload) -> RegistrationImport:
    from jobs.registrations.importer import fingerprint
    from jobs.registrations.tasks import registration_import_enqueue

    folder = Path(settings.VAR_DIR) / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}-{Path(upload.name).name[-100:]}"
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    organization_id = request.organization.pk if request.POST.get("private") else None
    digest, size = fingerprint(str(path), organization_id)
    run = RegistrationImport.objects.create(
        path=str(path), size=size, fingerprint=digest, organization_id=organization_id,
        status=RegistrationImport.Status.QUEUED, created_by=request.user.username,
        message=f"Uploaded as {upload.name}")
    registration_import_enqueue(run.pk)
    return run


@organization_required
@require_http_methods(["GET", "POST"])
def import_status(request: WebRequest, run_id: int):
    _staff(request)
    run = get_object_or_404(RegistrationImport, pk=run_id)
    if request.method == "POST":
        _resume(request, run)
        return redirect("registration-import-status", run_id=run.pk)
    share = min(run.offset / run.size, 1.0) if run.size else 0.0
    if run.status == RegistrationImport.Status.DONE:
        share = 1.0
    context = {"run": run, "percent": round(share * 100), "rejects": run.rejects[:100],
               "resumable": _resumable(run)}
    if request.htmx:
        response = render(request, "operations/search/import_status.html#live", context)
        return response if run.status in LIVE else HttpResponseStopPolling(response.content)
    return render(request, "operations/search/import_status.html", context)


def _resumable(run: RegistrationImport) -> bool:
    """A failed upload whose file is still here (the command line's files are its own)."""
    path = Path(run.path)
    return (run.status == RegistrationImport.Status.FAILED
            and path.parent == Path(settings.VAR_DIR) / UPLOAD_DIR and path.is_file())


def _resume(request: WebRequest, run: RegistrationImport) -> None:
    from jobs.registrations.tasks import registration_import_enqueue

    if not _resumable(run):
        messages.error(request, "Only a failed upload whose file is still kept can be resumed.")
        return
    updated = RegistrationImport.objects.filter(
        pk=run.pk, status=RegistrationImport.Status.FAILED).update(
        status=RegistrationImport.Status.QUEUED, finished_at=None, updated_at=timezone.now(),
        message=f"Resumed by {request.user.username} after line {run.line}")
    if updated:     # two clicks, one task
        registration_import_enqueue(run.pk)
        messages.success(request, f"Import #{run.pk} resumes after line {run.line}.")
