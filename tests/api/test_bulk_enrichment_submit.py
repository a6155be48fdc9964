"""Bulk enrichment over /v1: submit, run, read; bad bodies are 400; another
organization's job is 404."""

import json

import pytest

from jobs.models import Job
from tests.factories import api_key_with_raw

URL = "/v1/ops/enrichment/bulk"


def post(client, body, **extra):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **extra)


def test_submit_run_and_read(api, transactional_db, django_capture_on_commit_callbacks):
    body = {"indicators": ["8.8.8.8", "example[.]com", "garbage!"],
            "include": ["routing", "ip_intelligence", "reputation"],
            "options": {"batch_size": 1}}
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, body)
    assert response.status_code == 202, response.content
    job = api.get(f"/v1/ops/jobs/{response.json()['jobId']}").json()
    assert job["status"] == "COMPLETED", job
    result = job["result"]
    assert result["status"] == "completed"
    assert [i["indicator"] for i in result["results"]] == ["8.8.8.8", "example[.]com"]
    assert result["results"][0]["type"] == "ip"
    assert result["results"][0]["summary"]["organization"] == "GOOGLE"
    assert result["errors"] == [{"indicator": "garbage!", "type": "unknown", "error": True,
                                 "message": result["errors"][0]["message"],
                                 "code": "UNRECOGNISED"}]
    assert (result["totalProcessed"], result["totalFailed"], result["totalIndicators"]) == \
        (2, 1, 3)


@pytest.mark.parametrize("body, field", [
    ({}, "indicators"),
    ({"indicators": []}, "indicators"),
    ({"indicators": ["8.8.8.8"] * 10001}, "indicators"),
    ({"indicators": "8.8.8.8"}, "indicators"),
    ({"indicators": ["8.8.8.8"], "include": ["nope"]}, "include.0"),
    ({"indicators": ["8.8.8.8"], "options": {"batch_size": 51}}, "options.batch_size"),
    ({"indicators": ["8.8.8.8"], "options": {"timeout_per_indicator": 500}},
     "options.timeout_per_indicator"),
])
def test_bad_bodies_are_400(api, body, field):
    response = post(api, body)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "validation_error"
    assert field in response.json()["details"]
    assert not Job.objects.exists()


def test_counts_against_the_bulk_rate_category(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "bulk": (1, 60)}
    assert post(api, {"indicators": ["8.8.8.8"]}).status_code == 202
    second = post(api, {"indicators": ["8.8.8.8"]})
    assert second.status_code == 429


def test_another_organizations_job_is_404(api, client, other_org,
                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post(api, {"indicators": ["8.8.8.8"], "include": ["routing"]}).json()["jobId"]
    _, other_raw = api_key_with_raw(other_org)
    for path in (f"/v1/ops/jobs/{job_id}", f"/v1/ops/jobs/{job_id}/events"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {other_raw}")
        assert response.status_code == 404
