"""``?wait=N`` and the stream's contract, in process (the live tests time them)."""

import pytest

from jobs.push import watch
from tests.factories import JobFactory, OrganizationFactory
from tests.push.helpers import complete, running_job


@pytest.mark.parametrize("wait", ["0", "31", "abc", "", "1.5", "-1"])
def test_bad_wait_is_400(api, org, wait):
    job = JobFactory(organization=org)
    response = api.get(f"/v1/ops/jobs/{job.pk}", {"wait": wait})
    assert response.status_code == 400
    assert response.json()["details"] == {"wait": ["an integer from 1 to 30"]}


def test_wait_on_an_ended_job_answers_at_once(api, org):
    job = running_job(org)
    complete(job)
    response = api.get(f"/v1/ops/jobs/{job.pk}", {"wait": "30"})
    assert response.status_code == 200 and response.json()["status"] == "COMPLETED"


def test_wait_on_another_organizations_job_is_404(api):
    job = JobFactory(organization=OrganizationFactory(name="globex"))
    assert api.get(f"/v1/ops/jobs/{job.pk}", {"wait": "5"}).status_code == 404


def test_past_the_bound_waiting_is_429(api, org, settings):
    settings.PUSH_MAX_WAITERS = 1
    assert watch.waiters.acquire()  # someone else is waiting
    try:
        response = api.get(f"/v1/ops/jobs/{JobFactory(organization=org).pk}", {"wait": "5"})
    finally:
        watch.waiters.release()
    assert response.status_code == 429 and response["Retry-After"] == "2"


def test_streams_past_the_bound_are_429(api, org, settings):
    settings.PUSH_MAX_STREAMS = 1
    assert watch.streams.acquire()
    try:
        response = api.get(f"/v1/ops/jobs/{JobFactory(organization=org).pk}/stream")
    finally:
        watch.streams.release()
    assert response.status_code == 429


def test_stream_refuses_post(api, org):
    response = api.post(f"/v1/ops/jobs/{JobFactory(organization=org).pk}/stream")
    assert response.status_code == 405


def test_openapi_documents_push(client):
    document = client.get("/v1/openapi.json").json()
    get_job = document["paths"]["/v1/ops/jobs/{jobId}"]["get"]
    assert any(p["name"] == "wait" and p["schema"]["maximum"] == 30
               for p in get_job["parameters"])
    stream = document["paths"]["/v1/ops/jobs/{jobId}/stream"]["get"]
    assert "text/event-stream" in stream["responses"]["200"]["content"]
    submit = document["paths"]["/v1/test/noop"]["post"]
    assert "jobEnded" in submit["callbacks"]
    request = submit["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = request.rsplit("/", 1)[-1]
    assert "callbackUrl" in document["components"]["schemas"][name]["properties"]
    assert "statusUrl" in document["components"]["schemas"]["WebhookPayload"]["properties"]
