"""End to end: a worker cluster stopped by a signal hands its jobs back; one that dies
has them taken back by its cluster, or by the next one, without waiting for the reaper."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from jobs.models import Job, JobStatus
from tests.e2e.test_service import submit, wait_for
from tests.factories import OrganizationFactory, api_key_with_raw
from tests.support.live import ROOT

pytestmark = pytest.mark.e2e
# A job that reports a step every 0.25 s, and one that stays 60 s between two steps.
STEPPING = {"seconds": 20, "steps": 80}
STUCK = {"seconds": 120, "steps": 2}


@pytest.fixture
def http(live_service):
    _, raw = api_key_with_raw(OrganizationFactory(name="e2e"), name="e2e-key")
    with httpx.Client(base_url=live_service.url, headers={"x-api-key": raw},
                      timeout=10) as client:
        yield client


def job(job_id) -> Job:
    return Job.objects.get(pk=job_id)


def wait_until(predicate, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} not reached in {timeout} s")


def worker_pid(job_id) -> int:
    return int(job(job_id).worker.split(":")[1])


def processes_with(marker: str, command: str = "") -> list[int]:
    """Live processes whose environment holds ``marker`` (those a test started), and
    whose command line holds ``command``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if (proc.name.isdigit() and marker.encode() in (proc / "environ").read_bytes()
                    and command.encode() in (proc / "cmdline").read_bytes()):
                if (proc / "stat").read_text().rpartition(")")[2].split()[0] != "Z":
                    found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.live_env(JOB_STOP_GRACE_SECONDS="5")
def test_term_hands_a_running_job_back_at_its_next_step(http, live_service):
    job_id = submit(http, "test/sleep", STEPPING)
    wait_for(http, job_id, {"PROCESSING"})
    cluster = live_service.workers[0]
    cluster.send_signal(signal.SIGTERM)  # the main process only, as a service manager does
    cluster.wait(timeout=20)
    handed_back = job(job_id)
    assert handed_back.status == JobStatus.PENDING
    assert handed_back.worker == "" and handed_back.attempts == 0
    assert handed_back.progress_current < STEPPING["steps"]
    live_service.workers.clear()
    live_service.start_worker()  # the job was queued again: the next worker runs it
    assert wait_for(http, job_id, timeout=40)["status"] == "COMPLETED"
    assert job(job_id).attempts == 1


@pytest.mark.live_env(JOB_STOP_GRACE_SECONDS="5")
def test_term_to_the_whole_process_group_stops_the_cluster_as_well(http, live_service):
    # A terminal's process manager, `kill -- -PGID` and systemd's default KillMode signal
    # every process at once: the sentinel's handler then ran inside its own wait on the
    # stop event, and the cluster hung there for good.
    job_id = submit(http, "test/sleep", STEPPING)
    wait_for(http, job_id, {"PROCESSING"})
    cluster = live_service.workers[0]
    os.killpg(cluster.pid, signal.SIGTERM)
    assert cluster.wait(timeout=30) == 0
    handed_back = job(job_id)
    assert (handed_back.status, handed_back.attempts) == (JobStatus.PENDING, 0)
    live_service.workers.clear()
    live_service.start_worker()
    assert wait_for(http, job_id, timeout=40)["status"] == "COMPLETED"


@pytest.mark.live_env(JOB_STOP_GRACE_SECONDS="2")
def test_a_job_between_steps_is_handed_back_when_the_grace_ends(http, live_service):
    job_id = submit(http, "test/sleep", STUCK)
    wait_for(http, job_id, {"PROCESSING"})
    started = time.monotonic()
    live_service.workers[0].send_signal(signal.SIGTERM)
    live_service.workers[0].wait(timeout=20)
    assert time.monotonic() - started < 15  # the grace, not the job's 60 s step
    assert job(job_id).status == JobStatus.PENDING and job(job_id).attempts == 0
    assert processes_with(live_service.env["Q_CLUSTER_NAME"], "qcluster") == []


@pytest.mark.live_env(JOB_STOP_GRACE_SECONDS="2")
def test_jobs_fetched_but_not_started_go_back_to_the_queue(http, live_service):
    # Two workers, six jobs: two run, the rest wait in the cluster or in the broker.
    ids = [submit(http, "test/sleep", STUCK) for _ in range(6)]
    wait_until(lambda: Job.objects.filter(status=JobStatus.PROCESSING).count() == 2,
               what="two jobs running")
    live_service.workers[0].send_signal(signal.SIGTERM)
    live_service.workers[0].wait(timeout=20)
    assert {job(i).status for i in ids} == {JobStatus.PENDING}
    live_service.workers.clear()
    live_service.start_worker()
    wait_until(lambda: Job.objects.filter(status=JobStatus.PROCESSING).count() == 2,
               what="the next cluster running two of them")


@pytest.mark.live_env(JOB_LOST_AFTER_SECONDS="600")
def test_a_killed_worker_process_job_runs_again_without_waiting_for_silence(
        http, live_service):
    # Silence would take 10 minutes to count: only the pid check can bring it back.
    job_id = submit(http, "test/sleep", {"seconds": 4, "steps": 40})
    wait_for(http, job_id, {"PROCESSING"})
    os.kill(worker_pid(job_id), signal.SIGKILL)
    assert wait_for(http, job_id, timeout=40)["status"] == "COMPLETED"
    assert job(job_id).attempts == 2


