import json
import uuid

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import OrmQ

from jobs import records
from jobs.models import Job, JobStatus, RateCounter

URL = "/v1/test/sleep"


def post(client, url=URL, body=None, **extra):
    return client.post(url, data=json.dumps(body if body is not None else {"seconds": 0}),
                       content_type="application/json", **extra)


def test_submit_answers_202_with_location_and_retry_after(api, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    response = post(api, body={"seconds": 0, "steps": 1})
    assert response.status_code == 202
    body = response.json()
    job_id = body["jobId"]
    assert uuid.UUID(job_id).hex and job_id == job_id.lower()
    assert body == {"jobId": job_id, "status": "PENDING",
                    "statusUrl": f"/v1/ops/jobs/{job_id}",
                    "message": "Job accepted for processing"}
    assert response["Location"] == f"/v1/ops/jobs/{job_id}"
    assert int(response["Retry-After"]) >= 1
    job = Job.objects.get(pk=job_id)
    assert job.params == {"seconds": 0.0, "steps": 1, "target": "sleep"}
    assert job.metadata == {"source": "api"} and job.username == "ci-key"


def test_submit_runs_the_job(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, body={"seconds": 0, "steps": 2})
    job = api.get(f"/v1/ops/jobs/{response.json()['jobId']}").json()
    assert job["status"] == "COMPLETED"
    assert job["result"] == {"slept": 0.0, "steps": 2}


def test_x_api_key_header_works(client, key):
    response = post(client, HTTP_X_API_KEY=key[1])
    assert response.status_code == 202


@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Bearer nope"},
                                     {"HTTP_X_API_KEY": "nope"},
                                     {"HTTP_AUTHORIZATION": "Basic abc"}])
def test_missing_or_bad_key_is_401(client, db, headers):
    response = post(client, **headers)
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "unauthorized" and body["status"] == 401
    assert not Job.objects.exists()


def test_revoked_key_is_401(client, key):
    from jobs.services import api_key_revoke

    api_key_revoke(key=key[0])
    assert post(client, HTTP_X_API_KEY=key[1]).status_code == 401


def test_validation_error_envelope_and_no_job(api):
    response = post(api, body={"seconds": -1, "bogus": 1})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error"
    assert set(body["details"]) == {"seconds", "bogus"}
    assert body["details"]["bogus"] == ["unknown field"] or body["details"]["bogus"]
    assert body["path"] == URL and body["trace_id"] and body["timestamp"].endswith("Z")
    assert ": " in body["message"]
    assert not Job.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"seconds": "1"}, "seconds"), ({"seconds": True}, "seconds"),
    ({"steps": "2"}, "steps"), ({"steps": 2.0}, "steps"), ({"steps": False}, "steps"),
    ({"target": 5}, "target"),
])
def test_values_must_have_their_documented_json_types(api, body, field):
    """2, not "2", 2.0 or false, as the OpenAPI document says; a number where a decimal
    is documented is fine."""
    response = post(api, body=body)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "validation_error"
    assert set(response.json()["details"]) == {field}
    assert not Job.objects.exists()
    assert post(api, body={"seconds": 1, "steps": 2}).status_code == 202


def test_a_null_callback_url_means_no_callback(api):
    from jobs.models import JobCallback

    response = post(api, body={"seconds": 0, "callbackUrl": None})
    assert response.status_code == 202
    assert Job.objects.count() == 1 and not JobCallback.objects.exists()


@pytest.mark.parametrize("raw,content_type,status", [
    ("{not json", "application/json", 400),
    ("[1, 2]", "application/json", 400),
    ("", "application/json", 400),
    ("seconds=1", "application/x-www-form-urlencoded", 415),
    ('{"seconds": 1}', "text/plain", 415),
])
def test_unreadable_bodies(api, raw, content_type, status):
    response = api.post(URL, data=raw, content_type=content_type)
    assert response.status_code == status
    assert response.json()["status"] == status
    assert not Job.objects.exists()


def test_oversize_body_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(api, body={"seconds": 0, "target": "x" * 5000})
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_wrong_method_is_405_with_allow(api):
    response = api.get(URL)
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response["Allow"] == "POST"


