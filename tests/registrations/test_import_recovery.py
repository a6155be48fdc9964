"""An import killed outright: its lease goes with its process, and the repair then marks
its run failed and builds the search indexes it had set aside."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from jobs.models import Registration, RegistrationImport
from jobs.registrations import importer, indexes, lease
from jobs.registrations.importer import registrations_repair
from tests.support.live import ROOT, service_env

# A real import in a process of its own: batches of 50, a pause after each, and the
# indexes set aside as for a big file; it prints the rows it has stored so far.
IMPORTER = """
import sys, time, django
django.setup()
from jobs.registrations import importer
importer.BATCH = 50
def pause(run, done, total):
    print(run.read, flush=True)
    time.sleep(0.3)
importer.registrations_import(sys.argv[1], progress=pause, defer_indexes=True)
"""


def _missing() -> list[str]:
    with connection.cursor() as cursor:
        return indexes.search_indexes_missing(cursor, connection.vendor)


def _csv(path, rows: int):
    path.write_text("domain,registrantCompany\n" + "".join(
        f"d{i}.com,Company {i} Holdings\n" for i in range(rows)))
    return path


@pytest.mark.django_db
def test_imports_share_the_lease_and_a_repair_waits_for_them_all():
    with lease.import_lease(), lease.import_lease():
        with lease.repair_lease() as free:
            assert free is False
    with lease.repair_lease() as free:
        assert free is True
        with lease.repair_lease() as again:      # one repair at a time
            assert again is False
    with lease.repair_lease() as free:
        assert free is True


@pytest.mark.django_db
def test_a_repair_leaves_a_live_import_alone_and_cleans_up_after_a_dead_one():
    with connection.cursor() as cursor:
        indexes.search_indexes_drop(cursor, connection.vendor)
    missing = _missing()
    run = RegistrationImport.objects.create(path="/x", size=1, fingerprint="f", line=41)
    queued = RegistrationImport.objects.create(path="/y", size=1, fingerprint="g",
                                               status="queued")
    with lease.import_lease():
        assert registrations_repair() == {"busy": 1}
    run.refresh_from_db()
    assert run.status == "running" and _missing() == missing

    assert registrations_repair() == {"runs": 1, "indexes": len(missing)}
    run.refresh_from_db()
    assert run.status == "failed" and run.finished_at is not None
    assert run.message == ("The importing process stopped after line 41; "
                           "import the same file again to resume.")
    assert _missing() == []
    queued.refresh_from_db()
    assert queued.status == "queued"       # waiting for a worker, not lost
    assert registrations_repair() == {"runs": 0, "indexes": 0}


@pytest.mark.django_db(transaction=True)
def test_an_import_waits_for_a_repair_in_progress_and_says_so(tmp_path, caplog):
    import threading

    path = _csv(tmp_path / "small.csv", 5)
    finished = []

    def run_import():
        try:
            finished.append(importer.registrations_import(str(path)).status)
        finally:
            connection.close()

    with lease.repair_lease() as free:
        assert free
        worker = threading.Thread(target=run_import)
        worker.start()
        deadline = time.monotonic() + 15
        while "are being rebuilt" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "this import starts when that is done" in caplog.text
        assert finished == [] and not RegistrationImport.objects.exists()
    worker.join(timeout=30)
    assert finished == ["done"] and Registration.objects.count() == 5


def test_the_repair_is_a_housekeeping_schedule():
    from jobs.operations import specs

    found = {p.func: p.minutes for spec in specs() for p in spec.periodic}
    assert found["jobs.registrations.tasks.repair_after_lost_import"] == 5


@pytest.mark.django_db(transaction=True)
def test_an_import_killed_outright_is_repaired_and_then_resumes(tmp_path):
    from jobs.operations.search import finder, query

    path = _csv(tmp_path / "big.csv", 1000)
    child = subprocess.Popen([sys.executable, "-c", IMPORTER, str(path)], cwd=ROOT,
                             env=service_env(), stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        for line in child.stdout:
            if int(line) >= 100:      # two batches stored, the indexes aside
                break
        assert registrations_repair() == {"busy": 1}
        assert RegistrationImport.objects.get().status == "running"
        missing = _missing()
        assert "registration_registrant_company_lower" in missing
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()
    deadline = time.monotonic() + 15
    while (outcome := registrations_repair()) == {"busy": 1} and time.monotonic() < deadline:
        time.sleep(0.1)      # PostgreSQL ends the dead client's session on its own time
    assert outcome == {"runs": 1, "indexes": len(missing)}
    assert _missing() == []
    run = RegistrationImport.objects.get()
    stored = Registration.objects.count()
    assert run.status == "failed" and run.read == stored and 100 <= stored < 1000
    assert f"stopped after line {run.line}" in run.message
    page = finder.search(query.parse('registrantCompany:"*pany 5 hold*"'),
                         organization_id=None, limit=10, offset=0)
    assert [r.domain for r in page.records] == ["d5.com"]   # the company values refilled

    resumed = importer.registrations_import(str(path))
    assert resumed.pk == run.pk and resumed.status == "done"
    assert (resumed.read, resumed.inserted, resumed.updated) == (1000, 1000, 0)
    assert Registration.objects.count() == 1000


@pytest.mark.django_db
def test_an_upload_still_waiting_after_a_while_is_queued_again(tmp_path, caplog):
    # With the Redis broker a queued task is gone if Redis restarts without its data;
    # the upload would wait for ever. Here no task was ever queued for either run.
    from datetime import timedelta

    from django.utils import timezone

    from jobs.registrations import tasks

    path = _csv(tmp_path / "lost.csv", 30)
    long_ago = timezone.now() - tasks.REQUEUE_AFTER - timedelta(seconds=1)
    lost = RegistrationImport.objects.create(path=str(path), size=path.stat().st_size,
                                             fingerprint="f", status="queued")
    RegistrationImport.objects.filter(pk=lost.pk).update(updated_at=long_ago)
    fresh = RegistrationImport.objects.create(path=str(path), size=path.stat().st_size,
                                              fingerprint="f", status="queued")

    assert tasks.repair_after_lost_import() == {"runs": 0, "indexes": 0, "requeued": 1}
    lost.refresh_from_db()
    assert lost.status == "done" and lost.inserted == 30   # the worker (inline here) ran it
    assert not path.exists()                                # the kept upload is let go
    assert "waited over 0:10:00 for a worker; queued again" in caplog.text
    fresh.refresh_from_db()
    assert fresh.status == "queued"                         # not waiting long yet
    assert tasks.repair_after_lost_import()["requeued"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["running", "done", "failed"])
def test_a_task_delivered_again_leaves_a_run_that_is_not_queued_alone(tmp_path, status):
    from jobs.registrations import tasks

    path = _csv(tmp_path / "twice.csv", 10)
    run = RegistrationImport.objects.create(path=str(path), size=path.stat().st_size,
                                            fingerprint="f", status=status, line=4)
    tasks.registration_import_task(run.pk)
    run.refresh_from_db()
    assert run.status == status and run.line == 4
    assert not Registration.objects.exists()
    # Another worker's file, or kept for a resume; a finished run's is let go.
    assert path.exists() == (status != "done")


@pytest.mark.django_db
def test_an_upload_whose_file_is_gone_fails_at_once_with_the_reason(tmp_path, caplog):
    # It was left running, the task crashed on the missing file, until the repair.
    from jobs.registrations import tasks

    path = tmp_path / "gone.csv"
    run = RegistrationImport.objects.create(path=str(path), size=10, fingerprint="f",
                                            status="queued")
    tasks.registration_import_task(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and run.finished_at is not None
    assert run.message == f"{path}: No such file or directory"
    assert f"registration import {run.pk} failed" in caplog.text
