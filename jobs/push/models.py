"""Webhook endpoints, per-job callbacks and the delivery outbox.

A ``Delivery`` row is written in the same transaction as the job move that causes it
(see ``jobs.push.outbox``) and sent after commit by a worker; every try is a
``DeliveryAttempt``. Imported by ``jobs.models`` so Django sees the tables.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone

from jobs.push.targets import validate_webhook_url

EVENT_COMPLETED = "job.completed"
EVENT_FAILED = "job.failed"
EVENT_CANCELLED = "job.cancelled"
EVENT_PROGRESS = "job.progress"
EVENTS = (EVENT_COMPLETED, EVENT_FAILED, EVENT_CANCELLED, EVENT_PROGRESS)
DEFAULT_EVENTS = (EVENT_COMPLETED, EVENT_FAILED, EVENT_CANCELLED)
EVENT_FOR_STATUS = {"COMPLETED": EVENT_COMPLETED, "FAILED": EVENT_FAILED,
                    "CANCELLED": EVENT_CANCELLED}
SECRET_OVERLAP = timedelta(hours=24)


class SigningSecret(models.Model):
    """A Standard Webhooks secret (``whsec_...``) with the one it replaced.

    After a rotation both sign, until ``previous_until``: receivers can switch over
    without losing a delivery.
    """

    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_until = models.DateTimeField(null=True, blank=True, editable=False)
    rotated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def active_secrets(self, now=None) -> list[str]:
        now = now or timezone.now()
        secrets = [self.secret]
        if self.previous_secret and self.previous_until and self.previous_until > now:
            secrets.append(self.previous_secret)
        return secrets


class WebhookEndpoint(SigningSecret):
    organization = models.ForeignKey("jobs.Organization", on_delete=models.CASCADE,
                                     related_name="webhook_endpoints")
    url = models.CharField(max_length=2000, validators=[validate_webhook_url])
    description = models.CharField(max_length=200, blank=True)
    # Comma-separated event names: a plain text column can be filtered on any database.
    events = models.CharField(max_length=200, default=",".join(DEFAULT_EVENTS))
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set by the first failure after a success; 24 h later the endpoint is disabled.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.url

    @property
    def event_list(self) -> list[str]:
        return [e for e in self.events.split(",") if e]


class CallbackSecret(SigningSecret):
    """Signs the per-job ``callbackUrl`` deliveries of one organization."""

    organization = models.OneToOneField("jobs.Organization", on_delete=models.CASCADE,
                                        related_name="callback_secret")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"callback secret of {self.organization}"


class JobCallback(models.Model):
    """The ``callbackUrl`` a job was submitted with."""

    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, primary_key=True,
                               related_name="callback")
    url = models.CharField(max_length=2000)

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class Delivery(models.Model):
    """One event for one receiver; its id is the ``webhook-id`` every try repeats."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("jobs.Organization", on_delete=models.CASCADE,
                                     related_name="+")
    job = models.ForeignKey("jobs.Job", on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="deliveries")
    url = models.CharField(max_length=2000)
    event = models.CharField(max_length=32)
    # Frozen at the first try, so every retry and "send again" carries the same body.
    payload = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    retry_until = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"{self.event} to {self.url}"

    @property
    def message_id(self) -> str:
        return f"msg_{self.id.hex}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=300)
    response_excerpt = models.CharField(max_length=500, blank=True)
    will_retry = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.outcome}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
