"""Read-only queries for the dashboard. Each starts from the organization."""

from __future__ import annotations

import uuid

from django.db.models import Count, F, QuerySet
from django.http import Http404

from jobs.models import TERMINAL_STATES, ApiKey, Job, JobStatus

# List pages never show these, and a result can be megabytes.
LIST_DEFERRED = ("result", "params", "metadata", "error_details")


def job_get(*, organization, job_id) -> Job:
    """The organization's job, or 404 (also for another organization's or a malformed id)."""
    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        raise Http404("No such job") from None
    job = Job.objects.for_org(organization).filter(pk=pk).first()
    if job is None:
        raise Http404("No such job")
    return job


def job_status_counts(*, organization) -> dict[str, int]:
    # One count per state, in one query: each reads only its own part of the status
    # index (status, organization, ...), without touching the table.
    jobs = Job.objects.for_org(organization).order_by()
    first, *rest = (jobs.filter(status=status).values("status").annotate(n=Count("*"))
                    for status in JobStatus.values)
    rows = first.union(*rest, all=True)
    counts = dict.fromkeys(JobStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def job_list(*, organization, status: str = "", job_type: str = "", query: str = "") -> QuerySet:
    jobs = Job.objects.for_org(organization).defer(*LIST_DEFERRED).order_by("-created_at")
    if status:
        jobs = jobs.filter(status=status)
    if job_type:
        jobs = jobs.filter(type=job_type)
    if query:
        jobs = jobs.filter(target__icontains=query)
    return jobs


def jobs_active(*, organization, limit: int = 10) -> list[Job]:
    """Running jobs first ("PROCESSING" sorts after "PENDING"), then those waiting."""
    jobs = job_list(organization=organization).active().order_by("-status", "-created_at")
    return list(jobs[:limit])


def jobs_finished(*, organization, limit: int = 10) -> list[Job]:
    return list(job_list(organization=organization).filter(status__in=TERMINAL_STATES)[:limit])


def job_results(*, organization, job_ids) -> dict:
    """{job id: stored result} of the organization's completed jobs among ``job_ids``."""
    rows = (Job.objects.for_org(organization)
            .filter(pk__in=job_ids, status=JobStatus.COMPLETED).values_list("pk", "result"))
    return dict(rows)


def api_key_list(*, organization) -> QuerySet:
    return (ApiKey.objects.for_org(organization).select_related("created_by")
            .order_by(F("revoked_at").asc(nulls_first=True), "-created_at"))


def api_key_get(*, organization, key_id) -> ApiKey:
    key = ApiKey.objects.for_org(organization).filter(pk=key_id).first()
    if key is None:
        raise Http404("No such key")
    return key
