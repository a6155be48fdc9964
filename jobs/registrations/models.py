"""Tables of the registration store (imported by ``jobs.models``).

Text the search matches is kept as given for display; the search compares lower-cased
values through expression indexes (``lower(col)``), created per database vendor in the
migration: B-tree for exact and prefix, pg_trgm GIN on PostgreSQL and an FTS5 trigram
table on SQLite for wildcards anywhere. Name servers and statuses are stored lower-case
as ``|a|b|`` so one ``LIKE '%|a|%'`` finds a record holding ``a`` among others.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

# The fields of the search API, in order, with their columns.
TEXT_FIELDS: dict[str, str] = {
    "domain": "domain",
    "tld": "tld",
    "registrarName": "registrar_name",
    "registrarIanaId": "registrar_iana_id",
    "registrantName": "registrant_name",
    "registrantCompany": "registrant_company",
    "registrantEmail": "registrant_email",
    "registrantPhone": "registrant_phone",
    "registrantCountry": "registrant_country",
    "registrantCity": "registrant_city",
}
LIST_FIELDS: dict[str, str] = {"nameServer": "name_servers", "domainStatus": "statuses"}
DATE_FIELDS: dict[str, str] = {"createdDate": "created_date", "updatedDate": "updated_date",
                               "expiryDate": "expiry_date"}
# Columns whose history is kept: a change to any of them makes a new version.
TRACKED = (*TEXT_FIELDS.values(), "email_proxy", *LIST_FIELDS.values(), *DATE_FIELDS.values())


class RegistrationQuerySet(models.QuerySet):
    def visible_to(self, organization_id: int | None):
        """Imported records (no organization) and the ones this organization's jobs learned."""
        return self.filter(Q(organization__isnull=True) | Q(organization_id=organization_id))


class Registration(models.Model):
    domain = models.CharField(max_length=253)
    tld = models.CharField(max_length=63, blank=True, default="")
    registrar_name = models.CharField(max_length=255, blank=True, default="")
    registrar_iana_id = models.CharField(max_length=16, blank=True, default="")
    registrant_name = models.CharField(max_length=255, blank=True, default="")
    registrant_company = models.CharField(max_length=255, blank=True, default="")
    registrant_email = models.CharField(max_length=255, blank=True, default="")
    email_proxy = models.BooleanField(default=False)
    registrant_phone = models.CharField(max_length=64, blank=True, default="")
    registrant_country = models.CharField(max_length=64, blank=True, default="")
    registrant_city = models.CharField(max_length=128, blank=True, default="")
    name_servers = models.TextField(blank=True, default="")
    statuses = models.TextField(blank=True, default="")
    created_date = models.DateField(null=True, blank=True)
    updated_date = models.DateField(null=True, blank=True)
    expiry_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=64, blank=True, default="")
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    # None: imported, visible to every organization; else learned by that one's jobs.
    # No index of its own: registration_org_domain serves an organization's records, and
    # one on a column nearly always NULL would only tempt the planner to read every
    # imported record through it.
    organization = models.ForeignKey("jobs.Organization", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+",
                                     db_index=False)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain"], condition=Q(organization__isnull=True),
                                    name="registration_public_domain"),
            models.UniqueConstraint(fields=["organization", "domain"],
                                    condition=Q(organization__isnull=False),
                                    name="registration_org_domain"),
        ]
        indexes = [
            models.Index(fields=["created_date"], name="registration_created"),
            models.Index(fields=["updated_date"], name="registration_updated"),
            models.Index(fields=["expiry_date"], name="registration_expiry"),
        ]

    def __str__(self):
        return self.domain

    @property
    def name_server_list(self) -> list[str]:
        return split_list(self.name_servers)

    @property
    def status_list(self) -> list[str]:
        return split_list(self.statuses)


class RegistrationVersion(models.Model):
    """An earlier state of a record: the tracked values it had until ``replaced_at``."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE,
                                     related_name="versions")
    replaced_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=64, blank=True, default="")
    values = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["registration", "-replaced_at"],
                                name="registration_version_by_rec")]

    def __str__(self):
        return f"{self.registration_id} until {self.replaced_at:%Y-%m-%d %H:%M}"


class RegistrationImport(models.Model):
    """One run of ``import_registrations`` over one file: its checkpoint and its tally.

    The byte offset and line number are written in the same transaction as each batch,
    so an interrupted run resumes exactly after the last batch it stored.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"       # from the dashboard: waiting for a worker
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    path = models.CharField(max_length=1000)
    size = models.BigIntegerField(default=0)
    fingerprint = models.CharField(max_length=64)
    organization = models.ForeignKey("jobs.Organization", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    layout = models.CharField(max_length=40, blank=True, default="")
    offset = models.BigIntegerField(default=0)
    line = models.BigIntegerField(default=0)
    read = models.BigIntegerField(default=0)
    inserted = models.BigIntegerField(default=0)
    updated = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    rejects = models.JSONField(default=list)     # the first few: [line, reason]
    message = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["fingerprint", "status"], name="registration_import_fp")]

    def __str__(self):
        return f"{self.path} ({self.status})"


def split_list(stored: str) -> list[str]:
    return [part for part in stored.split("|") if part]


def join_list(values) -> str:
    values = [v for v in values if v]
    return f"|{'|'.join(values)}|" if values else ""
