"""Keeping captures: the file in the artifact storage, the row, the signed link, the kin.

Every query starts from the organization. The image link is a signed capture id: it
works without a key (``<img>`` tags, downloads) and stops working when the capture
goes, which happens with its job (retention purge) or its schedule's retention.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from jobs.api.formats import iso
from jobs.artifacts import artifact_save, artifact_storage
from jobs.models import Job, ScreenshotCapture, ScreenshotSchedule
from jobs.operations.screenshot import imaging

SIGNING_SALT = "jobs.artifacts.capture-image"
SIMILAR_SCAN = 5000  # earlier captures compared for "most similar"
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass
class Stored:
    capture: ScreenshotCapture
    similar: list[dict]
    change: dict | None


def capture_save(*, job_id: str, page_url: str, final_url: str, data: bytes, fmt: str,
                 width: int, height: int, phash: str) -> Stored:
    """Store the image and its row; a repeat run of the same job replaces the earlier one."""
    job = Job.objects.only("organization_id", "metadata").get(pk=job_id)
    schedule = _schedule_of(job)
    capture_id = ScreenshotCapture._meta.pk.default()
    name = artifact_save(f"captures/{job.organization_id}/{capture_id}.{fmt}", data)
    with transaction.atomic():
        ScreenshotCapture.objects.filter(job_id=job.pk).delete()
        capture = ScreenshotCapture.objects.create(
            id=capture_id, organization_id=job.organization_id, job_id=job.pk,
            schedule=schedule, page_url=page_url[:2048], final_url=final_url[:2048],
            host=(urlsplit(page_url).hostname or "")[:255], file=name, format=fmt,
            width=width, height=height, file_size=len(data), phash=phash)
        change = _record_change(capture, schedule) if schedule else None
        if schedule is not None:
            ScreenshotSchedule.objects.filter(pk=schedule.pk).update(
                last_capture_at=capture.captured_at, capture_count=F("capture_count") + 1)
    if schedule is not None:
        captures_retain(schedule)
    return Stored(capture, similar_captures(capture), change)


def _schedule_of(job: Job) -> ScreenshotSchedule | None:
    schedule_id = (job.metadata or {}).get("schedule")
    if not schedule_id:
        return None
    return ScreenshotSchedule.objects.filter(organization_id=job.organization_id,
                                             pk=schedule_id).first()


def _record_change(capture: ScreenshotCapture, schedule: ScreenshotSchedule) -> dict:
    previous = (ScreenshotCapture.objects
                .filter(organization_id=capture.organization_id, schedule=schedule)
                .exclude(pk=capture.pk).order_by("-captured_at").first())
    change = {"scheduleId": str(schedule.pk), "previousScreenshotId": None, "distance": None,
              "changed": None}
    if previous is None or not previous.phash or not capture.phash:
        return change
    distance = imaging.distance(previous.phash, capture.phash)
    capture.change_distance = distance
    capture.changed = distance > settings.SCREENSHOT_CHANGE_THRESHOLD
    capture.save(update_fields=["change_distance", "changed"])
    change.update(previousScreenshotId=str(previous.pk), distance=distance,
                  changed=capture.changed)
    return change


def captures_retain(schedule: ScreenshotSchedule) -> int:
    """Delete the schedule's oldest captures past its retention count (files too)."""
    keep = min(schedule.retention_count, settings.SCREENSHOT_MAX_PER_SCHEDULE)
    captures = ScreenshotCapture.objects.filter(organization_id=schedule.organization_id,
                                                schedule=schedule).order_by("-captured_at")
    old = list(captures.values_list("pk", flat=True)[keep:])
    if not old:
        return 0
    deleted, _ = ScreenshotCapture.objects.filter(pk__in=old).delete()
    return deleted


def similar_captures(capture: ScreenshotCapture, limit: int | None = None) -> list[dict]:
    """This organization's earlier captures closest to ``capture`` by pHash distance."""
    limit = settings.SCREENSHOT_SIMILAR_LIMIT if limit is None else limit
    if not capture.phash or not limit:
        return []
    earlier = (ScreenshotCapture.objects.filter(organization_id=capture.organization_id)
               .exclude(pk=capture.pk).exclude(phash="")
               .values("pk", "job_id", "page_url", "captured_at", "phash")
               .order_by("-captured_at")[:SIMILAR_SCAN])
    scored = sorted(((imaging.distance(capture.phash, row["phash"]), row) for row in earlier),
                    key=lambda pair: (pair[0], -pair[1]["captured_at"].timestamp()))
    return [{"screenshotId": str(row["pk"]), "jobId": str(row["job_id"]),
             "pageUrl": row["page_url"], "capturedAt": iso(row["captured_at"]),
             "distance": distance} for distance, row in scored[:limit]]


# --- the signed image link ---------------------------------------------------------------


def image_token(capture_id) -> str:
    # No timestamp inside: one capture has one link (cacheable); the job's expiry ends it.
    return signing.Signer(salt=SIGNING_SALT).sign(str(capture_id))


def image_path(capture_id) -> str:
    return reverse("screenshot-image", args=[image_token(capture_id)])


def image_url(capture_id) -> str:
    return f"{settings.PUBLIC_BASE_URL}{image_path(capture_id)}"


def capture_for_token(token: str) -> ScreenshotCapture | None:
    """The capture a link names, if the link is genuine and its job has not expired."""
    try:
        capture_id = uuid.UUID(signing.Signer(salt=SIGNING_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    capture = (ScreenshotCapture.objects.select_related("job")
               .filter(pk=capture_id).first())
    if capture is None:
        return None
    expires = capture.job.expires_at
    if expires is not None and expires <= timezone.now():
        return None
    return capture


def capture_open(capture: ScreenshotCapture):
    return artifact_storage().open(capture.file, "rb")
