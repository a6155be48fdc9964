"""Keeping the job table tidy without moving any job between states (those moves are
``jobs.lifecycle``'s): resending the queue messages of jobs that waited too long, and
deleting jobs past their retention."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from jobs import queue
from jobs.idempotency import idempotency_records_purge
from jobs.models import Job, JobStatus


def jobs_resend_stale_pending(now) -> list[str]:
    """Queue again the jobs that waited past ``JOB_PENDING_RESEND_SECONDS`` for a worker,
    for a broker outside the database that may have lost their messages (a restart
    without persistence, or a process that died between saving a job and pushing it).
    A job the reaper released (PROCESSING, no worker) waits for its message like a
    PENDING one, and would otherwise sit there until its deadline."""
    waiting = Q(status=JobStatus.PENDING) | Q(status=JobStatus.PROCESSING, worker="")
    stale = Job.objects.filter(
        waiting, updated_at__lt=now - timedelta(seconds=settings.JOB_PENDING_RESEND_SECONDS))
    resent = []
    for job_id, job_type in stale.values_list("pk", "type")[:1000]:
        # Touching updated_at first means each job is resent at most once per period,
        # and a second reaper racing this one resends nothing.
        if stale.filter(pk=job_id).update(updated_at=now):
            queue.enqueue_run_job(job_id, job_type)
            resent.append(str(job_id))
    return resent


def jobs_purge_expired(*, now=None) -> int:
    """Delete jobs past retention, and idempotency records past their window."""
    now = now or timezone.now()
    deleted, _ = Job.objects.expired(now).delete()
    idempotency_records_purge(now)
    return deleted
