"""Webhooks pages and the job page following its event stream, in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jobs import lifecycle
from jobs.models import WebhookEndpoint
from tests.browser.conftest import LIVE_ENV, screenshot, sign_in
from tests.push.helpers import complete, running_job

# The job page test moves a hand-made "running" job itself: the live worker's reaper must
# not take it back as lost while a slow machine answers.
pytestmark = [pytest.mark.browser,
              pytest.mark.live_env(**LIVE_ENV, JOB_LOST_AFTER_SECONDS="600")]


def test_webhooks_pages(browser, live_service, account, problems):
    base = live_service.url
    page = problems.watch(browser.new_context(viewport={"width": 1280, "height": 900})
                          .new_page())
    sign_in(page, base, account)
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_text("No endpoints yet")).to_be_visible()
    page.get_by_label("URL").fill("https://hooks.example.com/secops")
    page.get_by_label("Description").fill("SIEM intake")
    page.get_by_role("button", name="Add endpoint").click()
    endpoint = WebhookEndpoint.objects.get()
    expect(page.locator("#new-secret")).to_have_value(endpoint.secret)
    screenshot(page, "webhooks-created")
    page.get_by_role("link", name="https://hooks.example.com/secops").click()
    page.get_by_role("button", name="Rotate secret").click()
    endpoint.refresh_from_db()
    expect(page.locator("#new-secret")).to_have_value(endpoint.secret)
    screenshot(page, "webhook-endpoint")


def test_job_page_follows_the_stream(browser, live_service, account, problems):
    base = live_service.url
    job = running_job(account["org"])
    page = problems.watch(browser.new_context(viewport={"width": 1280, "height": 900})
                          .new_page())
    sign_in(page, base, account)
    page.goto(f"{base}/jobs/{job.pk}/")
    # The stream's first update replaces the polling element with one that does not poll.
    expect(page.locator("#job-stream #job-live:not([hx-trigger])")).to_have_count(1)
    lifecycle.job_report_progress(job_id=job.pk, worker="w", current=3, total=4,
                                  message="Three of four")
    expect(page.locator("#job-live .pct")).to_have_text("75%", timeout=3000)
    screenshot(page, "job-streaming")
    complete(job)
    expect(page.locator("#job-live")).to_have_attribute("data-status", "COMPLETED",
                                                        timeout=3000)
    screenshot(page, "job-streamed-to-the-end")
