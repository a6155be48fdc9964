from datetime import timedelta

from django.utils import timezone

from jobs import lifecycle
from jobs.models import JobStatus
from tests.factories import JobFactory


def running_job(org, **fields):
    now = timezone.now()
    return JobFactory(organization=org, status=JobStatus.PROCESSING, worker="w",
                      started_at=now, heartbeat_at=now, deadline_at=now + timedelta(hours=1),
                      **fields)


def complete(job, result=None):
    assert lifecycle.job_complete(job_id=job.pk, worker="w", result=result or {"n": 1})
