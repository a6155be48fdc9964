"""django-q2 entry points. Each loads by id and calls a service, nothing more."""

from __future__ import annotations

from jobs import housekeeping, lifecycle, runner
from jobs.api.ratelimit import purge_counters
from jobs.push import send


def run_job(job_id: str, job_type: str) -> None:
    runner.job_run(job_id=job_id, job_type=job_type)


def reap_lost_jobs() -> dict:
    return lifecycle.jobs_reap()


def purge_expired_jobs() -> int:
    purge_counters()
    return housekeeping.jobs_purge_expired()


def send_deliveries(ids: list[str]) -> int:
    return send.deliveries_send(ids)


def sweep_deliveries() -> int:
    return send.deliveries_sweep()