def test_unknown_path_is_404_envelope(api):
    response = api.get("/v1/ops/nothing/here")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_idempotency_key(api):
    first = post(api, body={"seconds": 0}, HTTP_IDEMPOTENCY_KEY="abc")
    again = post(api, body={"seconds": 0}, HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == again.status_code == 202
    assert first.json()["jobId"] == again.json()["jobId"]
    assert Job.objects.count() == 1
    conflict = post(api, body={"seconds": 1}, HTTP_IDEMPOTENCY_KEY="abc")
    assert conflict.status_code == 409 and conflict.json()["error"] == "conflict"


def test_idempotency_key_is_per_organization(api, other_org):
    from tests.factories import api_key_with_raw

    first = post(api, body={"seconds": 0}, HTTP_IDEMPOTENCY_KEY="same")
    _, other_raw = api_key_with_raw(other_org)
    other = post(api, body={"seconds": 0}, HTTP_IDEMPOTENCY_KEY="same",
                 HTTP_AUTHORIZATION=f"Bearer {other_raw}")
    assert first.json()["jobId"] != other.json()["jobId"]


def test_rate_limit_429(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "scans": (2, 60)}
    assert post(api).status_code == 202
    assert post(api).status_code == 202
    response = post(api)
    assert response.status_code == 429
    body = response.json()
    assert body["error"] == "rate_limited"
    assert 1 <= body["retryAfter"] <= 60 and response["Retry-After"] == str(body["retryAfter"])
    assert Job.objects.count() == 2


def test_rate_limit_is_per_key(api, org, settings):
    from tests.factories import api_key_with_raw

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "scans": (1, 60)}
    assert post(api).status_code == 202
    assert post(api).status_code == 429
    _, raw = api_key_with_raw(org, name="second")
    assert post(api, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 202


def test_server_error_is_500_without_internals(api, monkeypatch):
    from jobs import lifecycle

    def explode(**kwargs):
        raise RuntimeError("password=hunter2 /srv/secret")

    monkeypatch.setattr(lifecycle, "job_submit", explode)
    monkeypatch.setattr(lifecycle, "job_submit_with_key", explode)   # PostgreSQL's
    response = post(api)
    assert response.status_code == 500
    text = response.content.decode()
    assert "hunter2" not in text and "Traceback" not in text
    assert response.json()["error"] == "internal_error"


def test_pending_job_reads_with_status_pending(api, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    job_id = post(api).json()["jobId"]
    assert Job.objects.get(pk=job_id).status == JobStatus.PENDING


# --- SQLite: the request's count, the job and its queue row in one statement ------------

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite",
                                 reason="SQLite's one-statement submit")


def _counter(bucket_prefix: str) -> list[int]:
    return list(RateCounter.objects.filter(bucket__startswith=bucket_prefix)
                .values_list("count", flat=True))


@sqlite_only
def test_on_sqlite_a_submit_writes_its_count_job_and_queue_row_in_one_statement(
        api, key, settings):
    # Between the statements of a transaction, the thread holding SQLite's one write
    # lock waits for Python's GIL while every other writer waits for the lock.
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False, "orm": "default"}
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "scans": (5, 60)}
    assert post(api).status_code == 202   # the key's first use also notes when it was used
    with CaptureQueriesContext(connection) as queries:
        response = post(api)
    assert response.status_code == 202 and response["X-RateLimit-Remaining"] == "3"
    statements = [q["sql"].lstrip().split()[0].upper() for q in queries.captured_queries]
    assert statements == ["SELECT", "INSERT"]   # the key and its count; the writes
    assert "INSERT INTO jobs_submission" in queries.captured_queries[1]["sql"]
    job_id = uuid.UUID(response.json()["jobId"])
    assert Job.objects.filter(pk=job_id, status=JobStatus.PENDING).exists()
    assert f"jobs.tasks.run_job {job_id.hex} test_sleep" in OrmQ.objects.values_list(
        "payload", flat=True)
    assert OrmQ.objects.count() == Job.objects.count() == 2
    assert _counter(f"{key[0].pk}:scans:") == [2]


@sqlite_only
def test_on_sqlite_the_rate_headers_count_from_what_was_read_with_the_key(
        api, key, settings):
    # Requests that others counted in this window before this one was read show in its
    # headers: the count comes from the key's own bucket, read with the key.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "scans": (5, 60)}
    assert post(api)["X-RateLimit-Remaining"] == "4"
    RateCounter.objects.filter(bucket__startswith=f"{key[0].pk}:scans:").update(count=3)
    other = RateCounter.objects.create(bucket=f"{key[0].pk}:reads:1", count=50,
                                       expires_at=timezone.now())
    response = post(api)
    assert response.status_code == 202 and response["X-RateLimit-Remaining"] == "1"
    assert _counter(f"{key[0].pk}:scans:") == [4]
    other.refresh_from_db()
    assert other.count == 50


@sqlite_only
def test_on_sqlite_a_refused_submit_writes_nothing(api, key, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False, "orm": "default"}
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "scans": (1, 60)}
    assert post(api).status_code == 202
    refused = post(api)
    assert refused.status_code == 429 and refused["X-RateLimit-Remaining"] == "0"
    assert refused.json()["error"] == "rate_limited"
    assert Job.objects.count() == 1 and OrmQ.objects.count() == 1
    assert _counter(f"{key[0].pk}:scans:") == [1]


@sqlite_only
def test_on_sqlite_a_statement_that_fails_takes_its_count_back(key, org):
    # The count, the job and the queue row stand or fall together: here the job's id
    # is taken, so its INSERT fails after the count was made.
    from jobs.api.ratelimit import rate_charge

    taken = Job.objects.create(organization=org, type="test_sleep", params={})
    job = records.job_new(organization=org, type="test_sleep", params={}, id=taken.pk)
    charge = rate_charge(key[0].pk, "scans")
    with connection.cursor() as cursor:
        records.submission_view_create(cursor)
        with pytest.raises(IntegrityError):
            cursor.execute(*records.job_submission_statement(
                records.job_insert_statement(job), ["cluster", "line", None],
                charge.in_statement))
    assert _counter(f"{key[0].pk}:scans:") == [] and OrmQ.objects.count() == 0


