"""Jobs read and written with one indexed SQL statement, for the hot paths.

The API's job reads and the worker's claim run thousands of times a second; building
ORM querysets and model instances costs more there than the database does. These
helpers speak plain SQL through Django's connection (same database, same transaction
handling) and hand back small records that the serializers read like a ``Job``.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_q.models import OrmQ

from jobs.models import ApiKey, Job, JobEvent, RateCounter, progress_percentage
from jobs.once import built_once

JOB_TABLE = Job._meta.db_table
KEY_TABLE = ApiKey._meta.db_table
EVENT_TABLE = JobEvent._meta.db_table
RATE_TABLE = RateCounter._meta.db_table
QUEUE_TABLE = OrmQ._meta.db_table

JOB_COLUMNS = (
    "id", "status", "type", "params", "progress_current", "progress_total",
    "progress_message", "result", "error_code", "error_message", "error_details", "error_at",
    "created_at", "updated_at", "completed_at", "metadata", "username", "organization_id",
)
_JSON = {"params", "result", "metadata"}
_DATES = {"error_at", "created_at", "updated_at", "completed_at"}


@dataclass(slots=True)
class JobRecord:
    id: uuid.UUID
    status: str
    type: str
    params: Any
    progress_current: int
    progress_total: int
    progress_message: str
    result: Any
    error_code: str
    error_message: str
    error_details: str
    error_at: datetime | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    metadata: dict
    username: str
    organization_id: int

    @property
    def pk(self) -> uuid.UUID:
        return self.id

    @property
    def percentage(self) -> float:
        return progress_percentage(self.status, self.progress_current, self.progress_total)


def bound_cursor():
    """PostgreSQL: a Django cursor that sends a statement's values apart from its text,
    so that psycopg prepares the statement on its ``prepare_threshold``-th run on a
    connection (``DB_PREPARED_STATEMENTS``). Django's own cursors write the values into
    the text, which PostgreSQL then parses and plans anew every time: for a submit's
    statement that cost more than its writes. The steps are those of Django's
    ``connection.cursor()``, with the cursor class it takes for ``server_side_binding``."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def fetch_one_checked(sql: str, params) -> tuple | None:
    """PostgreSQL: run one statement on a ``bound_cursor`` and return its first row, with
    the statement itself as the connection's health check when a request's first
    statement: Django otherwise sends a ``SELECT 1`` before it, a round trip of its
    own. A connection found broken (closed while idle, the server restarted) is closed
    and the statement runs once more on a new one, as after a failed check. Outside a
    transaction only, where a statement that failed on a broken connection did not
    commit, unless the connection broke between its commit and its answer: a submit's
    second run then fails on the job's id, chosen before the first, and saves nothing."""
    checking = (connection.connection is not None and connection.health_check_enabled
                and not connection.health_check_done and not connection.in_atomic_block)
    if checking:
        connection.health_check_done = True
    try:
        with bound_cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    except (OperationalError, InterfaceError):
        if not checking or connection.is_usable():
            raise
    connection.close()
    with bound_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def db_uuid(value: uuid.UUID):
    """A UUID as this database stores it (native on PostgreSQL, hex text on SQLite)."""
    return Job._meta.pk.get_db_prep_value(value, connection)


