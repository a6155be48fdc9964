"""The queue entries the submit path builds itself are django-q2's own."""

import pytest
from django.db import connection
from django_q.brokers import get_broker
from django_q.brokers.orm import ORM
from django_q.signing import SignedPackage

from jobs import queue


def test_a_run_job_package_is_what_django_q2_unpacks():
    task = SignedPackage.loads(queue.run_job_package("abc", "test_noop"))
    assert task["func"] == queue.RUN_JOB
    assert task["args"] == ("abc", "test_noop") and task["kwargs"] == {}
    assert task["name"] == "job-abc" and task["save"] is False and task["ack_failure"]


def test_a_run_job_entry_is_dequeued_by_the_database_broker(db):
    broker = get_broker()
    if not isinstance(broker, ORM):
        pytest.skip("the broker is not the database")
    with connection.cursor() as cursor:
        cursor.execute(*queue.run_job_entry("abc", "test_noop"))
    (ack_id, package), = broker.dequeue()
    assert SignedPackage.loads(package)["args"] == ("abc", "test_noop")