def children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and int(
                    (proc / "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(proc.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def test_a_cluster_whose_idle_processes_were_all_killed_still_runs_jobs(http, live_service):
    # An idle worker waits for a task holding the task queue's reader lock, the monitor
    # holds the result queue's: killed there, they took the locks with them, and the
    # cluster, its processes respawned and alive, never ran or acknowledged a task again.
    first = submit(http, "test/sleep", {"seconds": 0, "steps": 1})
    assert wait_for(http, first, timeout=40)["status"] == "COMPLETED"
    (sentinel,) = children(live_service.workers[0].pid)
    idle = children(sentinel)       # both workers, the monitor and the pusher
    assert len(idle) == 4
    for pid in idle:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: len(set(children(sentinel)) - set(idle)) == 4, what="respawned")
    job_id = submit(http, "test/sleep", {"seconds": 0, "steps": 1})
    assert wait_for(http, job_id, timeout=40)["status"] == "COMPLETED"
    if not os.environ.get("REDIS_URL"):   # the database broker: the monitor acknowledges
        from django_q.models import OrmQ

        wait_until(lambda: not OrmQ.objects.exists(), what="every task acknowledged")


@pytest.mark.live_env(JOB_LOST_AFTER_SECONDS="600")
def test_a_new_cluster_takes_back_the_jobs_of_the_dead_one(http, live_service):
    job_id = submit(http, "test/sleep", {"seconds": 4, "steps": 40})
    wait_for(http, job_id, {"PROCESSING"})
    live_service.kill_worker()  # the whole cluster, at once
    assert job(job_id).status == JobStatus.PROCESSING
    live_service.start_worker()
    assert wait_for(http, job_id, timeout=40)["status"] == "COMPLETED"
    assert job(job_id).attempts == 2


@pytest.mark.live_env(JOB_HEARTBEAT_SECONDS="1", JOB_LOST_AFTER_SECONDS="3")
def test_a_busy_worker_silent_between_steps_keeps_its_job(http, live_service):
    # One step of 8 s: far longer than the lost threshold, yet heartbeats keep going.
    job_id = submit(http, "test/sleep", {"seconds": 8, "steps": 1})
    assert wait_for(http, job_id, timeout=40)["status"] == "COMPLETED"
    assert job(job_id).attempts == 1


# --- bin/start's supervisor around the real web server and worker -------------------


WSGI_WEB = "-m gunicorn config.wsgi -b 127.0.0.1:{port} -w 2 --threads 2 --graceful-timeout 5"
# As bin/start serves it, gunicorn's default graceful timeout (30 s) included: a stop
# that waited it out would outlast the supervisor's grace below and be killed.
ASGI_WEB = ("-m gunicorn config.asgi -k uvicorn_worker.UvicornWorker -b 127.0.0.1:{port} "
            "-w 2 --keep-alive 20")


@pytest.mark.live_env(JOB_STOP_GRACE_SECONDS="3")
@pytest.mark.parametrize(("signum", "web_command"), [
    (signal.SIGTERM, WSGI_WEB),
    (signal.SIGINT, ASGI_WEB),   # a Ctrl-C to bin/start
], ids=["term-wsgi", "int-asgi"])
def test_one_signal_to_the_supervisor_stops_web_and_worker(live_service, tmp_path, signum,
                                                            web_command):
    live_service.kill_worker()
    live_service.stop()  # this test runs its own pair, under the supervisor
    env, port = live_service.env, live_service.port
    web = f"{sys.executable} {web_command.format(port=port)}"
    log = open(tmp_path / "supervise.log", "wb")  # noqa: SIM115 - closed below
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "config.supervise", "--grace", "20", f"web={web}",
         f"worker={sys.executable} manage.py qcluster"],
        cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        _, raw = api_key_with_raw(OrganizationFactory(name="sup"), name="sup-key")
        with httpx.Client(base_url=live_service.url, headers={"x-api-key": raw},
                          timeout=10) as http:
            wait_until(lambda: _healthy(http), what="the web server")
            job_id = submit(http, "test/sleep", STEPPING)
            wait_for(http, job_id, {"PROCESSING"})
        supervisor.send_signal(signum)  # the main pid, not its group
        assert supervisor.wait(timeout=30) == 0
        assert job(job_id).status == JobStatus.PENDING and job(job_id).attempts == 0
        assert processes_with(env["Q_CLUSTER_NAME"]) == []
        log.flush()
        # Each stopped by itself: none had to be killed when the grace ran out.
        assert b"killed" not in (tmp_path / "supervise.log").read_bytes()
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
        for pid in processes_with(env["Q_CLUSTER_NAME"]):
            os.kill(pid, signal.SIGKILL)
        log.close()


def _healthy(http) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.live_env(JOB_STOP_GRACE_SECONDS="2", JOB_LOST_AFTER_SECONDS="600")
def test_a_cluster_with_a_frozen_worker_still_stops_and_its_job_comes_back(
        http, live_service):
    job_id = submit(http, "test/sleep", {"seconds": 4, "steps": 40})
    wait_for(http, job_id, {"PROCESSING"})
    frozen = worker_pid(job_id)
    os.kill(frozen, signal.SIGSTOP)  # it can neither hand its job back nor exit
    live_service.workers[0].send_signal(signal.SIGTERM)
    live_service.workers[0].wait(timeout=30)  # its wait is bounded: it kills the worker
    assert processes_with(live_service.env["Q_CLUSTER_NAME"], "qcluster") == []
    assert job(job_id).status == JobStatus.PROCESSING
    live_service.workers.clear()
    live_service.start_worker()  # finds the job's process gone and runs it again
    assert wait_for(http, job_id, timeout=40)["status"] == "COMPLETED"
    assert job(job_id).attempts == 2
