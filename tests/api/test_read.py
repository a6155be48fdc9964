import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import housekeeping, lifecycle
from jobs.models import JobStatus
from tests.factories import JobFactory, api_key_with_raw

ISO_Z = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def finished(org, **kwargs):
    job = JobFactory(organization=org, **kwargs)
    lifecycle.job_claim(job_id=job.pk, worker="w", timeout=60, job_type=job.type)
    return job


# --- Whisper job object -------------------------------------------------------------


def test_pending_job_object(api, org):
    job = JobFactory(organization=org, params={"n": 3}, metadata={"source": "api"})
    response = api.get(f"/v1/ops/jobs/{job.pk}")
    assert response.status_code == 200
    assert response["Retry-After"] == "2"
    body = response.json()
    assert body["id"] == str(job.pk) and body["status"] == "PENDING"
    assert body["type"] == "test_noop" and body["params"] == {"n": 3}
    assert body["result"] is None and body["error"] is None and body["completedAt"] is None
    assert body["progress"]["percentage"] == 0.0
    assert body["metadata"] == {"source": "api"} and body["username"] == "ci-key"
    import re

    assert re.match(ISO_Z, body["createdAt"]) and re.match(ISO_Z, body["updatedAt"])


def test_processing_job_shows_progress(api, org):
    job = finished(org)
    lifecycle.job_report_progress(job_id=job.pk, worker="w", current=2, total=5,
                                  message="Scanning SSL...")
    body = api.get(f"/v1/ops/jobs/{job.pk}").json()
    assert body["status"] == "PROCESSING"
    assert body["progress"] == {"current": 2, "total": 5, "message": "Scanning SSL...",
                                "percentage": 40.0}


def test_completed_job_has_result_and_no_retry_after(api, org):
    job = finished(org)
    lifecycle.job_complete(job_id=job.pk, worker="w", result={"x": [1, 2]})
    response = api.get(f"/v1/ops/jobs/{job.pk}")
    body = response.json()
    assert body["status"] == "COMPLETED" and body["result"] == {"x": [1, 2]}
    assert body["error"] is None and body["completedAt"]
    assert "Retry-After" not in response


def test_failed_job_has_error_with_string_details(api, org):
    job = finished(org)
    lifecycle.job_fail(job_id=job.pk, worker="w", code="TARGET_UNREACHABLE",
                       message="No answer", details="timeout after 5 s")
    body = api.get(f"/v1/ops/jobs/{job.pk}").json()
    assert body["status"] == "FAILED" and body["result"] is None
    error = body["error"]
    assert error["code"] == "TARGET_UNREACHABLE" and error["message"] == "No answer"
    assert error["details"] == "timeout after 5 s" and error["timestamp"].endswith("Z")


@pytest.mark.parametrize("job_id", ["not-a-uuid", "0455d8dd-c226-4908-a740-0ab40cc21501", "12345"])
def test_unknown_or_malformed_id_is_404(api, job_id):
    response = api.get(f"/v1/ops/jobs/{job_id}")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_other_organizations_job_is_404(api, other_org):
    job = JobFactory(organization=other_org)
    assert api.get(f"/v1/ops/jobs/{job.pk}").status_code == 404
    assert api.post(f"/v1/ops/jobs/{job.pk}/cancel").status_code == 404
    assert lifecycle.Job.objects.get(pk=job.pk).status == JobStatus.PENDING


def test_expired_job_is_404_on_both_dialects(api, org):
    job = JobFactory(organization=org, status=JobStatus.COMPLETED,
                     expires_at=timezone.now() - timedelta(seconds=1))
    housekeeping.jobs_purge_expired()
    assert api.get(f"/v1/ops/jobs/{job.pk}").status_code == 404
    assert api.get(f"/v1/async-jobs/{job.pk}").status_code == 404


def test_reading_needs_a_key(client, org):
    job = JobFactory(organization=org)
    response = client.get(f"/v1/ops/jobs/{job.pk}")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


# --- list ---------------------------------------------------------------------------


def test_list_newest_first_with_total(api, org, other_org):
    now = timezone.now()
    jobs = [JobFactory(organization=org, created_at=now - timedelta(minutes=i))
            for i in range(3)]
    JobFactory(organization=other_org)
    body = api.get("/v1/ops/jobs/list?limit=2").json()
    assert body["total"] == 3 and body["limit"] == 2 and body["offset"] == 0
    assert [j["jobId"] for j in body["jobs"]] == [str(jobs[0].pk), str(jobs[1].pk)]
    summary = body["jobs"][0]
    assert set(summary) == {"jobId", "type", "status", "createdAt", "completedAt",
                            "progress", "error"}
    assert set(summary["progress"]) == {"current", "total", "message"}
    second = api.get("/v1/ops/jobs/list?limit=2&offset=2").json()
    assert [j["jobId"] for j in second["jobs"]] == [str(jobs[2].pk)]


