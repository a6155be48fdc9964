"""The /v1 schedule, history and image endpoints (API.md, "Screenshot schedules").

Thin views: authenticate, read, call one service, answer. Schedule objects are
snake_case, as the published client expects. Another organization's schedule is a 404.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import FileResponse, Http404, JsonResponse

from jobs.api.auth import require_api_key
from jobs.api.decorators import allow_methods
from jobs.api.errors import ApiError
from jobs.api.formats import iso
from jobs.api.inputs import read_json_object
from jobs.api.ratelimit import check_rate, rate_charge
from jobs.api.whisper import status_url, submitted
from jobs.models import ScreenshotCapture, ScreenshotSchedule
from jobs.operations import starter
from jobs.operations.screenshot import schedules, store

HISTORY_LIMIT = 50
HISTORY_MAX = 1000


def schedule_object(schedule: ScreenshotSchedule) -> dict:
    return {
        "id": str(schedule.pk),
        "url": schedule.url,
        "username": schedule.username,
        "cron": schedule.cron or None,
        "frequency": schedule.frequency or None,
        "timezone": schedule.time_zone,
        "enabled": schedule.enabled,
        "options": schedules.options_snake(schedule.options),
        "retention_count": schedule.retention_count,
        "created_at": iso(schedule.created_at),
        "updated_at": iso(schedule.updated_at),
        "last_capture_at": iso(schedule.last_capture_at),
        "next_capture_at": iso(schedule.next_capture_at),
        "capture_count": schedule.capture_count,
    }


@allow_methods("POST")
@require_api_key
def schedule_create(request):
    caller = request.caller
    try:
        _schedule, job = schedules.schedule_start(
            organization=caller.organization, data=read_json_object(request), username=caller.name,
            api_key_id=caller.key_id, source="api",
            charge=rate_charge(caller.key_id, "screenshots"))
    except starter.StartRefused as exc:
        raise ApiError(400, exc.message, error=exc.error, details=exc.details) from None
    except schedules.ScheduleLimit as exc:
        raise ApiError(409, str(exc)) from None
    response = JsonResponse(submitted(job), status=202)
    response["Location"] = status_url(job.pk)
    response["Retry-After"] = "2"
    return response


@allow_methods("GET")
@require_api_key
def schedule_list(request):
    from django.conf import settings

    check_rate(request.caller.key_id, "reads")
    rows = list(schedules.schedules_for(request.caller.organization_id))
    return JsonResponse({
        "count": len(rows),
        "max_schedules": settings.SCREENSHOT_MAX_SCHEDULES,
        "max_screenshots_per_schedule": settings.SCREENSHOT_MAX_PER_SCHEDULE,
        "schedules": [schedule_object(s) for s in rows],
    })


@allow_methods("GET", "DELETE")
@require_api_key
def schedule_detail(request, schedule_id: str):
    org_id = request.caller.organization_id
    if request.method == "DELETE":
        check_rate(request.caller.key_id, "other")
        if not schedules.schedule_delete(org_id, schedule_id):
            raise ApiError(404, "No schedule with this id.")
        return JsonResponse({"success": True, "message": "Schedule deleted", "id": schedule_id})
    check_rate(request.caller.key_id, "reads")
    schedule = schedules.schedule_get(org_id, schedule_id)
    if schedule is None:
        raise ApiError(404, "No schedule with this id.")
    return JsonResponse(schedule_object(schedule))


@allow_methods("DELETE")
@require_api_key
def history_clear(request, schedule_id: str):
    check_rate(request.caller.key_id, "other")
    deleted = schedules.history_clear(request.caller.organization_id, schedule_id)
    if deleted is None:
        raise ApiError(404, "No schedule with this id.")
    return JsonResponse({"success": True, "message": "History cleared", "deleted": deleted})


@allow_methods("GET")
@require_api_key
def history(request):
    check_rate(request.caller.key_id, "reads")
    target = request.GET.get("target", "").strip()
    if not target:
        raise ApiError(400, "target: give the page URL or host of the schedules",
                       details={"target": ["required"]})
    limit = _limit(request.GET.get("limit"))
    found = _schedules_matching(request.caller.organization_id, target)
    total = ScreenshotCapture.objects.filter(
        organization_id=request.caller.organization_id, schedule__in=found).count()
    return JsonResponse({
        "target": target,
        "schedules": [{"schedule_id": str(s.pk), "url": s.url,
                       "screenshots": [_history_entry(c) for c in s.captures.all()[:limit]]}
                      for s in found],
        "total_screenshots": total,
        "limit": limit,
    })


def _limit(raw: str | None) -> int:
    if raw in (None, ""):
        return HISTORY_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= HISTORY_MAX:
        raise ApiError(400, f"limit: a whole number from 1 to {HISTORY_MAX}",
                       details={"limit": [f"a whole number from 1 to {HISTORY_MAX}"]})
    return value


def _schedules_matching(organization_id: int, target: str) -> list[ScreenshotSchedule]:
    """Schedules of this exact URL, or of any URL on this host when a host is given."""
    rows = list(schedules.schedules_for(organization_id))
    host = (urlsplit(target).hostname if "://" in target else target).lower()
    return [s for s in rows if s.url == target or (urlsplit(s.url).hostname or "") == host]


def _history_entry(capture: ScreenshotCapture) -> dict:
    return {"url": store.image_url(capture.pk), "captured_at": iso(capture.captured_at),
            "format": capture.format, "dimensions": f"{capture.width}x{capture.height}",
            "file_size": capture.file_size, "screenshot_id": str(capture.pk),
            "job_id": str(capture.job_id), "phash": capture.phash,
            "change_distance": capture.change_distance, "changed": capture.changed}


@allow_methods("GET")
def image(request, token: str):
    """The signed image link: no key needed; 404 once the capture or its job is gone."""
    capture = store.capture_for_token(token)
    if capture is None:
        raise ApiError(404, "No such image, or it expired.")
    try:
        handle = store.capture_open(capture)
    except (FileNotFoundError, OSError):
        raise Http404 from None
    download = request.GET.get("download") is not None
    response = FileResponse(handle, content_type=store.CONTENT_TYPES[capture.format],
                            as_attachment=download,
                            filename=f"{capture.host or 'page'}-{capture.pk}.{capture.format}")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
