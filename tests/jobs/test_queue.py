"""A job's queue entry is one line; the brokers hand django-q2's pusher the signed task
it stands for, and every other entry as it was."""

import uuid

import pytest
from django.db import connection
from django_q.brokers.orm import ORM
from django_q.signing import SignedPackage

from jobs import queue


def test_a_run_job_package_is_what_django_q2_unpacks():
    job_id = uuid.uuid4()
    task = SignedPackage.loads(queue.run_job_package(job_id, "test_noop"))
    assert task["func"] == queue.RUN_JOB
    assert task["args"] == (str(job_id), "test_noop") and task["kwargs"] == {}
    assert task["name"] == f"job-{job_id}" and task["save"] is False and task["ack_failure"]


@pytest.mark.parametrize("given", [str, lambda job_id: job_id, lambda job_id: job_id.hex])
def test_a_job_line_becomes_the_signed_task_a_worker_runs(given):
    job_id = uuid.uuid4()
    line = queue.run_job_line(given(job_id), "infra_scan")
    assert line == f"jobs.tasks.run_job {job_id.hex} infra_scan"
    for entry in (line, line.encode()):            # Redis hands back bytes
        task = SignedPackage.loads(queue.task_package(entry))
        assert task["func"] == queue.RUN_JOB and task["args"] == (str(job_id), "infra_scan")
        assert task["name"] == f"job-{job_id}" and task["save"] is False


SOME_ID = "6d3f1c0a9b2e4f5a8c7d1e2f3a4b5c6d"


@pytest.mark.parametrize("entry", [
    "jobs.tasks.run_job 0123 infra_scan",                                  # not an id
    f"jobs.tasks.run_job {SOME_ID} Infra-Scan",                            # not a type
    f"jobs.tasks.run_job {SOME_ID} infra_scan extra",
    f"os.system {SOME_ID} infra_scan",
    f"jobs.tasks.run_job {SOME_ID} infra_scan\n",
    b"\xff\xfe not text",
])
def test_anything_else_is_left_for_django_q2_to_unpack_or_reject(entry):
    assert queue.task_package(entry) is entry


def test_other_tasks_pass_through_as_django_q2_signed_them():
    signed = SignedPackage.dumps({"id": "x", "func": "math.floor", "args": (1.5,)})
    assert queue.task_package(signed) is signed


def test_the_broker_hands_the_pusher_a_job_entry_as_its_task(db):
    broker = queue.broker()
    broker.purge_queue()
    job_id = uuid.uuid4()
    if isinstance(broker, ORM):
        with connection.cursor() as cursor:       # as the submit path writes it
            cursor.execute(*queue.run_job_entry(job_id, "test_noop"))
    else:
        broker.enqueue(queue.run_job_line(job_id, "test_noop"))
    other = SignedPackage.dumps({"id": "y", "func": "math.floor", "args": (2.5,)})
    broker.enqueue(other)
    found = []
    for _ in range(50):
        if len(found) == 2:
            break
        for ack_id, package in broker.dequeue() or []:
            found.append(SignedPackage.loads(package))
            broker.acknowledge(ack_id)
    assert [t["args"] for t in found] == [(str(job_id), "test_noop"), (2.5,)]


def test_the_database_broker_takes_entries_in_batches_oldest_first(db, settings):
    from datetime import timedelta

    from django.utils import timezone
    from django_q.conf import Conf
    from django_q.models import OrmQ

    broker = queue.broker()
    if not isinstance(broker, ORM):
        pytest.skip("the broker is not the database")
    broker.purge_queue()
    ids = [uuid.uuid4() for _ in range(6)]
    for job_id in ids:
        broker.enqueue(queue.run_job_line(job_id, "test_noop"))
    OrmQ.objects.update(lock=timezone.now() - timedelta(seconds=1))

    def take():
        return [(ack, SignedPackage.loads(p)["args"][0]) for ack, p in broker.dequeue() or []]

    first, second = take(), take()
    assert [job_id for _, job_id in first + second] == [str(i) for i in ids]
    assert len(first) == Conf.BULK == 4
    assert broker.dequeue() is None                 # all taken: locked until retry
    locked = OrmQ.objects.values_list("lock", flat=True)
    assert all(lock > timezone.now() + timedelta(seconds=Conf.RETRY - 60) for lock in locked)
    for ack, _ in first + second:
        broker.acknowledge(ack)
    assert not OrmQ.objects.exists()
