"""Recurring captures: the schedules, their limits, and the minute-by-minute firing.

Every run is an ordinary job of this operation whose metadata names its schedule. The
scheduler claims a due schedule by moving ``next_capture_at`` with one conditional
UPDATE that names the value it read, so two worker clusters firing at once cannot both
start the same run: the loser updates no row.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import croniter
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jobs.models import Organization, ScreenshotCapture, ScreenshotSchedule
from jobs.operations import starter
from jobs.operations.screenshot.params import (
    FREQUENCY_CRON,
    JOB_TYPE,
    Options,
    Params,
    ScheduleSpec,
)

log = logging.getLogger(__name__)

FIRE_BATCH = 200  # schedules started per run of the scheduler


class ScheduleLimit(Exception):
    pass


def next_run(schedule: ScreenshotSchedule, after: datetime) -> datetime:
    """The first time the schedule's cron matches after ``after``, in its time zone."""
    expression = schedule.cron or FREQUENCY_CRON[schedule.frequency]
    local = after.astimezone(ZoneInfo(schedule.time_zone))
    return croniter(expression, local).get_next(datetime).astimezone(UTC)


def schedule_create(*, organization_id: int, url: str, options: dict, spec: ScheduleSpec,
                    username: str = "", user_id=None, api_key_id=None) -> ScreenshotSchedule:
    """A new schedule; ScheduleLimit when the organization has its maximum already."""
    existing = ScreenshotSchedule.objects.filter(organization_id=organization_id).count()
    if existing >= settings.SCREENSHOT_MAX_SCHEDULES:
        raise ScheduleLimit(f"This organization has {existing} schedules, the most allowed "
                            f"({settings.SCREENSHOT_MAX_SCHEDULES}). Delete one first.")
    now = timezone.now()
    schedule = ScreenshotSchedule(
        organization_id=organization_id, url=url, options=options, username=username,
        user_id=user_id, api_key_id=api_key_id, cron=spec.cron or "",
        frequency=spec.frequency or "",
        time_zone=spec.timezone, enabled=spec.enabled,
        retention_count=min(spec.retention_count, settings.SCREENSHOT_MAX_PER_SCHEDULE),
        created_at=now, updated_at=now)
    schedule.next_capture_at = next_run(schedule, now)
    schedule.save()
    return schedule


def schedule_start(*, organization, data: dict, username: str, user=None, api_key_id=None,
                   source: str, charge=None):
    """Create a schedule from a capture body and start its first capture, atomically.

    Raises starter.StartRefused for a bad body (or one without ``schedule``) and
    ScheduleLimit when the organization has no room for another.
    """
    params = _validated(data)
    with transaction.atomic():
        schedule = schedule_create(
            organization_id=organization.pk, url=params.url,
            options=params.options.model_dump(mode="json", by_alias=True, exclude_none=True),
            spec=params.schedule,
            username=username, user_id=getattr(user, "pk", None), api_key_id=api_key_id)
        job, _ = starter.job_start(
            organization=organization, job_type=JOB_TYPE, data=_run_body(schedule),
            api_key_id=api_key_id, user=user, username=username, source=source,
            charge=charge, metadata={"schedule": str(schedule.pk)})
    return schedule, job


def _validated(data: dict) -> Params:
    from pydantic import ValidationError

    from jobs.clients import target_policy

    try:
        params = Params.model_validate(data, strict=True)   # as a submit's (submission.py)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        message = first["msg"].removeprefix("Value error, ")
        raise starter.StartRefused(f"{field}: {message}", {field: [message]},
                                   "validation_error") from None
    if params.schedule is None:
        raise starter.StartRefused("schedule: a schedule is required here",
                                   {"schedule": ["a schedule is required here"]},
                                   "validation_error")
    reason = target_policy().literal_refusal(params.url)
    if reason:
        raise starter.StartRefused(f"url: {reason}", {"url": [reason]}, "target_not_allowed")
    return params


def _run_body(schedule: ScreenshotSchedule) -> dict:
    return {"url": schedule.url, "options": schedule.options}


def schedules_for(organization_id: int):
    return ScreenshotSchedule.objects.filter(organization_id=organization_id)


def schedule_get(organization_id: int, schedule_id) -> ScreenshotSchedule | None:
    try:
        key = uuid.UUID(str(schedule_id))
    except ValueError:
        return None  # a malformed id is simply not found
    return schedules_for(organization_id).filter(pk=key).first()


def schedule_delete(organization_id: int, schedule_id) -> bool:
    schedule = schedule_get(organization_id, schedule_id)
    if schedule is None:
        return False
    schedule.delete()  # its captures stay with their jobs, no longer tied to a schedule
    return True


def schedule_set_enabled(organization_id: int, schedule_id, enabled: bool) -> bool:
    schedule = schedule_get(organization_id, schedule_id)
    if schedule is None:
        return False
    now = timezone.now()
    fields = {"enabled": enabled, "updated_at": now}
    if enabled:  # a resumed schedule runs at its next time, not for every missed one
        fields["next_capture_at"] = next_run(schedule, now)
    ScreenshotSchedule.objects.filter(pk=schedule.pk).update(**fields)
    return True


def history_clear(organization_id: int, schedule_id) -> int | None:
    """Delete a schedule's captures (and their files); None if there is no such schedule."""
    schedule = schedule_get(organization_id, schedule_id)
    if schedule is None:
        return None
    deleted, _ = ScreenshotCapture.objects.filter(organization_id=organization_id,
                                                  schedule=schedule).delete()
    return deleted


# --- firing ------------------------------------------------------------------------------


def schedules_due(now: datetime | None = None) -> list[ScreenshotSchedule]:
    now = now or timezone.now()
    return list(ScreenshotSchedule.objects.filter(enabled=True, next_capture_at__lte=now)
                .select_related("organization").order_by("next_capture_at")[:FIRE_BATCH])


def schedule_claim(schedule: ScreenshotSchedule, now: datetime) -> bool:
    """Move the schedule to its next run if nobody else has: True means this run is ours."""
    upcoming = next_run(schedule, now)
    claimed = ScreenshotSchedule.objects.filter(
        pk=schedule.pk, enabled=True, next_capture_at=schedule.next_capture_at,
    ).update(next_capture_at=upcoming, updated_at=now)
    if claimed:
        schedule.next_capture_at = upcoming
    return bool(claimed)


def schedules_fire_due(now: datetime | None = None) -> list[str]:
    """Start a capture for every due schedule this process wins; returns the job ids."""
    now = now or timezone.now()
    started = []
    for schedule in schedules_due(now):
        if not schedule_claim(schedule, now):
            continue
        try:
            job, _ = starter.job_start(
                organization=Organization(pk=schedule.organization_id), job_type=JOB_TYPE,
                data=_run_body(schedule), api_key_id=schedule.api_key_id,
                user=schedule.user, username=schedule.username, source="schedule",
                metadata={"schedule": str(schedule.pk)})
        except starter.StartRefused as exc:
            log.warning("schedule %s could not start a capture: %s", schedule.pk, exc)
            continue
        started.append(str(job.pk))
    return started


def fire_due_schedules() -> int:
    """The django-q2 periodic task (every minute)."""
    return len(schedules_fire_due())


def options_snake(options: dict) -> dict:
    return Options.model_validate(options).model_dump(mode="json")
