"""Schedules: the endpoints of API.md, firing once, retention, history, organizations."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.artifacts import artifact_storage
from jobs.models import Job, ScreenshotCapture, ScreenshotSchedule
from jobs.operations.screenshot import api_doc, schedules
from jobs.operations.screenshot.params import ScheduleSpec
from tests.factories import api_key_with_raw
from tests.operations.screenshot.conftest import page

SCHEDULE_KEYS = {"id", "url", "username", "cron", "frequency", "timezone", "enabled", "options",
                 "retention_count", "created_at", "updated_at", "last_capture_at",
                 "next_capture_at", "capture_count"}
BODY = {"url": "https://example.com/login", "options": {"width": 800},
        "schedule": {"frequency": "daily", "retention_count": 5}}


def _make(org, url="https://example.com/", **spec):
    spec = ScheduleSpec.model_validate({"frequency": "hourly", **spec})
    return schedules.schedule_create(organization_id=org.pk, url=url, options={}, spec=spec)


@pytest.fixture
def other_api(client, other_org):
    from django.test import Client

    other = Client()
    other.defaults["HTTP_AUTHORIZATION"] = f"Bearer {api_key_with_raw(other_org)[1]}"
    return other


def test_schedule_endpoint_starts_the_first_capture(api, org):
    answer = api.post("/v1/ops/screenshots/schedule", BODY, content_type="application/json")
    assert answer.status_code == 202
    job = Job.objects.get(pk=answer.json()["jobId"])
    schedule = ScreenshotSchedule.objects.get(organization=org)
    assert job.metadata["schedule"] == str(schedule.pk)
    assert job.params == {"url": BODY["url"], "options": {**schedule.options}}
    assert schedule.next_capture_at > timezone.now()
    assert schedule.retention_count == 5


@pytest.mark.parametrize("body, field, error", [
    ({"url": "https://example.com/"}, "schedule", "validation_error"),
    ({**BODY, "schedule": {"cron": "every day"}}, "schedule.cron", "validation_error"),
    ({**BODY, "schedule": {"frequency": "yearly"}}, "schedule.frequency", "validation_error"),
    ({**BODY, "schedule": {"frequency": "daily", "timezone": "Mars/Base"}},
     "schedule.timezone", "validation_error"),
    ({**BODY, "url": "http://169.254.169.254/"}, "url", "target_not_allowed"),
    ({**BODY, "url": "http://="}, "url", "validation_error"),
    ({**BODY, "url": "http://\u00cd\u0011\u00aa/"}, "url", "validation_error"),
    ({**BODY, "options": {"width": 5}}, "options.width", "validation_error"),
])
def test_schedule_endpoint_refuses_bad_bodies(api, body, field, error):
    answer = api.post("/v1/ops/screenshots/schedule", body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["error"] == error
    assert field in answer.json()["details"]
    assert not ScreenshotSchedule.objects.exists() and not Job.objects.exists()


def test_schedule_limit_per_organization(api, org, settings):
    settings.SCREENSHOT_MAX_SCHEDULES = 1
    _make(org)
    answer = api.post("/v1/ops/screenshots/schedule", BODY, content_type="application/json")
    assert answer.status_code == 409
    assert not Job.objects.exists()


def test_a_schedule_past_the_screenshot_rate_limit_is_refused_whole(api, settings):
    # The first capture counts against the key's "screenshots" limit; refused, the
    # schedule made in the same transaction goes too.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "screenshots": (1, 60)}
    assert api.post("/v1/ops/screenshots/schedule", BODY,
                    content_type="application/json").status_code == 202
    refused = api.post("/v1/ops/screenshots/schedule", BODY, content_type="application/json")
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert ScreenshotSchedule.objects.count() == 1 and Job.objects.count() == 1


def test_capture_endpoint_checks_literal_targets(api):
    answer = api.post("/v1/ops/screenshots/capture", {"url": "http://0x7f.1/"},
                      content_type="application/json")
    assert answer.status_code == 400 and answer.json()["error"] == "target_not_allowed"


def test_list_get_and_delete(api, org, other_org, settings):
    mine = _make(org, cron="*/30 * * * *", frequency=None, timezone="Europe/Berlin")
    _make(other_org)
    listing = api.get("/v1/ops/screenshots/schedules").json()
    api_doc.ScreenshotScheduleList.model_validate(listing)  # what the OpenAPI document says
    assert listing["count"] == 1
    assert listing["max_schedules"] == settings.SCREENSHOT_MAX_SCHEDULES
    assert listing["max_screenshots_per_schedule"] == settings.SCREENSHOT_MAX_PER_SCHEDULE
    one = listing["schedules"][0]
    assert set(one) == SCHEDULE_KEYS
    assert one["cron"] == "*/30 * * * *" and one["timezone"] == "Europe/Berlin"
    assert one["options"]["full_page"] is False  # snake_case, with defaults
    one = api.get(f"/v1/ops/screenshots/schedules/{mine.pk}").json()
    assert api_doc.ScreenshotSchedule.model_validate(one).id == str(mine.pk)
    deleted = api.delete(f"/v1/ops/screenshots/schedules/{mine.pk}")
    assert deleted.status_code == 200
    api_doc.ScreenshotScheduleDeleted.model_validate(deleted.json())
    assert api.get(f"/v1/ops/screenshots/schedules/{mine.pk}").status_code == 404


def test_another_organizations_schedule_is_404(api, other_api, org):
    mine = _make(org)
    base = f"/v1/ops/screenshots/schedules/{mine.pk}"
    assert other_api.get(base).status_code == 404
    assert other_api.delete(base).status_code == 404
    assert other_api.delete(f"{base}/history").status_code == 404
    assert other_api.get("/v1/ops/screenshots/schedules").json()["count"] == 0
    assert other_api.get("/v1/ops/screenshots/history?target=https://example.com/"
                         ).json()["schedules"] == []
    assert ScreenshotSchedule.objects.filter(pk=mine.pk).exists()
    assert api.get("/v1/ops/screenshots/schedules/not-a-uuid").status_code == 404


def test_schedules_need_a_key(client):
    assert client.get("/v1/ops/screenshots/schedules").status_code == 401


def test_a_due_schedule_fires_once_across_two_claimers(org):
    schedule = _make(org)
    due = timezone.now() - timedelta(minutes=1)
    ScreenshotSchedule.objects.filter(pk=schedule.pk).update(next_capture_at=due)
    now = timezone.now()
    first, second = schedules.schedules_due(now), schedules.schedules_due(now)
    wins = [schedules.schedule_claim(first[0], now), schedules.schedule_claim(second[0], now)]
    assert wins == [True, False]
    assert ScreenshotSchedule.objects.get(pk=schedule.pk).next_capture_at > now


def test_firing_starts_an_ordinary_job_naming_the_schedule(org):
    schedule = _make(org, url="https://example.com/watch")
    ScreenshotSchedule.objects.filter(pk=schedule.pk).update(
        next_capture_at=timezone.now() - timedelta(seconds=5))
    started = schedules.schedules_fire_due()
    assert len(started) == 1
    assert schedules.schedules_fire_due() == []  # claimed: not due again until next time
    job = Job.objects.get(pk=started[0])
    assert job.metadata == {"source": "schedule", "schedule": str(schedule.pk)}
    assert job.params["url"] == "https://example.com/watch"


def test_disabled_schedules_do_not_fire(org):
    schedule = _make(org, enabled=False)
    ScreenshotSchedule.objects.filter(pk=schedule.pk).update(
        next_capture_at=timezone.now() - timedelta(seconds=5))
    assert schedules.schedules_fire_due() == []


def test_retention_change_and_history(api, org, shot_env, http_servers, capture_job):
    site = http_servers.start({"/": page("<h1>v1</h1>", title="Watched")})
    schedule = _make(org, url=site.url, retention_count=2)
    meta = {"source": "schedule", "schedule": str(schedule.pk)}
    body = {"url": site.url, "options": {"waitTime": 0, "width": 320, "height": 240}}
    first = capture_job(body, metadata=meta)
    second = capture_job(body, metadata=meta)
    assert second["change"] == {"scheduleId": str(schedule.pk), "distance": 0,
                                "changed": False,
                                "previousScreenshotId": first["screenshotId"]}
    site.routes["/"] = page("<div style='background:#fff;height:100px;width:200px'>"
                            "changed</div>", title="Watched")
    third = capture_job(body, metadata=meta)
    assert third["change"]["changed"] is True
    oldest = ScreenshotCapture.objects.filter(pk=first["screenshotId"])
    assert not oldest.exists()  # retention kept two
    left = ScreenshotCapture.objects.filter(schedule=schedule)
    assert {str(c.pk) for c in left} == {second["screenshotId"], third["screenshotId"]}
    assert ScreenshotSchedule.objects.get(pk=schedule.pk).capture_count == 3

    history = api.get(f"/v1/ops/screenshots/history?target={site.url}&limit=1").json()
    api_doc.ScreenshotHistory.model_validate(history)
    assert history["total_screenshots"] == 2 and history["limit"] == 1
    entry = history["schedules"][0]
    assert entry["schedule_id"] == str(schedule.pk)
    assert [s["url"] for s in entry["screenshots"]] == [third["url"]]
    assert {"url", "captured_at", "format", "dimensions", "file_size"} <= set(
        entry["screenshots"][0])
    assert api.get("/v1/ops/screenshots/history").status_code == 400
    assert api.get(f"/v1/ops/screenshots/history?target={site.url}&limit=0").status_code == 400

    files = [c.file for c in left]
    cleared = api.delete(f"/v1/ops/screenshots/schedules/{schedule.pk}/history").json()
    assert api_doc.ScreenshotHistoryCleared.model_validate(cleared).deleted == 2
    assert not ScreenshotCapture.objects.filter(schedule=schedule).exists()
    assert not any(artifact_storage().exists(name) for name in files)


def test_capture_with_schedule_creates_one(org, shot_env, http_servers, capture_job):
    site = http_servers.start({"/": page("x")})
    result = capture_job({"url": site.url, "options": {"waitTime": 0},
                          "schedule": {"frequency": "weekly"}})
    schedule = ScreenshotSchedule.objects.get(organization=org)
    assert schedule.frequency == "weekly" and schedule.capture_count == 1
    assert result["change"]["scheduleId"] == str(schedule.pk)


def test_the_scheduler_runs_every_minute(db):
    from django_q.models import Schedule

    task = Schedule.objects.get(func="jobs.operations.screenshot.schedules.fire_due_schedules")
    assert task.schedule_type == Schedule.MINUTES and task.minutes == 1 and task.repeats == -1


def test_next_run_follows_cron_in_its_time_zone(org):
    from datetime import datetime

    schedule = _make(org, cron="30 9 * * *", frequency=None, timezone="Europe/Berlin")
    after = datetime.fromisoformat("2026-07-01T12:00:00+00:00")  # 14:00 in Berlin (CEST)
    assert schedules.next_run(schedule, after).isoformat() == "2026-07-02T07:30:00+00:00"