def test_list_filters(api, org):
    done = finished(org, type="test_sleep")
    lifecycle.job_fail(job_id=done.pk, worker="w", code="X", message="boom")
    JobFactory(organization=org, type="test_noop")
    body = api.get("/v1/ops/jobs/list?status=failed&type=test_sleep").json()
    assert body["total"] == 1 and body["status"] == "FAILED"
    assert body["jobs"][0]["error"] == {"code": "X", "message": "boom"}
    assert api.get("/v1/ops/jobs/list?type=test_noop").json()["total"] == 1
    assert api.get("/v1/ops/jobs/list?status=&type=").json()["total"] == 2


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "limit=abc",
                                   "status=DONE", "type=nope", "offset=1.5"])
def test_list_rejects_bad_query(api, query):
    response = api.get(f"/v1/ops/jobs/list?{query}")
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"


# --- cancel -------------------------------------------------------------------------


def test_cancel_pending_then_conflict(api, org):
    job = JobFactory(organization=org)
    response = api.post(f"/v1/ops/jobs/{job.pk}/cancel")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "CANCELLED" and body["error"]["message"] == "Job was cancelled"
    again = api.post(f"/v1/ops/jobs/{job.pk}/cancel")
    assert again.status_code == 409 and again.json()["error"] == "conflict"


def test_cancel_needs_post(api, org):
    job = JobFactory(organization=org)
    assert api.get(f"/v1/ops/jobs/{job.pk}/cancel").status_code == 405


# --- deepidv dialect ----------------------------------------------------------------


def test_deepidv_states(api, org):
    pending = JobFactory(organization=org)
    body = api.get(f"/v1/async-jobs/{pending.pk}").json()
    assert body["status"] == "pending" and isinstance(body["createdAt"], int)
    assert "result" not in body and "error" not in body
    assert body["updatedAt"].endswith("Z")

    ready = finished(org)
    lifecycle.job_complete(job_id=ready.pk, worker="w", result={"ok": True})
    body = api.get(f"/v1/async-jobs/{ready.pk}").json()
    assert body == {"jobId": str(ready.pk), "status": "ready", "createdAt": body["createdAt"],
                    "updatedAt": body["updatedAt"], "result": {"ok": True}}

    failed = finished(org)
    lifecycle.job_fail(job_id=failed.pk, worker="w", code="X", message="went wrong")
    body = api.get(f"/v1/async-jobs/{failed.pk}").json()
    assert body["status"] == "failed" and body["error"] == "went wrong" and "result" not in body

    cancelled = JobFactory(organization=org)
    lifecycle.job_cancel(job_id=cancelled.pk, organization=org)
    body = api.get(f"/v1/async-jobs/{cancelled.pk}").json()
    assert body["status"] == "failed" and body["error"] == "Job was cancelled"

    running = finished(org)
    response = api.get(f"/v1/async-jobs/{running.pk}")
    assert response.json()["status"] == "processing" and response["Retry-After"]


def test_deepidv_error_rules(client, org, other_org, key):
    job = JobFactory(organization=org)
    foreign = JobFactory(organization=other_org)
    url = f"/v1/async-jobs/{job.pk}"
    assert client.get(url).status_code == 403  # no key
    assert client.get(url, HTTP_X_API_KEY="wrong").status_code == 401
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key[1]}"}
    assert client.get("/v1/async-jobs/not-a-uuid", **auth).status_code == 400
    assert client.get(f"/v1/async-jobs/{uuid.uuid4()}", **auth).status_code == 404
    assert client.get(f"/v1/async-jobs/{foreign.pk}", **auth).status_code == 403
    assert client.get(url, **auth).status_code == 200


def test_both_auth_headers_on_reads(client, org, key):
    job = JobFactory(organization=org)
    assert client.get(f"/v1/ops/jobs/{job.pk}", HTTP_X_API_KEY=key[1]).status_code == 200
    assert client.get(f"/v1/async-jobs/{job.pk}", HTTP_X_API_KEY=key[1]).status_code == 200


def test_key_last_used_is_recorded(api, key, org):
    assert key[0].last_used_at is None
    api.get("/v1/ops/jobs/list")
    key[0].refresh_from_db()
    assert key[0].last_used_at is not None


