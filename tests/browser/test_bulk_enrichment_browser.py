"""Bulk enrichment in headless Chromium: upload a CSV, check it, start, read the result."""

from __future__ import annotations

import pytest

from tests.browser.conftest import LIVE_ENV, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live_env(**LIVE_ENV)]

CSV = ("case,observable\n1,8.8.8.8\n2,1.1.1[.]1\n3,hxxp://evil[.]example/login\n"
       "4,2001:4860:4860::8888\n5,user[@]example.com\n6,not an indicator\n"
       "7,d41d8cd98f00b204e9800998ecf8427e\n")


def test_upload_check_start_and_read(browser, live_service, account, problems, tmp_path):
    base = live_service.url
    page = problems.watch(browser.new_context(viewport={"width": 1280, "height": 900}).new_page())
    sign_in(page, base, account)
    page.goto(f"{base}/jobs/new/bulk_enrichment/")
    assert page.locator('[name="options.batch_size"]').count() == 1
    screenshot(page, "bulk-enrichment-form")
    page.goto(f"{base}/jobs/new/bulk_enrichment/upload/")
    screenshot(page, "bulk-enrichment-upload")
    path = tmp_path / "case.csv"
    path.write_text(CSV)
    page.set_input_files("#be-file", str(path))
    page.get_by_role("button", name="Check the list").click()
    page.wait_for_selector(".be-preview")
    assert "Found 7 entries in column 2" in page.inner_text(".be-preview")
    screenshot(page, "bulk-enrichment-preview")
    page.get_by_role("button", name="Start the job").click()
    page.wait_for_selector("#table-indicators", timeout=60_000)
    assert "GOOGLE" in page.inner_text(".be-summary")
    screenshot(page, "bulk-enrichment-result")
    page.fill("#be-indicator", "8.8.8.8")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector(".be-sections")
    assert "8.8.8.0/24" in page.inner_text(".be-sections")
    screenshot(page, "bulk-enrichment-detail")
