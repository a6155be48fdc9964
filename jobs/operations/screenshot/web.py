"""The dashboard's screenshot pages: the job's result, galleries, compare, schedules.

Every query starts from the signed-in organization; another organization's capture or
schedule is a 404. Images are shown through their signed links, like the API gives them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jobs.models import ScreenshotCapture
from jobs.operations import starter
from jobs.operations.screenshot import imaging, schedules, store
from jobs.operations.screenshot.params import FREQUENCY_CRON
from jobs.web.orgs import WebRequest, organization_required
from jobs.web.tables import Column, Table, views_for

GALLERY_TARGETS = 60
TARGET_CAPTURES = 100

NETWORK = Table("network", "Network log", (
    Column("url", "URL", mono=True),
    Column("method", "Method", filter=True),
    Column("resourceType", "Type", filter=True),
    Column("status", "Status", numeric=True, filter=True),
    Column("size", "Size", numeric=True),
    Column("blocked", "Blocked", filter=True),
    Column("failure", "Failure"),
), rows=lambda result: [n.model_dump(by_alias=True) for n in result.network],
    page_size=25, empty="The page made no requests.", noun="request")

CONSOLE = Table("console", "Console messages", (
    Column("type", "Type", filter=True),
    Column("text", "Message"),
), rows=lambda result: [c.model_dump(by_alias=True) for c in result.console],
    page_size=25, empty="The page wrote nothing to its console.", noun="message")

HEADERS = Table("headers", "Response headers", (
    Column("name", "Header", mono=True),
    Column("value", "Value", mono=True),
), rows=lambda result: [{"name": k, "value": v} for k, v in result.response_headers.items()],
    page_size=50, empty="No response headers (the page did not answer).", noun="header")

TABLES = (NETWORK, CONSOLE, HEADERS)


# --- the job page ------------------------------------------------------------------------


def result_context(job, result, request) -> dict:
    capture = (ScreenshotCapture.objects.filter(organization_id=job.organization_id,
                                                job_id=job.pk).first())
    return {
        "shot": result,
        "capture": capture,
        "image_url": store.image_path(capture.pk) if capture else None,
        "similar": [{**s.model_dump(by_alias=True), "image_url": store.image_path(
            s.screenshot_id)} for s in result.similar],
        "views": views_for(job, result, TABLES, request.GET),
    }


def result_summary(result) -> str:
    status = f"HTTP {result.http_status}" if result.http_status else "no answer"
    blocked = f", {len(result.blocked_requests)} blocked" if result.blocked_requests else ""
    return f"{result.dimensions} {result.format}, {status}{blocked}"


# --- galleries ---------------------------------------------------------------------------


@organization_required
def gallery(request: WebRequest):
    """Every target this organization captured, newest first, with its latest image."""
    captures = ScreenshotCapture.objects.filter(organization=request.organization)
    targets = list(captures.values("host").annotate(count=Count("pk"),
                                                    latest=Max("captured_at"))
                   .order_by("-latest")[:GALLERY_TARGETS])
    for target in targets:
        latest = captures.filter(host=target["host"]).order_by("-captured_at").first()
        target["capture"] = latest
        target["image_url"] = store.image_path(latest.pk)
    return render(request, "operations/screenshot/gallery.html",
                  {"targets": targets, "nav_section": "screenshots"})


@organization_required
def target_history(request: WebRequest, host: str):
    """One target over time: each capture with its change from the one before."""
    captures = list(ScreenshotCapture.objects.filter(organization=request.organization,
                                                     host=host)
                    .select_related("schedule").order_by("-captured_at")[:TARGET_CAPTURES])
    if not captures:
        raise Http404("No captures of this target")
    rows = []
    for index, capture in enumerate(captures):
        older = captures[index + 1] if index + 1 < len(captures) else None
        distance = (imaging.distance(capture.phash, older.phash)
                    if older and capture.phash and older.phash else None)
        rows.append({"capture": capture, "image_url": store.image_path(capture.pk),
                     "older": older, "distance": distance,
                     "changed": distance is not None
                     and distance > settings.SCREENSHOT_CHANGE_THRESHOLD})
    return render(request, "operations/screenshot/target.html",
                  {"host": host, "rows": rows, "nav_section": "screenshots"})


@organization_required
def compare(request: WebRequest):
    """Two captures side by side with their pHash distance."""
    pair = [_capture_or_404(request, request.GET.get(side, "")) for side in ("a", "b")]
    distance = (imaging.distance(pair[0].phash, pair[1].phash)
                if pair[0].phash and pair[1].phash else None)
    return render(request, "operations/screenshot/compare.html", {
        "pair": [{"capture": c, "image_url": store.image_path(c.pk)} for c in pair],
        "distance": distance, "threshold": settings.SCREENSHOT_CHANGE_THRESHOLD,
        "nav_section": "screenshots"})


def _capture_or_404(request: WebRequest, capture_id: str) -> ScreenshotCapture:
    try:
        key = uuid.UUID(capture_id)
    except ValueError:
        raise Http404("No such capture") from None
    capture = ScreenshotCapture.objects.filter(organization=request.organization, pk=key).first()
    if capture is None:
        raise Http404("No such capture")
    return capture


# --- schedules ---------------------------------------------------------------------------


@organization_required
def schedule_list(request: WebRequest):
    form = {"url": "", "frequency": "daily", "cron": "", "timezone": "UTC",
            "retention_count": "30"}
    errors: dict = {}
    if request.method == "POST":
        form = {key: request.POST.get(key, "").strip() for key in form}
        errors = _schedule_create(request, form)
        if not errors:
            return redirect("screenshot-schedules")
    rows = list(schedules.schedules_for(request.organization.pk)
                .annotate(kept=Count("captures")))
    return render(request, "operations/screenshot/schedules.html", {
        "schedules": rows, "form": form, "errors": errors,
        "frequencies": list(FREQUENCY_CRON), "nav_section": "screenshots",
        "max_schedules": settings.SCREENSHOT_MAX_SCHEDULES,
    }, status=400 if errors else 200)


def _schedule_create(request: WebRequest, form: dict) -> dict:
    spec = {"timezone": form["timezone"] or "UTC"}
    if form["cron"]:
        spec["cron"] = form["cron"]
    else:
        spec["frequency"] = form["frequency"]
    if form["retention_count"]:
        spec["retention_count"] = (int(form["retention_count"])
                                   if form["retention_count"].isdigit()
                                   else form["retention_count"])
    try:
        _schedule, job = schedules.schedule_start(
            organization=request.organization, data={"url": form["url"], "schedule": spec},
            username=request.user.get_username(), user=request.user, source="web")
    except starter.StartRefused as exc:
        return exc.details
    except schedules.ScheduleLimit as exc:
        return {"schedule": [str(exc)]}
    messages.success(request, "Schedule created; its first capture has started.")
    return {}


@require_POST
@organization_required
def schedule_action(request: WebRequest, schedule_id, action: str):
    org_id = request.organization.pk
    done = {
        "pause": lambda: schedules.schedule_set_enabled(org_id, schedule_id, False),
        "resume": lambda: schedules.schedule_set_enabled(org_id, schedule_id, True),
        "delete": lambda: schedules.schedule_delete(org_id, schedule_id),
    }
    if action not in done or not done[action]():
        raise Http404("No such schedule")
    word = {"pause": "paused", "resume": "resumed", "delete": "deleted"}[action]
    messages.success(request, f"Schedule {word}.")
    return redirect("screenshot-schedules")