@sqlite_only
def test_on_sqlite_each_connection_makes_its_submission_view_on_first_use(api):
    with connection.cursor() as cursor:   # as a new connection has it: no view yet
        cursor.execute("DROP TRIGGER IF EXISTS temp.jobs_submission_insert")
        cursor.execute("DROP VIEW IF EXISTS temp.jobs_submission")
    assert post(api).status_code == 202
    assert post(api).status_code == 202
    assert Job.objects.count() == 2


# --- every database: the key is checked before the body is answered ---------------------

@pytest.mark.parametrize("body, content_type", [
    ('{"seconds": -1}', "application/json"), ("{nope", "application/json"),
    ('{"seconds": 0}', "text/plain"), ("", "application/json")])
def test_a_bad_key_is_401_whatever_the_body(client, key, body, content_type):
    response = client.post(URL, data=body, content_type=content_type,
                           HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert not Job.objects.exists()


def test_an_invalid_body_is_not_counted(api, key, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "scans": (5, 60)}
    assert post(api, body={"seconds": -1}).status_code == 400
    assert _counter(f"{key[0].pk}:scans:") == []
    assert post(api)["X-RateLimit-Remaining"] == "4"


@pytest.mark.django_db(transaction=True)   # the entry is sent once the job commits
def test_a_submit_the_broker_refuses_leaves_no_job(api, settings, monkeypatch):
    # Redis as the broker, down: the job was saved before its entry could be sent, and
    # is taken back. The client is told 503, and finds one job after its retry.
    import socket

    from django_q.brokers.redis_broker import Redis
    from django_q.conf import Conf
    from redis import Redis as RedisClient

    from jobs import queue

    with socket.socket() as probe:   # a port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    broker = Redis(list_key="down")
    broker.connection = RedisClient(host="127.0.0.1", port=port, socket_connect_timeout=2)
    monkeypatch.setattr(queue, "broker", lambda: broker)
    monkeypatch.setattr(Conf, "SYNC", False)
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False, "orm": None}
    response = post(api)
    assert response.status_code == 503 and response.json()["error"] == "unavailable"
    assert not Job.objects.exists()


# --- PostgreSQL: the key, the request's count and the job in one statement --------------

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="PostgreSQL's one-statement submit")


@postgres_only
@pytest.mark.parametrize("broker", ["redis", "database"])
def test_on_postgres_a_submit_is_one_statement(api, key, settings, monkeypatch, broker):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False,
                          "orm": "default" if broker == "database" else None}
    if broker == "database":
        monkeypatch.setattr(Conf, "ORM", "default")
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "scans": (5, 60)}
    assert post(api).status_code == 202   # the key's first use also notes when it was used
    with CaptureQueriesContext(connection) as queries:
        response = post(api)
    assert response.status_code == 202 and response["X-RateLimit-Remaining"] == "3"
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["WITH"]
    job = Job.objects.get(pk=response.json()["jobId"])
    assert (job.organization_id, job.api_key_id, job.username, job.status, job.metadata) == (
        key[0].organization_id, key[0].pk, "ci-key", JobStatus.PENDING, {"source": "api"})
    assert _counter(f"{key[0].pk}:scans:") == [2]
    queued = OrmQ.objects.values_list("payload", flat=True)
    if broker == "database":
        assert f"jobs.tasks.run_job {job.pk.hex} test_sleep" in queued
    else:
        assert not queued


@postgres_only
def test_on_postgres_a_refused_submit_writes_nothing(api, key, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "scans": (1, 60)}
    assert post(api).status_code == 202
    refused = post(api)
    assert refused.status_code == 429 and refused["X-RateLimit-Remaining"] == "0"
    assert refused.json()["error"] == "rate_limited"
    assert Job.objects.count() == 1 and _counter(f"{key[0].pk}:scans:") == [1]


@postgres_only
def test_on_postgres_the_submit_statement_is_prepared(api):
    # Sent with its values apart, the statement is prepared on its connection after a
    # few runs: PostgreSQL no longer parses and plans it on every submit.
    for _ in range(6):
        assert post(api).status_code == 202
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any(text.startswith("WITH k AS (SELECT id, organization_id") for text in prepared)


@postgres_only
@pytest.mark.django_db(transaction=True)   # the connection is ended between requests
def test_on_postgres_the_submit_statement_is_its_own_connection_check(api, monkeypatch):
    # Django sends SELECT 1 before a request's first statement, to find a connection
    # that died while idle. A submit's statement finds it out by itself, and runs again
    # on a new connection: one round trip fewer on every submit.
    from django.db import connections

    assert post(api).status_code == 202
    checks = []
    is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or is_usable())
    connection.close_if_unusable_or_obsolete()   # as at the start of a request
    assert post(api).status_code == 202
    assert checks == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    connection.close_if_unusable_or_obsolete()   # the next request
    assert post(api).status_code == 202
    assert checks == [1]   # found broken, then a new connection
    assert Job.objects.count() == 3
