"""The sending side of the queue: the broker, queue entries for jobs, and enqueueing.

Nothing here imports the job layers: lifecycle hands jobs to the queue, and the worker
side (``jobs.tasks``) is named only as a dotted path inside the entries.
"""

from __future__ import annotations

import re
import time
import uuid

from django.conf import settings
from django.core.signing import TimestampSigner
from django.db import connections
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import PickleSerializer
from django_q.tasks import async_task

from jobs.once import built_once

RUN_JOB = "jobs.tasks.run_job"

# A job's queue entry is one line: the task, the job's id and its type. Nothing in it is
# run or unpickled, so it needs no signature; building and signing django-q2's pickled
# task cost a submit a tenth of its time. The brokers below turn the line into that
# task as a worker's pusher takes it, and pass every other entry through unchanged. A
# line that names a job with another type than its own claims nothing (job_claim).
_JOB_LINE = re.compile(rf"{re.escape(RUN_JOB)} ([0-9a-f]{{32}}) ([a-z][a-z0-9_]{{0,31}})")


@built_once
def broker():
    # async_task() builds a broker (and a connection) per call unless given one.
    return get_broker()


def broker_shares_database() -> bool:
    """The database broker, for real: its queue row can commit with the job's own."""
    cluster = settings.Q_CLUSTER
    return bool(cluster.get("orm")) and not cluster.get("sync")


def enqueue_run_job(job_id, job_type: str) -> None:
    # The type travels with the task so the worker can claim without reading first.
    if Conf.SYNC:  # tests: async_task runs it here and now
        async_task(RUN_JOB, str(job_id), job_type, broker=broker(), **_options(job_id))
    else:
        broker().enqueue(run_job_line(job_id, job_type))


def run_job_entry(job_id, job_type: str) -> tuple[str, list]:
    """The database broker's INSERT of a job's queue entry, parameters and all.

    Built before the job's transaction, so that the job's insert and this one run back
    to back inside it, holding SQLite's write lock for no more than the two statements.
    """
    return _INSERT, _entry_values(broker().list_key, run_job_line(job_id, job_type))


def run_job_line(job_id, job_type: str) -> str:
    """A job's queue entry as it waits in the broker (see ``_JOB_LINE``)."""
    hex_id = job_id.hex if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id)).hex
    return f"{RUN_JOB} {hex_id} {job_type}"


def task_package(entry: str | bytes) -> str | bytes:
    """What django-q2's pusher unpacks: a job's line becomes its signed task; any other
    entry (other tasks, a malformed line) is returned as it is, for the pusher to
    unpack or reject."""
    text = entry.decode("ascii", "replace") if isinstance(entry, bytes) else entry
    match = _JOB_LINE.fullmatch(text)
    if match is None:
        return entry
    return run_job_package(uuid.UUID(match[1]), match[2])


def run_job_package(job_id, job_type: str) -> str:
    """A job's task, signed as ``async_task`` would queue it, built without the broker.

    It is the task dict that ``async_task`` builds, made here directly: async_task's
    human-readable task id, its signal and its log line are not needed for a job.
    """
    task = {"id": uuid.uuid4().hex, "func": RUN_JOB, "args": (str(job_id), job_type),
            **_options(job_id), "kwargs": {}, "started": timezone.now()}
    task["name"] = task.pop("task_name")
    if Conf.CACHED:
        task["cached"] = Conf.CACHED
    if Conf.SYNC:
        task["sync"] = Conf.SYNC
    return _signer().sign_object(task, serializer=PickleSerializer, compress=Conf.COMPRESSED)


@built_once
def _signer() -> TimestampSigner:
    # What SignedPackage.dumps signs with, built once: key and salt never change in a
    # process, and the signer's construction costs as much as the signature.
    return TimestampSigner(key=Conf.SECRET_KEY, salt=Conf.PREFIX)


def _options(job_id) -> dict:
    return {"task_name": f"job-{job_id}", "save": False, "ack_failure": True}


_INSERT = f"INSERT INTO {OrmQ._meta.db_table} (key, payload, lock) VALUES (%s, %s, %s)"


class SqlBroker(ORM):
    """django-q2's database broker, with a one-statement enqueue.

    Submitting a job writes the job row and its queue row in one transaction; the stock
    broker's ORM ``create()`` costs more than the insert itself on that hot path. The
    table, columns and payload are django-q2's own, so its workers dequeue as usual.
    """

    def enqueue(self, task):
        with connections[Conf.ORM].cursor() as cursor:
            cursor.execute(_INSERT, _entry_values(self.list_key, task))

    def dequeue(self):
        """Up to ``bulk`` entries, oldest first, taken in one statement.

        django-q2's own dequeue reads, then locks each entry with an UPDATE of its own:
        on SQLite every one of those is a turn at the write lock that every submit and
        every worker's claim also waits for, and the pusher, one process, spent over
        half its time there. Taken entries stay locked for ``retry`` seconds, as before.
        """
        self.get_connection()   # closes a connection gone stale, as django-q2's does
        connection = connections[Conf.ORM]
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                _DEQUEUE_POSTGRES if connection.vendor == "postgresql" else _DEQUEUE, [
                    connection.ops.adapt_datetimefield_value(self.timeout(None)),
                    self.list_key, connection.ops.adapt_datetimefield_value(now), Conf.BULK])
            taken = cursor.fetchall()
        if not taken:
            time.sleep(Conf.POLL)   # an empty queue: spare the database
            return None
        return _packages(sorted(taken))


_DEQUEUE = (
    f"UPDATE {OrmQ._meta.db_table} SET lock = %s WHERE id IN ("
    f"SELECT id FROM {OrmQ._meta.db_table} WHERE key = %s AND lock < %s ORDER BY id LIMIT %s"
    "{skip}) RETURNING id, payload"
)
# Two clusters on one PostgreSQL database each take entries the other has not locked.
_DEQUEUE_POSTGRES = _DEQUEUE.format(skip=" FOR UPDATE SKIP LOCKED")
_DEQUEUE = _DEQUEUE.format(skip="")


class RedisBroker(Redis):
    """django-q2's Redis broker, reading jobs' one-line entries."""

    def dequeue(self):
        return _packages(super().dequeue())


def _packages(tasks: list | None) -> list | None:
    return [(ack_id, task_package(entry)) for ack_id, entry in tasks] if tasks else tasks


def _entry_values(list_key: str | None, task: str) -> list:
    connection = connections[Conf.ORM]
    return [list_key or Conf.CLUSTER_NAME, task,
            connection.ops.adapt_datetimefield_value(timezone.now())]


def enqueue_task(func: str, *args) -> None:
    """Queue any worker task by dotted path (nothing saved: the caller keeps its own state)."""
    async_task(func, *args, broker=broker(), save=False, ack_failure=True)
