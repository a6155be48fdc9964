"""The worker's side: how each way an operation can end is stored on the job."""

import pytest

from jobs import lifecycle, runner
from jobs.models import Job, JobStatus
from tests.factories import JobFactory


def run(job):
    runner.job_run(job_id=job.pk, job_type=job.type)
    job.refresh_from_db()
    return job


def test_completed_job_keeps_the_result(db):
    job = run(JobFactory(type="test_noop", params={"n": 4}))
    assert job.status == JobStatus.COMPLETED and job.result == {"n": 4}
    assert job.attempts == 1 and job.expires_at


def test_operation_error_keeps_its_code(db):
    job = run(JobFactory(type="test_fail", params={"host": "x.test"}))
    assert (job.status, job.error_code) == (JobStatus.FAILED, "TARGET_UNREACHABLE")
    assert job.error_details == "connect timeout after 5 s"


def test_crash_is_internal_error_without_internals(db, caplog):
    job = run(JobFactory(type="test_crash", params={}))
    assert (job.status, job.error_code) == (JobStatus.FAILED, "INTERNAL_ERROR")
    assert "hunter2" not in job.error_message + job.error_details
    reference = job.error_details.removeprefix("Reference ")
    assert reference in caplog.text and "hunter2" in caplog.text  # the log has it all


def test_result_that_is_not_json_fails_cleanly(db, settings):
    settings.JOB_OPERATIONS_EXTRA = {**settings.JOB_OPERATIONS_EXTRA,
                                     "test_bad_result": "tests.support.operations.bad_result"}
    job = run(JobFactory(type="test_bad_result", params={}))
    assert (job.status, job.error_code) == (JobStatus.FAILED, "INTERNAL_ERROR")
    assert job.result is None


def test_unknown_type_fails_instead_of_staying_pending(db):
    job = run(JobFactory(type="no_such_operation"))
    assert (job.status, job.error_code) == (JobStatus.FAILED, "UNKNOWN_OPERATION")


def test_params_that_no_longer_validate(db):
    job = run(JobFactory(type="test_noop", params={"n": "not a number"}))
    assert (job.status, job.error_code) == (JobStatus.FAILED, "INVALID_PARAMS")


@pytest.mark.parametrize("state", [JobStatus.CANCELLED, JobStatus.COMPLETED])
def test_a_repeat_delivery_does_nothing(db, state):
    job = JobFactory(type="test_noop", status=state)
    assert run(job).status == state and job.attempts == 0


def test_cancel_during_the_run_stops_it(db, monkeypatch):
    job = JobFactory(type="test_sleep", params={"seconds": 0, "steps": 3})
    report = lifecycle.job_report_progress

    def cancel_then_report(**kwargs):
        lifecycle.job_cancel(job_id=job.pk, organization=job.organization)
        return report(**kwargs)

    monkeypatch.setattr(lifecycle, "job_report_progress", cancel_then_report)
    job = run(job)
    assert job.status == JobStatus.CANCELLED and job.result is None
    assert Job.objects.get(pk=job.pk).progress_current == 0
