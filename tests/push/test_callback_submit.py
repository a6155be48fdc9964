"""``callbackUrl`` in any submit body: checked at submission, stored apart from params."""

import pytest
from standardwebhooks.webhooks import Webhook

from jobs.models import Delivery, Job, JobCallback
from jobs.push import services


@pytest.mark.parametrize("field", ["callbackUrl", "callback_url"])
def test_callback_url_is_stored_with_the_job_not_its_params(api, field, loopback_allowed):
    response = api.post("/v1/test/noop", {"n": 3, field: "http://127.0.0.1:9/hook"},
                        content_type="application/json")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["jobId"])
    assert job.params == {"n": 3}
    assert JobCallback.objects.get(job=job).url == "http://127.0.0.1:9/hook"


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://[::1]:8080/",
                                 "http://0x7f.1/", "https://169.254.169.254/latest",
                                 "http://localhost:8000/hook"])
def test_refused_callback_address_is_400_target_not_allowed(api, url, settings):
    settings.ALLOWED_TARGET_NETWORKS = []
    response = api.post("/v1/test/noop", {"n": 1, "callbackUrl": url},
                        content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "target_not_allowed" and list(body["details"]) == ["callbackUrl"]
    assert not Job.objects.exists()


@pytest.mark.parametrize("url", ["ftp://example.com/x", "not a url", 42, "", "http://", {}, [1]])
def test_malformed_callback_url_is_400(api, url):
    response = api.post("/v1/test/noop", {"n": 1, "callback_url": url},
                        content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert list(response.json()["details"]) == ["callback_url"]


def test_callback_works_for_every_job_type_and_is_signed(
        api, org, receiver, loopback_allowed, django_capture_on_commit_callbacks):
    secret = services.callback_secret_rotate(organization=org)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/v1/test/fail", {"host": "db.internal",
                                              "callbackUrl": receiver.url},
                            content_type="application/json")
    assert response.status_code == 202
    [request] = receiver.wait(1)
    body = Webhook(secret).verify(request.body, request.headers)
    assert body["jobId"] == response.json()["jobId"] and body["status"] == "FAILED"
    assert body["statusUrl"] == response.json()["statusUrl"]
    assert Delivery.objects.get().endpoint is None


def test_unknown_fields_are_still_refused(api):
    response = api.post("/v1/test/noop", {"n": 1, "callbackUrls": "http://x.example/"},
                        content_type="application/json")
    assert response.status_code == 400 and "callbackUrls" in response.json()["details"]
