"""Website screenshots end to end in headless Chromium: capture through the form, look at
the result, zoom, the gallery, compare and schedules, with a real worker doing the work."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jobs.models import Job, JobStatus
from tests.browser.conftest import LIVE_ENV, screenshot, sign_in
from tests.servers.http_server import Reply
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.live_env(**LIVE_ENV)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
BANK = """<!doctype html><html><head><title>Acme Bank · Sign in</title></head>
<body style="margin:0;font-family:sans-serif;background:#eef2ff">
<header style="background:#1e3a8a;color:#fff;padding:24px 40px;font-size:28px">Acme Bank</header>
<main style="max-width:420px;margin:60px auto;background:#fff;padding:32px;border-radius:12px">
<h1 style="margin-top:0">Sign in</h1><p>Customer number</p>
<div style="border:1px solid #94a3b8;height:36px;border-radius:6px"></div><p>Password</p>
<div style="border:1px solid #94a3b8;height:36px;border-radius:6px"></div>
<div style="margin-top:24px;background:#1d4ed8;color:#fff;padding:12px;text-align:center;
border-radius:6px">Continue</div><img src="CANARY/pixel.gif" alt=""></main>
</body></html>"""


def _capture(page, base: str, url: str) -> Job:
    page.goto(f"{base}/jobs/new/screenshot/")
    page.get_by_label("Url").fill(url)
    page.get_by_label("Width").fill("1024")
    page.get_by_label("Height").fill("700")
    page.get_by_label("Wait time").fill("0")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(f"{base}/jobs/*/")
    job_id = page.url.rstrip("/").rsplit("/", 1)[1]
    wait_for(lambda: Job.objects.get(pk=job_id).status not in ("PENDING", "PROCESSING"),
             timeout=60)
    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.COMPLETED, (job.error_code, job.error_message)
    page.reload()
    return job


@pytest.fixture
def bank_site(dns_zone, settings, http_servers):
    """A page on 127.0.0.1 with an image on 127.0.0.2 (refused: the canary stays untouched)."""
    import ipaddress

    settings.ALLOWED_TARGET_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    canary = http_servers.start({}, host="127.0.0.2")
    html = [("Content-Type", "text/html; charset=utf-8")]
    yield http_servers.start({"/": Reply(200, html, BANK.replace("CANARY", canary.url))})
    assert canary.connections == 0


def test_capture_view_zoom_gallery_compare(bank_site, browser, live_service, account,
                                           problems):
    base = live_service.url
    page = problems.watch(browser.new_context(viewport=DESKTOP).new_page())
    sign_in(page, base, account)
    first = _capture(page, base, f"{bank_site.url}/")
    image = page.locator(".shot-viewer img")
    image.scroll_into_view_if_needed()
    wait_for(lambda: image.evaluate("img => img.complete && img.naturalWidth") == 1024)
    screenshot(page, "screenshot-job")
    assert "Acme Bank" in page.locator(".shot-facts").inner_text()
    assert page.locator("#blocked-h + .table-wrap").inner_text().count("127.0.0.2") >= 1
    screenshot(page, "screenshot-job")
    image.click()
    assert page.locator("#shot-zoom").is_checked()
    page.screenshot(path=str(screenshot(page, "screenshot-job").with_name(
        "screenshot-job-zoomed.png")))

    second = _capture(page, base, f"{bank_site.url}/")
    page.get_by_role("link", name="Compare").first.click()
    page.wait_for_url(f"{base}/screenshots/compare/*")
    assert "pHash distance 0 of 64" in page.content()
    wait_for(lambda: page.locator(".shot-compare img").evaluate_all(
        "imgs => imgs.every(i => i.complete && i.naturalWidth > 0)"))
    screenshot(page, "screenshot-compare")

    page.goto(f"{base}/screenshots/")
    assert "2 captures" in page.content()
    screenshot(page, "screenshot-gallery")
    page.get_by_role("link", name="127.0.0.1", exact=True).click()
    wait_for(lambda: page.locator(".shot-card img").count() == 2)
    screenshot(page, "screenshot-target")
    assert {str(first.pk), str(second.pk)} <= {
        a.get_attribute("href").strip("/").rsplit("/", 1)[1]
        for a in page.get_by_role("link", name="Open").all()}


def test_schedules_page(bank_site, browser, live_service, account, problems):
    base = live_service.url
    page = problems.watch(browser.new_context(viewport=DESKTOP).new_page())
    sign_in(page, base, account)
    page.goto(f"{base}/screenshots/schedules/")
    assert "No schedules yet." in page.content()
    page.get_by_label("Page URL").fill(f"{bank_site.url}/")
    page.get_by_label("Frequency").select_option("every_6_hours")
    page.get_by_label("Captures kept").fill("10")
    page.get_by_role("button", name="Create and capture now").click()
    page.wait_for_url(f"{base}/screenshots/schedules/")
    assert "every_6_hours" in page.content() and "0 / 10" in page.content()
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("table")).to_contain_text("paused")  # waits for the new page
    screenshot(page, "screenshot-schedules")
    phone = problems.watch(browser.new_context(viewport=PHONE).new_page())
    sign_in(phone, base, account)
    phone.goto(f"{base}/screenshots/schedules/")
    screenshot(phone, "screenshot-schedules-phone")
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()  # resumed
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("body")).to_contain_text("No schedules yet.")
