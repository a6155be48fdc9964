"""End to end: a real gunicorn and a real qcluster, driven over HTTP."""

import time

import httpx
import pytest

from jobs import lifecycle
from jobs.models import Job, JobStatus
from tests.factories import OrganizationFactory, api_key_with_raw

pytestmark = pytest.mark.e2e
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


@pytest.fixture
def http(live_service):
    _, raw = api_key_with_raw(OrganizationFactory(name="e2e"), name="e2e-key")
    with httpx.Client(base_url=live_service.url, headers={"x-api-key": raw},
                      timeout=10) as client:
        yield client


def submit(http, route, body):
    response = http.post(f"/v1/{route}", json=body)
    assert response.status_code == 202, response.text
    return response.json()["jobId"]


def wait_for(http, job_id, states=TERMINAL, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http.get(f"/v1/ops/jobs/{job_id}").json()
        if job["status"] in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")


def test_submit_poll_result(http):
    job_id = submit(http, "test/sleep", {"seconds": 0.5, "steps": 5})
    running = wait_for(http, job_id, {"PROCESSING", *TERMINAL})
    assert running["status"] in {"PROCESSING", "COMPLETED"}
    job = wait_for(http, job_id)
    assert job["status"] == "COMPLETED"
    assert job["result"] == {"slept": 0.5, "steps": 5}
    assert job["progress"]["percentage"] == 100.0
    deepidv = http.get(f"/v1/async-jobs/{job_id}").json()
    assert deepidv["status"] == "ready" and deepidv["result"] == job["result"]


def test_failures_are_reported_without_internals(http):
    failed = wait_for(http, submit(http, "test/fail", {"host": "db.internal"}))
    assert failed["status"] == "FAILED"
    assert failed["error"]["code"] == "TARGET_UNREACHABLE"
    assert failed["error"]["details"] == "connect timeout after 5 s"
    crashed = wait_for(http, submit(http, "test/crash", {}))
    assert crashed["status"] == "FAILED" and crashed["error"]["code"] == "INTERNAL_ERROR"
    assert "hunter2" not in str(crashed) and "Traceback" not in str(crashed)


def test_cancel_a_running_job(http):
    job_id = submit(http, "test/sleep", {"seconds": 20, "steps": 200})
    wait_for(http, job_id, {"PROCESSING"})
    response = http.post(f"/v1/ops/jobs/{job_id}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "CANCELLED"
    # The operation stops at its next step: progress stops moving, nothing overwrites.
    time.sleep(0.5)
    before = Job.objects.get(pk=job_id).progress_current
    time.sleep(0.5)
    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.CANCELLED and job.progress_current == before
    assert http.post(f"/v1/ops/jobs/{job_id}/cancel").status_code == 409


@pytest.mark.live_env(JOB_TIMEOUTS="test_sleep=1")
def test_runaway_job_times_out(http):
    job = wait_for(http, submit(http, "test/sleep", {"seconds": 10, "steps": 20}))
    assert job["status"] == "FAILED" and job["error"]["code"] == "TIMEOUT"


def test_killed_worker_job_is_retried_by_the_reaper(http, live_service, settings):
    settings.JOB_LOST_AFTER_SECONDS = 2
    job_id = submit(http, "test/sleep", {"seconds": 3, "steps": 30})
    wait_for(http, job_id, {"PROCESSING"})
    live_service.kill_worker()
    time.sleep(2.5)  # its heartbeat goes stale
    assert lifecycle.jobs_reap()["requeued"] == [job_id]
    live_service.start_worker()
    job = wait_for(http, job_id, timeout=40)
    assert job["status"] == "COMPLETED"
    assert Job.objects.get(pk=job_id).attempts == 2


def test_job_lost_twice_fails_worker_lost(http, live_service, settings):
    settings.JOB_LOST_AFTER_SECONDS = 2
    settings.JOB_MAX_ATTEMPTS = 1
    job_id = submit(http, "test/sleep", {"seconds": 30, "steps": 30})
    wait_for(http, job_id, {"PROCESSING"})
    live_service.kill_worker()
    time.sleep(2.5)
    assert lifecycle.jobs_reap()["lost"] == [job_id]
    job = http.get(f"/v1/ops/jobs/{job_id}").json()
    assert job["status"] == "FAILED" and job["error"]["code"] == "WORKER_LOST"


def test_jobs_queued_without_a_worker_run_once_one_starts(http, live_service):
    live_service.kill_worker()
    ids = [submit(http, "test/noop", {"n": n}) for n in range(5)]
    time.sleep(0.5)
    assert {http.get(f"/v1/ops/jobs/{i}").json()["status"] for i in ids} == {"PENDING"}
    live_service.start_worker()
    results = [wait_for(http, i) for i in ids]
    assert [r["result"] for r in results] == [{"n": n} for n in range(5)]
    assert all(Job.objects.get(pk=i).attempts == 1 for i in ids)


def _healthz(url: str) -> tuple[int, dict]:
    response = httpx.get(f"{url}/healthz", timeout=5)
    return response.status_code, response.json()


def test_healthz_follows_the_real_worker_cluster(live_service):
    # The cluster reports itself through django-q2's stats in the shared cache.
    deadline = time.monotonic() + 20
    while _healthz(live_service.url)[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _healthz(live_service.url) == (200, {"status": "ok", "checks": {
        "database": "ok", "broker": "ok", "workers": "ok"}})
    live_service.kill_worker()
    deadline = time.monotonic() + 15
    while _healthz(live_service.url)[0] == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    status, body = _healthz(live_service.url)
    assert status == 503 and "no worker cluster" in body["reason"]
