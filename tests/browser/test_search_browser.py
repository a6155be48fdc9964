"""Registration search in headless Chromium: a query, its results, a record's pivots and
the staff import page."""

from __future__ import annotations

import pytest

from jobs.registrations import normalize
from jobs.registrations.store import registrations_upsert
from tests.browser.conftest import LIVE_ENV, screenshot, sign_in
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.live_env(**LIVE_ENV)]

DESKTOP = {"width": 1280, "height": 1000}


def _records():
    rows = [{"domain": f"{word}-login.com", "registrantEmail": "owner@bad.example",
             "registrantName": "Mallory Mal", "registrantCompany": "Bad Actors Ltd",
             "registrantCountry": "PA", "registrarName": "Evil Registrar, Inc.",
             "nameServers": "ns1.evil-dns.net|ns2.evil-dns.net",
             "createdDate": f"2024-05-0{i}", "expiryDate": "2025-05-01"}
            for i, word in enumerate(["paypal", "apple", "bank"], 1)]
    registrations_upsert([normalize.record(r) for r in rows], organization_id=None,
                         source="import")
    registrations_upsert([normalize.record({**rows[0], "registrarName": "Other Registrar"})],
                         organization_id=None, source="whois")


def test_search_results_record_and_import(browser, live_service, account, problems, tmp_path):
    _records()
    base = live_service.url
    page = problems.watch(browser.new_context(viewport=DESKTOP).new_page())
    sign_in(page, base, account)

    page.goto(f"{base}/jobs/new/search/")
    page.locator("#field-query").fill('registrantCompany:"bad actors*" nameServer:*.evil-dns.net')
    screenshot(page, "search-form")
    page.locator("form button[type=submit]").last.click()
    wait_for(lambda: "matching domain" in page.content(), timeout=30)
    assert "3 matching domains" in page.content()
    screenshot(page, "search-results")

    page.locator("details.record-links-box summary").click()
    page.get_by_role("link", name="paypal-login.com").click()
    page.wait_for_selector("#pivot-h")
    assert "Same registrant e-mail" in page.content()
    assert "Other Registrar" in page.content()
    screenshot(page, "search-record")

    account["user"].is_staff = True
    account["user"].save()
    feed = tmp_path / "feed.csv"
    feed.write_text("domain_name,registrant_email\nnew-one.com,a@b.com\nnot a domain,x@y.z\n")
    page.goto(f"{base}/registrations/import/")
    page.locator("#import-file").set_input_files(str(feed))
    page.get_by_role("button", name="Import").click()
    wait_for(lambda: "inserted 1" in page.content(), timeout=30)
    screenshot(page, "search-import")
