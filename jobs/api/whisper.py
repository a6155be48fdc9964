"""The Whisper ops dialect: job objects, list summaries and the 202 answer."""

from __future__ import annotations

from jobs.api.formats import iso
from jobs.models import Job, JobEvent, JobStatus

# The published SDK reads PROCESSING as RUNNING in the submit answer only.
SUBMIT_STATUS = {JobStatus.PROCESSING: "RUNNING"}
ERROR_STATES = (JobStatus.FAILED, JobStatus.CANCELLED)


def status_url(job_id) -> str:
    return f"/v1/ops/jobs/{job_id}"


def submitted(job: Job) -> dict:
    job_id = str(job.pk)
    return {
        "jobId": job_id,
        "status": SUBMIT_STATUS.get(job.status, job.status),
        "statusUrl": status_url(job_id),
        "message": "Job accepted for processing",
    }


def progress(job: Job, *, percentage: bool = True) -> dict:
    body = {"current": job.progress_current, "total": job.progress_total,
            "message": job.progress_message or _default_message(job)}
    if percentage:
        body["percentage"] = job.percentage
    return body


def _default_message(job: Job) -> str:
    return "Queued" if job.status == JobStatus.PENDING else ""


def error(job: Job) -> dict | None:
    if job.status not in ERROR_STATES:
        return None
    return {"code": job.error_code, "message": job.error_message,
            "details": job.error_details, "timestamp": iso(job.error_at or job.completed_at)}


def job_object(job: Job) -> dict:
    return {
        "id": str(job.pk),
        "status": job.status,
        "type": job.type,
        "params": job.params,
        "progress": progress(job),
        "result": job.result if job.status == JobStatus.COMPLETED else None,
        "error": error(job),
        "createdAt": iso(job.created_at),
        "updatedAt": iso(job.updated_at),
        "completedAt": iso(job.completed_at),
        "metadata": job.metadata,
        "username": job.username,
    }


def job_summary(job: Job) -> dict:
    err = error(job)
    return {
        "jobId": str(job.pk),
        "type": job.type,
        "status": job.status,
        "createdAt": iso(job.created_at),
        "completedAt": iso(job.completed_at),
        "progress": progress(job, percentage=False),
        "error": {"code": err["code"], "message": err["message"]} if err else None,
    }


def timeline(job: Job, events) -> dict:
    """``GET /v1/ops/jobs/{id}/events``: the job's timeline, oldest first.

    ``submitted`` is the job itself; each ``claimed`` carries its attempt number.
    """
    items = [{"at": iso(job.created_at), "type": "submitted", "by": job.username}]
    items += [{"at": iso(event.at), "type": event.type, **event.data}
              for event in JobEvent.numbered(events)]
    return {"jobId": str(job.pk), "events": items}
