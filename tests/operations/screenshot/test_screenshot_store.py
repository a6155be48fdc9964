"""The image link: signed, keyless, gone with its job; the purge takes the files along."""

from datetime import timedelta

from django.utils import timezone

from jobs import housekeeping
from jobs.artifacts import artifact_storage
from jobs.models import Job, ScreenshotCapture
from tests.operations.screenshot.conftest import page


def _capture(shot_env, http_servers, capture_job, **options):
    site = http_servers.start({"/": page("x")})
    result = capture_job({"url": site.url, "options": {"waitTime": 0, "width": 320,
                                                       "height": 240, **options}})
    return result, ScreenshotCapture.objects.get(pk=result["screenshotId"])


def _expire(capture):
    Job.objects.filter(pk=capture.job_id).update(
        expires_at=timezone.now() - timedelta(seconds=1))


def test_signed_link_works_without_a_key(client, shot_env, http_servers, capture_job):
    result, capture = _capture(shot_env, http_servers, capture_job, format="jpeg")
    answer = client.get(result["url"])
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/jpeg"
    assert b"".join(answer.streaming_content)[:3] == b"\xff\xd8\xff"
    download = client.get(result["url"] + "?download=1")
    assert download["Content-Disposition"].startswith("attachment")


def test_tampered_link_is_404(client, shot_env, http_servers, capture_job):
    result, _ = _capture(shot_env, http_servers, capture_job)
    token = result["url"].rsplit("/", 1)[1]
    forged = result["url"].replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert client.get(forged).status_code == 404
    assert client.get("/v1/ops/screenshots/image/not-a-token").status_code == 404


def test_image_link_answers_other_methods_with_405(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)  # as a real browser meets the middleware
    for method in ("post", "put", "delete"):
        answer = getattr(strict, method)("/v1/ops/screenshots/image/not-a-token")
        assert answer.status_code == 405 and answer["Allow"] == "GET, HEAD"
        assert answer.json()["error"] == "method_not_allowed"


def test_link_stops_working_when_the_job_expires(client, shot_env, http_servers, capture_job):
    result, capture = _capture(shot_env, http_servers, capture_job)
    Job.objects.filter(pk=capture.job_id).update(
        expires_at=timezone.now() + timedelta(days=1))
    assert client.get(result["url"]).status_code == 200
    _expire(capture)
    answer = client.get(result["url"])
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"


def test_purge_deletes_the_file_with_its_job(client, shot_env, http_servers, capture_job):
    result, capture = _capture(shot_env, http_servers, capture_job)
    assert artifact_storage().exists(capture.file)
    _expire(capture)
    assert housekeeping.jobs_purge_expired() >= 1
    assert not ScreenshotCapture.objects.filter(pk=capture.pk).exists()
    assert not artifact_storage().exists(capture.file)
    assert client.get(result["url"]).status_code == 404
