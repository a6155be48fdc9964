"""Tables that operations keep beside their jobs: screenshot captures and schedules,
enrichment reference data and caches. Imported by ``jobs.models`` (one app, one set of
migrations)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ScreenshotSchedule(models.Model):
    """A page captured again and again: every run is an ordinary job of its operation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("jobs.Organization", on_delete=models.CASCADE,
                                     related_name="+")
    url = models.CharField(max_length=2048)
    username = models.CharField(max_length=150, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey("jobs.ApiKey", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    cron = models.CharField(max_length=120, blank=True)
    frequency = models.CharField(max_length=32, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    enabled = models.BooleanField(default=True)
    options = models.JSONField(default=dict)
    retention_count = models.PositiveIntegerField(default=30)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    last_capture_at = models.DateTimeField(null=True, blank=True)
    next_capture_at = models.DateTimeField(null=True, blank=True)
    capture_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["enabled", "next_capture_at"], name="shot_schedule_due"),
                   models.Index(fields=["organization", "-created_at"], name="shot_schedule_org")]

    def __str__(self):
        return f"{self.url} ({self.cron or self.frequency})"


class ScreenshotCapture(models.Model):
    """One stored page image; the file lives in the artifact storage under ``file``.

    It goes with its job (the purge) and with its schedule's retention; the file is
    deleted with the row (jobs.signals).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("jobs.Organization", on_delete=models.CASCADE,
                                     related_name="+")
    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="+")
    schedule = models.ForeignKey("jobs.ScreenshotSchedule", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="captures")
    page_url = models.CharField(max_length=2048)
    final_url = models.CharField(max_length=2048, blank=True)
    host = models.CharField(max_length=255, blank=True)
    file = models.CharField(max_length=300)
    format = models.CharField(max_length=8)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    file_size = models.PositiveIntegerField()
    phash = models.CharField(max_length=32, blank=True)
    # Against the schedule's previous capture: pHash distance and whether it crossed
    # the "changed" threshold (null for the first capture or an unscheduled one).
    change_distance = models.PositiveSmallIntegerField(null=True, blank=True)
    changed = models.BooleanField(null=True, blank=True)
    captured_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-captured_at"]
        indexes = [models.Index(fields=["organization", "host", "-captured_at"],
                                name="shot_capture_host"),
                   models.Index(fields=["schedule", "-captured_at"], name="shot_capture_sched"),
                   models.Index(fields=["organization", "-captured_at"], name="shot_capture_org")]

    def __str__(self):
        return f"{self.page_url} at {self.captured_at:%Y-%m-%d %H:%M}"


class EnrichmentDataset(models.Model):
    """Reference data the operator loads for enrichment: a block list or a VRP set.

    ``payload`` is the parsed set, gzip-compressed JSON, so every worker on every machine
    reads the same copy; a scheduled task refreshes it from ``source`` (a path or a URL).
    A failed refresh keeps the last good payload and records ``error``.
    """

    class Kind(models.TextChoices):
        REPUTATION = "reputation"
        RPKI = "rpki"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100)
    source = models.CharField(max_length=1000)
    payload = models.BinaryField(default=bytes)
    entries = models.PositiveIntegerField(default=0)
    fetched_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "name"],
                                               name="enrichment_dataset_unique")]

    def __str__(self):
        return f"{self.kind}:{self.name}"


class EnrichmentCacheEntry(models.Model):
    """One indicator's enrichment, kept so re-submitting an overlapping list is cheap.

    Keyed by organization, the set of modules asked for and the normalised value; a job
    uses it only when it is younger than the job's ``options.max_age``.
    """

    organization = models.ForeignKey("jobs.Organization", on_delete=models.CASCADE,
                                     related_name="+")
    modules = models.CharField(max_length=200)
    value = models.CharField(max_length=2048)
    item = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "modules", "value"],
                                               name="enrichment_cache_unique")]

    def __str__(self):
        return f"{self.modules} {self.value}"


class EnrichmentUpload(models.Model):
    """A CSV file checked on the dashboard before a bulk enrichment job, for the CSV round
    trip: a job whose indicators are this file's (same ``digest``) downloads the same rows
    with the enrichment columns appended."""

    organization = models.ForeignKey("jobs.Organization", on_delete=models.CASCADE,
                                     related_name="+")
    digest = models.CharField(max_length=64)
    filename = models.CharField(max_length=255)
    column = models.PositiveIntegerField()
    has_header = models.BooleanField(default=False)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "digest"], name="enrichment_upload_digest")]

    def __str__(self):
        return self.filename
