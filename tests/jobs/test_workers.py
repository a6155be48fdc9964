"""Worker tokens, and telling a dead worker process from a live one on this host."""

import os
import subprocess
import sys
from datetime import timedelta

from django.utils import timezone
from django_q.conf import Conf

from jobs import cluster, workers
from jobs.models import Job, JobStatus
from tests.factories import JobFactory


def finished_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_token_names_this_namespace_and_process():
    token = workers.worker_token()
    assert len(token) <= 64 and token.startswith(f"{workers.host_id()}:")
    assert workers.local_pid(token) == os.getpid()
    assert workers.worker_token() != token  # one per job run


def test_tokens_of_other_hosts_or_namespaces_are_not_judged_here():
    assert workers.local_pid(f"other-host/abcdef:{os.getpid()}:12345678") is None
    host = workers.host_id().split("/")[0]
    assert workers.local_pid(f"{host}/zzzzzz:{os.getpid()}:12345678") is None
    assert workers.local_pid(f"{host}:{os.getpid()}:12345678") is None  # an older token


def test_a_live_process_that_claimed_the_job_is_running():
    assert workers.process_running_since(os.getpid(), timezone.now())


def test_a_gone_process_is_not():
    assert not workers.process_running_since(finished_pid(), timezone.now())


def test_a_pid_reused_after_the_claim_is_not_the_claimer():
    # This process started after a claim made a day ago: its pid must be a reuse.
    assert not workers.process_running_since(os.getpid(), timezone.now() - timedelta(days=1))


def test_dead_local_workers_lists_only_jobs_whose_process_is_gone(db, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # queue the released job, don't run it here
    host = workers.host_id()
    dead_token = f"{host}:{finished_pid()}:aaaaaaaa"
    tokens = [dead_token, f"{host}:{os.getpid()}:bbbbbbbb", "elsewhere/abcdef:1:cccccccc"]
    jobs = [JobFactory(status=JobStatus.PROCESSING, worker=token, started_at=timezone.now(),
                       heartbeat_at=timezone.now()) for token in tokens]
    JobFactory(status=JobStatus.COMPLETED, worker=f"{host}:{finished_pid()}:dddddddd")
    assert cluster.dead_local_workers() == [dead_token]
    assert cluster.cluster_reap()["requeued"] == [str(jobs[0].pk)]
    assert Job.objects.get(pk=jobs[0].pk).worker == ""
