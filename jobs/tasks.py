"""django-q2 entry points. Each loads by id and calls a service, nothing more."""

from __future__ import annotations

from functools import cache

from django_q.brokers import get_broker
from django_q.tasks import async_task

RUN_JOB = "jobs.tasks.run_job"


def run_job(job_id: str, job_type: str) -> None:
    from jobs import runner

    runner.job_run(job_id=job_id, job_type=job_type)


def reap_lost_jobs() -> dict:
    from jobs import lifecycle

    return lifecycle.jobs_reap()


def purge_expired_jobs() -> int:
    from jobs import lifecycle
    from jobs.api.ratelimit import purge_counters

    purge_counters()
    return lifecycle.jobs_purge_expired()


@cache
def broker():
    # async_task() builds a broker (and a connection) per call unless given one.
    return get_broker()


def enqueue_run_job(job_id, job_type: str) -> None:
    # The type travels with the task so the worker can claim without reading first.
    async_task(RUN_JOB, str(job_id), job_type, broker=broker(), **_options(job_id))


def run_job_package(job_id, job_type: str) -> str:
    """The signed queue entry for a job, built without touching the broker.

    For the database broker the job's insert and this entry's insert then share one
    short transaction (``broker().enqueue(package)``).
    """
    keeper = _PackageKeeper()
    async_task(RUN_JOB, str(job_id), job_type, broker=keeper, **_options(job_id))
    return keeper.package


def _options(job_id) -> dict:
    return {"task_name": f"job-{job_id}", "save": False, "ack_failure": True}


class _PackageKeeper:
    """Stands in for a broker: keeps the package async_task() hands it."""

    list_key = "-"
    package = ""

    def enqueue(self, package: str) -> None:
        self.package = package