def test_second_key_of_same_org_sees_jobs(api, org, client):
    job = JobFactory(organization=org)
    _, raw = api_key_with_raw(org, name="other")
    assert client.get(f"/v1/ops/jobs/{job.pk}", HTTP_X_API_KEY=raw).status_code == 200


# --- OpenAPI ------------------------------------------------------------------------


def test_openapi_document(client, db):
    doc = client.get("/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert "/v1/ops/jobs/{jobId}" in doc["paths"] and "/v1/async-jobs/{jobId}" in doc["paths"]
    assert "/v1/ops/jobs/list" in doc["paths"]
    schemas = doc["components"]["schemas"]
    assert {"Job", "JobList", "AsyncJob", "ErrorEnvelope", "SubmitResponse"} <= set(schemas)


def test_openapi_links_lead_from_a_job_or_schedule_to_its_next_operations(client, db):
    """Every link names an operation of the document and one of its path parameters, and
    takes the value from a field the answer's schema has; each submit links to reading
    and cancelling its job."""
    doc = client.get("/v1/openapi.json").json()
    operations = {op["operationId"]: op for item in doc["paths"].values()
                  for op in item.values()}

    def resolve(schema):
        while "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    checked = set()
    for item in doc["paths"].values():
        for op in item.values():
            for response in op["responses"].values():
                for link in response.get("links", {}).values():
                    target = operations[link["operationId"]]
                    path_params = {p["name"] for p in target["parameters"] if p["in"] == "path"}
                    for name, expression in link["parameters"].items():
                        assert name in path_params
                        prefix = "$response.body#/"
                        assert expression.startswith(prefix)
                        schema = resolve(response["content"]["application/json"]["schema"])
                        for segment in expression[len(prefix):].split("/"):
                            schema = resolve(schema["items"] if segment.isdigit()
                                             else schema["properties"][segment])
                        assert schema.get("type") == "string"
                    checked.add((op["operationId"], link["operationId"]))
    submits = [op_id for op_id in operations if op_id.startswith("submit_")]
    assert submits
    for op_id in [*submits, "create_screenshot_schedule"]:
        assert {(op_id, "get_job"), (op_id, "cancel_job")} <= checked
    assert ("list_screenshot_schedules", "delete_screenshot_schedule") in checked


def _documented_examples():
    from jobs.api.openapi import build_document

    for path, item in build_document()["paths"].items():
        for method, op in item.items():
            media = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            if "example" in media:
                yield pytest.param(path, method, media["example"], id=op["operationId"])


@pytest.mark.parametrize(("path", "method", "example"), list(_documented_examples()))
def test_every_documented_request_example_is_accepted(api, path, method, example):
    """The document's example bodies are real requests: each is accepted as it stands."""
    response = getattr(api, method)(path, example, content_type="application/json")
    assert response.status_code in (200, 202), response.content


def test_every_operation_with_a_body_shows_an_example(client, db):
    doc = client.get("/v1/openapi.json").json()
    bodies = [op for item in doc["paths"].values() for op in item.values()
              # The suite's own job types (test_*) are not the product's.
              if "requestBody" in op and not op["operationId"].startswith("submit_test_")]
    assert len(bodies) >= 8
    for op in bodies:
        assert "example" in op["requestBody"]["content"]["application/json"], op["operationId"]


@pytest.mark.parametrize("query", ["limit=5&limit=7", "offset=1155975561649321908541325312",
                                   "status=PENDING&status=FAILED"])
def test_list_refuses_repeated_and_oversized_parameters(api, query):
    response = api.get(f"/v1/ops/jobs/list?{query}")
    assert response.status_code == 400 and response.json()["error"] == "validation_error"


def _v1_routes(patterns=None, prefix=""):
    from django.urls import URLPattern, get_resolver

    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLPattern):
            yield route
        else:
            yield from _v1_routes(entry.url_patterns, route)


def test_openapi_document_shows_every_v1_endpoint(client, db):
    import re

    documented = {re.sub(r"\{[^}]+\}", "{}", path)
                  for path in client.get("/v1/openapi.json").json()["paths"]}
    served = {"/" + re.sub(r"<(?:\w+:)?\w+>", "{}", route) for route in _v1_routes()
              if route.startswith("v1/")}
    # The document itself, the test suite's own job type and the JSON 404 for the rest.
    served -= {"/v1/openapi.json", "/v1/test/noop", "/v1/^(?P{}.*)$"}
    assert served - documented == set()
