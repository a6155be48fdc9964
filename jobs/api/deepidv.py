"""The deepidv async-jobs dialect of a job."""

from __future__ import annotations

from jobs.api.formats import epoch_ms, iso
from jobs.models import Job, JobStatus

STATUS = {
    JobStatus.PENDING: "pending",
    JobStatus.PROCESSING: "processing",
    JobStatus.COMPLETED: "ready",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "failed",
}


def job_object(job: Job) -> dict:
    body = {
        "jobId": str(job.pk),
        "status": STATUS[job.status],
        "createdAt": epoch_ms(job.created_at),
        "updatedAt": iso(job.updated_at),
    }
    if job.status == JobStatus.COMPLETED:
        body["result"] = job.result
    elif job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        body["error"] = job.error_message or job.error_code
    return body