def db_datetime(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _datetime(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _decode(column: str, value):
    if column in _JSON:
        return json.loads(value) if isinstance(value, str) else value
    if column in _DATES:
        return _datetime(value)
    if column == "id" and not isinstance(value, uuid.UUID):
        return uuid.UUID(value)
    return value


def job_record(values) -> JobRecord:
    return JobRecord(*(_decode(c, v) for c, v in zip(JOB_COLUMNS, values, strict=True)))


_KEY_SELECT = f"SELECT k.id, k.organization_id, k.name, k.last_used_at FROM {KEY_TABLE} k"
# The same, and the count of the key's rate bucket ``<key id><suffix>``. Named
# parameters: Django fills them in with one ``%`` over a dict, where for ``%s`` it runs
# a regular expression over the whole statement, on every submit.
_KEY_AND_COUNT = (
    "SELECT k.id, k.organization_id, k.name, k.last_used_at,"
    f" (SELECT r.count FROM {RATE_TABLE} r WHERE r.bucket = CAST(k.id AS TEXT) || %(suffix)s)"
    f" FROM {KEY_TABLE} k WHERE k.hashed_key = %(key)s AND k.revoked_at IS NULL"
)
_ACTIVE_KEY = "k.hashed_key = %s AND k.revoked_at IS NULL"
_KEY_AND_JOB = (
    "SELECT k.id, k.organization_id, k.name, k.last_used_at, "
    + ", ".join(f"j.{c}" for c in JOB_COLUMNS)
    + f" FROM {KEY_TABLE} k LEFT JOIN {JOB_TABLE} j"
    f" ON j.id = %s AND j.organization_id = k.organization_id WHERE {_ACTIVE_KEY}"
)


def active_key(hashed_key: str) -> tuple | None:
    """(key id, organization id, name, last used) of an active key, or None."""
    with connection.cursor() as cursor:
        cursor.execute(f"{_KEY_SELECT} WHERE {_ACTIVE_KEY}", [hashed_key])
        row = cursor.fetchone()
    return None if row is None else (*row[:3], _datetime(row[3]))


def active_key_and_count(hashed_key: str, bucket_suffix: str) -> tuple | None:
    """``active_key``'s row and, last, the count of the key's rate bucket named
    ``<key id><bucket_suffix>`` (0 before its first request), in one indexed query."""
    with connection.cursor() as cursor:
        cursor.execute(_KEY_AND_COUNT, {"suffix": bucket_suffix, "key": hashed_key})
        row = cursor.fetchone()
    return None if row is None else (*row[:3], _datetime(row[3]), row[4] or 0)


def active_key_and_job(hashed_key: str, job_id: uuid.UUID | None):
    """The key's row and its organization's job ``job_id``, in one indexed query.

    Returns None for an unknown or revoked key, else ``(key row, JobRecord or None)``.
    """
    with connection.cursor() as cursor:
        cursor.execute(_KEY_AND_JOB, [db_uuid(job_id) if job_id else None, hashed_key])
        row = cursor.fetchone()
    if row is None:
        return None
    key = (*row[:3], _datetime(row[3]))
    return key, (job_record(row[4:]) if row[4] is not None else None)


_INSERT_COLUMNS = (
    "id", "organization_id", "type", "status", "target", "params", "metadata",
    "progress_current", "progress_total", "progress_message", "error_code", "error_message",
    "error_details", "api_key_id", "user_id", "username", "created_at", "updated_at",
    "worker", "attempts",
)


@built_once
def _job_defaults() -> tuple[tuple[str, Callable | None, Any], ...]:
    """Each of Job's columns in the constructor's order: its attname, and its default,
    as a callable to call for each new job (``uuid7``, ``dict``) or else as a value."""
    return tuple((field.attname, field.default, None)
                 if field.has_default() and callable(field.default)
                 else (field.attname, None, field.get_default())
                 for field in Job._meta.concrete_fields)


def job_new(*, organization, user=None, **values) -> Job:
    """A new, unsaved ``Job`` of ``organization`` (and ``user``): the given attributes (by
    attname, e.g. ``api_key_id``) over the model's defaults, built through the model's
    positional constructor, which costs a fraction of keyword construction with its
    relation lookups. The relations read back as given, without a query."""
    values.update(organization_id=organization.pk, user_id=getattr(user, "pk", None))
    if "created_at" not in values:
        # One instant for both, rather than two reads of the clock a moment apart.
        values["created_at"] = values.get("updated_at") or timezone.now()
    values.setdefault("updated_at", values["created_at"])
    args = [values.pop(name) if name in values else (make() if make else default)
            for name, make, default in _job_defaults()]
    if values:
        raise TypeError(f"Job has no field(s) {', '.join(values)}")
    job = Job(*args)
    job._state.fields_cache["organization"] = organization
    if user is not None:
        job._state.fields_cache["user"] = user
    return job


def _json_param(vendor: str | None = None) -> str:
    return "CAST(%s AS jsonb)" if (vendor or connection.vendor) == "postgresql" else "%s"


def _insert_sql() -> str:
    return _insert_sql_for(connection.vendor)


@functools.cache
def _insert_sql_for(vendor: str) -> str:
    """Built once per database vendor, read on every submit."""
    json_param = _json_param(vendor)
    placeholders = ", ".join(json_param if c in _JSON else "%s" for c in _INSERT_COLUMNS)
    return f"INSERT INTO {JOB_TABLE} ({', '.join(_INSERT_COLUMNS)}) VALUES ({placeholders})"


def job_insert_statement(job: Job) -> tuple[str, list]:
    """The INSERT of a new job, its parameters ready for the database: worked out before
    a transaction, so the write lock is held only while the statement runs."""
    created = db_datetime(job.created_at)
    values = [
        db_uuid(job.id), job.organization_id, job.type, job.status, job.target,
        json.dumps(job.params), json.dumps(job.metadata), job.progress_current,
        job.progress_total, job.progress_message, job.error_code, job.error_message,
        job.error_details, job.api_key_id, job.user_id, job.username, created,
        created if job.updated_at == job.created_at else db_datetime(job.updated_at),
        job.worker, job.attempts,
    ]
    return _insert_sql(), values


# SQLite: a submit's writes as one INSERT into a view whose trigger counts the request
# against its key's rate limit (refusing it past the limit), saves the job and, with the
# database broker, its queue entry. The view and trigger are TEMP, made on a connection's
# first submit: in the file's schema they would stop Django from remaking jobs_job (how
# it alters a table on SQLite), whose rename checks every view and trigger naming it.
SUBMISSION_VIEW = "jobs_submission"
RATE_REFUSED = "rate limit reached"   # the trigger's RAISE(ABORT) message
_SUBMISSION_EXTRA = ("queue_key", "queue_payload", "queue_lock", "rate_bucket",
                     "rate_expires", "rate_limit")
# Values in the view's own column order, without naming them: the statement is sent on
# every submit, and Django rewrites its placeholders with a regular expression that reads
# it whole (SQLite's DB-API speaks ``?``).
SUBMISSION_SQL = (
    f"INSERT INTO {SUBMISSION_VIEW}"
    f" VALUES ({','.join(['%s'] * (len(_INSERT_COLUMNS) + len(_SUBMISSION_EXTRA)))})"
)
SUBMISSION_DDL = (
    f"CREATE TEMP VIEW IF NOT EXISTS {SUBMISSION_VIEW} AS SELECT "
    + ", ".join(f"NULL AS {column}" for column in _INSERT_COLUMNS + _SUBMISSION_EXTRA)
    + " WHERE 0",
    f"""CREATE TEMP TRIGGER IF NOT EXISTS {SUBMISSION_VIEW}_insert
    INSTEAD OF INSERT ON {SUBMISSION_VIEW}
    BEGIN
        INSERT INTO {RATE_TABLE} (bucket, count, expires_at)
            SELECT NEW.rate_bucket, 1, NEW.rate_expires WHERE NEW.rate_bucket IS NOT NULL
            ON CONFLICT (bucket) DO UPDATE SET count = count + 1
                WHERE count < NEW.rate_limit;
        -- A full bucket was left as it was: changes() counts the UPSERT's rows.
        SELECT RAISE(ABORT, '{RATE_REFUSED}') WHERE NEW.rate_bucket IS NOT NULL
            AND changes() = 0;
        INSERT INTO {JOB_TABLE} ({', '.join(_INSERT_COLUMNS)})
            VALUES ({', '.join(f'NEW.{column}' for column in _INSERT_COLUMNS)});
        INSERT INTO {QUEUE_TABLE} (key, payload, lock)
            SELECT NEW.queue_key, NEW.queue_payload, NEW.queue_lock
            WHERE NEW.queue_key IS NOT NULL;
    END""",
)


def job_submission_statement(insert: tuple[str, list], entry: list | None,
                             rate: tuple[str, Any, int] | None) -> tuple[str, list]:
    """The one statement that saves a job (``job_insert_statement``'s values), its queue
    entry (``[key, payload, lock]``, or None) and counts ``rate`` (``(bucket, expires,
    limit)``, or None); it fails with ``RATE_REFUSED`` past the limit, writing nothing."""
    return SUBMISSION_SQL, [*insert[1], *(entry or (None, None, None)),
                            *(rate or (None, None, None))]


def submission_view_create(cursor) -> None:
    """This connection's view and trigger for ``job_submission_statement``."""
    for statement in SUBMISSION_DDL:
        cursor.execute(statement)


def job_submission_write(insert: tuple[str, list], entry: list | None,
                         rate: tuple[str, Any, int] | None) -> None:
    """Run ``job_submission_statement``, making the view on this connection's first use."""
    statement = job_submission_statement(insert, entry, rate)
    with connection.cursor() as cursor:
        try:
            cursor.execute(*statement)
        except OperationalError as exc:
            if f"no such table: {SUBMISSION_VIEW}" not in str(exc):
                raise
            submission_view_create(cursor)
            cursor.execute(*statement)


# PostgreSQL: a submit in one statement that finds the key, counts the request in its
# rate bucket, saves the job and, with the database broker, its queue entry. The job's
# organization, key and username come from the key's row; a key that is unknown or
# revoked, or a full bucket, leaves nothing written. One round trip instead of four
# (connection check, key, count, job; see ``fetch_one_checked``). The price: the bucket's
# row stays locked until the job commits, so one key's submits commit one after another.
# On a 2-core machine (pgbench, 4 clients, one key) that is ~1,650 statements a second
# against ~3,800 without the count; different keys do not wait for each other.
_FROM_KEY = {"organization_id": "k.organization_id", "api_key_id": "k.id",
             "username": "k.name"}


def _keyed_submission_sql(counted: bool, queued: bool) -> str:
    values = ", ".join(_FROM_KEY.get(c) or ("CAST(%s AS jsonb)" if c in _JSON else "%s")
                       for c in _INSERT_COLUMNS)
    parts = [f"k AS (SELECT id, organization_id, name, last_used_at FROM {KEY_TABLE}"
             " WHERE hashed_key = %s AND revoked_at IS NULL)"]
    if counted:
        parts.append(
            f"c AS (INSERT INTO {RATE_TABLE} AS r (bucket, count, expires_at)"
            " SELECT CAST(k.id AS text) || %s, 1, %s FROM k"
            " ON CONFLICT (bucket) DO UPDATE SET count = r.count + 1 WHERE r.count < %s"
            " RETURNING r.count)")
    parts.append(f"j AS (INSERT INTO {JOB_TABLE} ({', '.join(_INSERT_COLUMNS)})"
                 f" SELECT {values} FROM k{', c' if counted else ''} RETURNING id)")
    if queued:
        parts.append(f"q AS (INSERT INTO {QUEUE_TABLE} (key, payload, lock)"
                     " SELECT %s, %s, %s FROM j)")
    count = "(SELECT count FROM c)" if counted else "NULL"
    return (f"WITH {', '.join(parts)} SELECT k.id, k.organization_id, k.name,"
            f" k.last_used_at, {count}, EXISTS (SELECT FROM j) FROM k")


_KEYED_SQL = {(counted, queued): _keyed_submission_sql(counted, queued)
              for counted in (False, True) for queued in (False, True)}


@dataclass(frozen=True, slots=True)
class KeyedSubmission:
    """What ``job_submission_with_key`` found: the key's row, the bucket's count after
    this request (None without a limit, or when the bucket was full) and whether the
    job was saved."""

    key_id: int
    organization_id: int
    name: str
    last_used_at: datetime | None
    count: int | None
    saved: bool


def job_submission_with_key(hashed_key: str, insert: tuple[str, list], entry: list | None,
                            rate: tuple[str, Any, int] | None) -> KeyedSubmission | None:
    """PostgreSQL: run the one statement above for a job (``job_insert_statement``'s
    values; those of its organization, key and username are not used), its queue entry
    (``[key, payload, lock]``, or None) and ``rate`` (``(bucket suffix, expires,
    limit)``, or None). None: no active key has this hash."""
    values = [v for c, v in zip(_INSERT_COLUMNS, insert[1], strict=True) if c not in _FROM_KEY]
    params = [hashed_key, *(rate or ()), *values, *(entry or ())]
    row = fetch_one_checked(_KEYED_SQL[rate is not None, entry is not None], params)
    return None if row is None else KeyedSubmission(*row)


# --- the worker's moves, as ``jobs.lifecycle`` (which owns every status change) runs them

def job_event_insert(job_id, kind: str, at: datetime, data: dict) -> None:
    """One line of a job's timeline: a prepared INSERT rather than the ORM's ``create``,
    since every claim and every ending writes one and building the model and its query
    cost more than the row."""
    with connection.cursor() as cursor:
        cursor.execute(EVENT_SQL.format(json_param=_json_param()), [
            db_uuid(job_id), db_datetime(at), kind, json.dumps(data)])


EVENT_SQL = (
    f"INSERT INTO {EVENT_TABLE} (job_id, at, type, data) VALUES (%s, %s, %s, {{json_param}})"
)
CLAIM_SQL = (
    f"UPDATE {JOB_TABLE} SET status = %s, worker = %s, heartbeat_at = %s, updated_at = %s,"
    " started_at = %s, deadline_at = %s, attempts = attempts + 1"
    " WHERE id = %s AND (status = %s OR (status = %s AND worker = '')) AND type = %s"
    f" RETURNING {', '.join(JOB_COLUMNS)}"
)
# PostgreSQL: the claim and its event in one statement, atomic by itself.
CLAIM_WITH_EVENT_SQL = (
    f"WITH claimed AS ({CLAIM_SQL}),"
    f" event AS (INSERT INTO {EVENT_TABLE} (job_id, at, type, data)"
    " SELECT id, %s, 'claimed', CAST(%s AS jsonb) FROM claimed)"
    f" SELECT {', '.join(JOB_COLUMNS)} FROM claimed"
)
COMPLETE_SQL = (
    f"UPDATE {JOB_TABLE} SET status = %s, result = {{json_param}}, completed_at = %s,"
    " updated_at = %s, expires_at = %s, progress_message = 'Done',"
    " progress_current = progress_total WHERE id = %s AND status = %s AND worker = %s"
)
# PostgreSQL: the completion, its event and (``{deliveries}``, a CTE named ``sent`` that
# reads ``moved``: ``jobs.push.outbox.deliveries_cte``) its webhook deliveries.
COMPLETE_WITH_EVENTS_SQL = (
    "WITH moved AS ("
    + COMPLETE_SQL.format(json_param="CAST(%s AS jsonb)").replace("{", "{{").replace("}", "}}")
    + " RETURNING id, organization_id),"
    f" event AS (INSERT INTO {EVENT_TABLE} (job_id, at, type, data)"
    " SELECT id, %s, 'completed', CAST('{{}}' AS jsonb) FROM moved),"
    " {deliveries}"
    " SELECT (SELECT count(*) FROM moved), ARRAY(SELECT id::text FROM sent)"
)
