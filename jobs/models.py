import hashlib
import secrets
from datetime import timedelta

import uuid6
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

KEY_PREFIX = "sok_"
VISIBLE_PREFIX_LENGTH = 12


class Organization(models.Model):
    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="memberships")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"],
                                               name="membership_unique")]

    def __str__(self):
        return f"{self.user} in {self.organization}"


def hash_key(raw_key: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def for_org(self, org):
        return self.filter(organization=org)


class ApiKey(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=VISIBLE_PREFIX_LENGTH, editable=False)
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def generate(cls) -> tuple[str, str, str]:
        """A new raw key with its visible prefix and hash; the raw key is never stored."""
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        return raw, raw[:VISIBLE_PREFIX_LENGTH], hash_key(raw)


class JobStatus(models.TextChoices):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


TERMINAL_STATES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)
ACTIVE_STATES = (JobStatus.PENDING, JobStatus.PROCESSING)


def progress_percentage(status: str, current: int, total: int) -> float:
    if not total:
        return 100.0 if status == JobStatus.COMPLETED else 0.0
    return round(100.0 * min(current, total) / total, 1)


class JobQuerySet(models.QuerySet):
    def for_org(self, org):
        return self.filter(organization=org)

    def expired(self, now=None):
        return self.filter(expires_at__lte=now or timezone.now())

    def active(self):
        return self.filter(status__in=ACTIVE_STATES)


class Job(models.Model):
    """One operation run. Only jobs.lifecycle writes ``status`` and the fields that move with it."""

    # Time-ordered (UUIDv7): a new job's key lands at the right edge of the primary key's
    # index, on a page already in memory, instead of on a random one of millions.
    id = models.UUIDField(primary_key=True, default=uuid6.uuid7, editable=False)
    # No index of its own: the composite indexes below serve it. Every index is one
    # more page written per submitted job.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="jobs",
                                     db_index=False)
    type = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    target = models.CharField(max_length=512, blank=True)
    params = models.JSONField(default=dict)
    metadata = models.JSONField(default=dict)

    progress_current = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_message = models.CharField(max_length=500, blank=True)

    result = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    error_details = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)

    # No index: no query looks jobs up by key, and deleting a key (revoking is the
    # usual way) may scan the table once rather than every submit writing one more page.
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="jobs", db_index=False)
    # Jobs sent with an API key have no user: the index (partial, below) holds only the
    # dashboard's, so an API submit does not write to it.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="jobs", db_index=False)
    username = models.CharField(max_length=150, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    # The lease: which worker runs it, when it last said so, when it must stop.
    worker = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # An organization's jobs, newest first. The type rides along at the end, so a
            # list by type reads it from the index and only the rows it shows from the
            # table; an index of its own would be one more page written per job.
            models.Index(fields=["organization", "-created_at", "type"],
                         name="job_org_created_type"),
            # Status first, so the one index serves both an organization's list by status
            # (newest first) and the housekeeping that looks across organizations for the
            # few jobs in one state (the reaper, the resend, the queue's health).
            models.Index(fields=["status", "organization", "-created_at"],
                         name="job_status_org_created"),
            models.Index(fields=["expires_at"], name="job_purge",
                         condition=Q(expires_at__isnull=False)),
            models.Index(fields=["user"], name="job_user", condition=Q(user__isnull=False)),
        ]

    def __str__(self):
        return f"{self.type} {self.id}"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATES

    @property
    def percentage(self) -> float:
        return progress_percentage(self.status, self.progress_current, self.progress_total)

    @property
    def duration(self) -> timedelta | None:
        if not self.started_at:
            return None
        return (self.completed_at or timezone.now()) - self.started_at


class IdempotencyRecord(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"],
                                               name="idempotency_unique")]

    def __str__(self):
        return f"{self.key} -> {self.job_id}"


class RateCounter(models.Model):
    """Fixed-window request counters per API key and category, shared by every web
    process (``jobs.api.ratelimit``); UNLOGGED on PostgreSQL."""

    bucket = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.bucket}: {self.count}"


class Observation(models.Model):
    """One DNS fact an organization's jobs have seen: ``name`` had ``rtype`` ``value``.

    Every answer any job receives is recorded (first and last seen), per organization:
    one organization never learns what another looked up. Maps use it for names seen
    on the same address and for what changed; enrichment for an indicator's history.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=255)
    rtype = models.CharField(max_length=10)
    value = models.CharField(max_length=512)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name", "rtype", "value"],
                                               name="observation_unique")]
        indexes = [models.Index(fields=["organization", "value", "rtype"],
                                name="observation_by_value")]

    def __str__(self):
        return f"{self.name} {self.rtype} {self.value}"


class JobEvent(models.Model):
    """One step in a job's timeline: claimed, progress (sampled), retried, reaped, ended.

    Written by ``jobs.lifecycle`` beside the move it records. ``submitted`` is not
    stored: it is the job's own ``created_at`` and ``username``.
    """

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    type = models.CharField(max_length=20)
    data = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["job", "at"], name="jobevent_job_at")]

    def __str__(self):
        return f"{self.job_id} {self.type}"

    @staticmethod
    def numbered(events) -> list["JobEvent"]:
        """The events with each ``claimed`` carrying its attempt number; a job handed
        back by a stopping worker did not use up an attempt, so the next claim repeats it."""
        attempt, out = 0, []
        for event in events:
            if event.type == "claimed":
                attempt += 1
                event.data = {**event.data, "attempt": attempt}
            elif event.type == "handed_back":
                attempt = max(0, attempt - 1)
            out.append(event)
        return out


# Webhook endpoints and the delivery outbox live in their own module.
# Tables of the operations' own data (screenshots, enrichment) live in their own module.
from jobs.operation_data import (  # noqa: E402, F401
    EnrichmentCacheEntry,
    EnrichmentDataset,
    EnrichmentUpload,
    ScreenshotCapture,
    ScreenshotSchedule,
)
from jobs.push.models import (  # noqa: E402, F401
    CallbackSecret,
    Delivery,
    DeliveryAttempt,
    JobCallback,
    WebhookEndpoint,
)

# The registration records store keeps its tables in a module of its own.
from jobs.registrations.models import (  # noqa: E402, F401
    Registration,
    RegistrationImport,
    RegistrationVersion,
)
