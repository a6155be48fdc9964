"""The dashboard pages: job result, galleries, compare and schedules; other orgs get 404."""

from jobs.models import Job, ScreenshotCapture, ScreenshotSchedule
from tests.operations.screenshot.conftest import page
from tests.servers.http_server import redirect


def _two_captures(http_servers, capture_job, **kwargs):
    site = http_servers.start({"/": page("<h1>One</h1>", title="One"),
                               "/go": redirect("/")})
    first = capture_job({"url": f"{site.url}/go", "options": {"waitTime": 0, "width": 320,
                                                              "height": 240}}, **kwargs)
    second = capture_job({"url": f"{site.url}/go", "options": {"waitTime": 0, "width": 320,
                                                               "height": 240}}, **kwargs)
    return first, second


def test_job_page_shows_image_facts_and_redirects(web, shot_env, http_servers, capture_job):
    first, second = _two_captures(http_servers, capture_job)
    job = Job.objects.get(pk=ScreenshotCapture.objects.get(pk=second["screenshotId"]).job_id)
    html = web.get(f"/jobs/{job.pk}/").content.decode()
    assert second["url"] in html  # the image
    assert f'{second["url"]}?download=1' in html
    assert "127.0.0.1" in html and "Redirect chain" in html and "/go" in html
    assert "Nothing was blocked." in html
    assert f"?a={second['screenshotId']}&amp;b={first['screenshotId']}" in html
    assert "Network log" in html


def test_gallery_target_and_compare(web, shot_env, http_servers, capture_job):
    first, second = _two_captures(http_servers, capture_job)
    gallery = web.get("/screenshots/").content.decode()
    assert "127.0.0.1" in gallery and "2 captures" in gallery
    target = web.get("/screenshots/target/127.0.0.1/").content.decode()
    assert first["url"] in target and second["url"] in target and "distance 0" in target
    compare = web.get(f"/screenshots/compare/?a={first['screenshotId']}"
                      f"&b={second['screenshotId']}").content.decode()
    assert "pHash distance 0 of 64" in compare


def test_empty_states(web):
    assert "No captures yet." in web.get("/screenshots/").content.decode()
    assert "No schedules yet." in web.get("/screenshots/schedules/").content.decode()
    assert web.get("/screenshots/target/nothing.example/").status_code == 404


def test_another_organizations_captures_are_404(web, shot_env, http_servers, capture_job,
                                                 other_org):
    first, second = _two_captures(http_servers, capture_job, organization=other_org)
    assert web.get("/screenshots/target/127.0.0.1/").status_code == 404
    assert web.get(f"/screenshots/compare/?a={first['screenshotId']}"
                   f"&b={second['screenshotId']}").status_code == 404
    assert web.get("/screenshots/compare/?a=x&b=y").status_code == 404
    assert "No captures yet." in web.get("/screenshots/").content.decode()


def test_schedules_create_pause_resume_delete(web, org, other_org):
    answer = web.post("/screenshots/schedules/", {"url": "https://example.com/",
                                                  "frequency": "hourly", "cron": "",
                                                  "timezone": "UTC", "retention_count": "7"})
    assert answer.status_code == 302
    schedule = ScreenshotSchedule.objects.get(organization=org)
    assert schedule.retention_count == 7 and schedule.frequency == "hourly"
    assert Job.objects.filter(metadata__schedule=str(schedule.pk)).count() == 1
    listing = web.get("/screenshots/schedules/").content.decode()
    assert "https://example.com/" in listing and "Pause" in listing
    web.post(f"/screenshots/schedules/{schedule.pk}/pause/")
    assert not ScreenshotSchedule.objects.get(pk=schedule.pk).enabled
    assert "paused" in web.get("/screenshots/schedules/").content.decode()
    web.post(f"/screenshots/schedules/{schedule.pk}/resume/")
    assert ScreenshotSchedule.objects.get(pk=schedule.pk).enabled
    web.post(f"/screenshots/schedules/{schedule.pk}/delete/")
    assert not ScreenshotSchedule.objects.filter(pk=schedule.pk).exists()


def test_schedule_form_errors_and_other_orgs(web, other_org):
    bad = web.post("/screenshots/schedules/", {"url": "http://10.0.0.1/", "frequency": "daily",
                                               "cron": "", "timezone": "UTC",
                                               "retention_count": "30"})
    assert bad.status_code == 400 and "10.0.0.1 is a private address" in bad.content.decode()
    bad_cron = web.post("/screenshots/schedules/", {"url": "https://example.com/",
                                                    "frequency": "daily", "cron": "nope",
                                                    "timezone": "UTC", "retention_count": ""})
    assert bad_cron.status_code == 400 and "cron" in bad_cron.content.decode()
    from jobs.operations.screenshot import schedules
    from jobs.operations.screenshot.params import ScheduleSpec

    theirs = schedules.schedule_create(organization_id=other_org.pk, url="https://x.example/",
                                       options={}, spec=ScheduleSpec(frequency="daily"))
    for action in ("pause", "resume", "delete"):
        assert web.post(f"/screenshots/schedules/{theirs.pk}/{action}/").status_code == 404
    assert "x.example" not in web.get("/screenshots/schedules/").content.decode()
