"""django-q2 entry points: an import started from the dashboard, the repair after a
lost one."""

from __future__ import annotations

import logging
from pathlib import Path

from jobs.registrations.importer import ImportFailed, registrations_import, registrations_repair
from jobs.registrations.models import RegistrationImport

log = logging.getLogger(__name__)


def registration_import_task(run_id: int) -> None:
    run = RegistrationImport.objects.filter(pk=run_id).first()
    if run is None or run.status == RegistrationImport.Status.DONE:
        return  # delivered twice, or deleted
    try:
        registrations_import(run.path, organization_id=run.organization_id, run=run)
    except ImportFailed as exc:
        log.warning("registration import %s failed: %s", run_id, exc)
        return
    # An uploaded copy is only kept while its import may need to resume.
    Path(run.path).unlink(missing_ok=True)


def repair_after_lost_import() -> dict[str, int]:
    return registrations_repair()
