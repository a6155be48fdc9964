"""django-q2 entry points: an import started from the dashboard, the repair after a
lost one."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from django_q.tasks import async_task

from jobs.registrations.importer import ImportFailed, registrations_import, registrations_repair
from jobs.registrations.models import RegistrationImport

log = logging.getLogger(__name__)

# An upload still waiting for a worker after this long is queued again: with the Redis
# broker a queued task is gone if Redis restarts without its data. Longer than a busy
# queue usually makes one wait; a copy that arrives second does nothing.
REQUEUE_AFTER = timedelta(minutes=10)


def registration_import_enqueue(run_id: int) -> None:
    async_task("jobs.registrations.tasks.registration_import_task", run_id)


def registration_import_task(run_id: int) -> None:
    run = RegistrationImport.objects.filter(pk=run_id).first()
    if run is None:
        return  # deleted
    try:
        # Only a run still queued is imported (the importer claims it): a second
        # delivery of this task finds it taken or ended.
        run = registrations_import(run.path, organization_id=run.organization_id, run=run)
    except ImportFailed as exc:
        log.warning("registration import %s failed: %s", run_id, exc)
        return
    if run.status == RegistrationImport.Status.DONE:
        # An uploaded copy is only kept while its import may need to resume.
        Path(run.path).unlink(missing_ok=True)


def registration_imports_requeue() -> int:
    """Queue again each upload that has waited longer than ``REQUEUE_AFTER``."""
    cutoff = timezone.now() - REQUEUE_AFTER
    waiting = RegistrationImport.objects.filter(
        status=RegistrationImport.Status.QUEUED, updated_at__lt=cutoff)
    requeued = 0
    for run_id in waiting.values_list("pk", flat=True):
        # The wait starts again; a second repair process finds it fresh and skips it.
        if waiting.filter(pk=run_id).update(updated_at=timezone.now()):
            log.warning("registration import %s waited over %s for a worker; queued again",
                        run_id, REQUEUE_AFTER)
            registration_import_enqueue(run_id)
            requeued += 1
    return requeued


def repair_after_lost_import() -> dict[str, int]:
    return {**registrations_repair(), "requeued": registration_imports_requeue()}
