"""The lookalike-domains result in headless Chromium: filtering and sorting in place."""

from __future__ import annotations

import csv
import io
import re

import pytest

from jobs.models import JobStatus
from tests.browser.conftest import LIVE_ENV, SCREENSHOTS, sign_in
from tests.factories import JobFactory
from tests.support.waiting import wait_for
from tests.web.test_similar_domains_view import TECHNIQUES, resolved_result

pytestmark = [pytest.mark.browser, pytest.mark.live_env(**LIVE_ENV)]

DESKTOP = {"width": 1280, "height": 1000}
PHONE = {"width": 390, "height": 844}



TABLE = "#table-lookalikes"


def cells(page, column: str) -> list[str]:
    return page.locator(f'{TABLE} td[data-column="{column}"]').all_inner_texts()


def names(page) -> list[str]:
    return page.locator(f"{TABLE} .lk-name").all_inner_texts()


def header(page, column: str):
    return page.locator(f'{TABLE} th[data-column="{column}"]')


def count_text(page) -> str:
    return page.locator(f"{TABLE} .rt-bar").inner_text()


def shot(page, name: str) -> None:
    """The result, scrolled to the top of the viewport (the whole table would be a
    5,000-pixel strip)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#result-heading").evaluate(
        "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 12)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_filter_and_sort_in_place(browser, live_service, account, problems):
    base = live_service.url
    job = JobFactory(organization=account["org"], type="similar_domains",
                     status=JobStatus.COMPLETED, target="example.com", result=resolved_result(),
                     params={"domain": "example.com", "techniques": TECHNIQUES, "limit": 100})
    url = f"{base}/jobs/{job.pk}/"
    page = problems.watch(browser.new_context(viewport=DESKTOP).new_page())
    sign_in(page, base, account)
    page.goto(url)
    assert page.locator(f"{TABLE} tbody tr").count() == 100
    assert "3 of" in page.locator(".lk-dns").inner_text()
    assert page.locator(".lk-capped").count() == 3  # every technique reached the limit
    shot(page, "similar-domains-summary")
    page.evaluate("window.__samePage = true")

    # Filtering by technique swaps the table and puts the filter in the address.
    page.get_by_label("Technique").select_option("homoglyph")
    wait_for(lambda: {c.split()[0] for c in cells(page, "technique")} == {"homoglyph"})
    wait_for(lambda: page.evaluate("location.href").endswith(
        "?lookalikes-f-technique=homoglyph"))
    assert page.locator(".lk-puny").first.inner_text().startswith("xn--")

    # Sorting by a column header, then the other way.
    header(page, "domain").get_by_role("link").click()
    wait_for(lambda: header(page, "domain").get_attribute("aria-sort") == "ascending")
    header(page, "domain").get_by_role("link").click()
    wait_for(lambda: header(page, "domain").get_attribute("aria-sort") == "descending")
    assert {c.split()[0] for c in cells(page, "technique")} == {"homoglyph"}, "kept the filter"
    assert page.evaluate("location.href").endswith(
        "?lookalikes-sort=-domain&lookalikes-f-technique=homoglyph")

    # Registered only, then every technique with the registered ones first.
    page.get_by_label("Registered", exact=True).select_option("registered")
    wait_for(lambda: page.locator(f"{TABLE} tbody tr").count() == 1)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert len(rows) == 1 and rows[0]["technique"] == "homoglyph"
    page.get_by_role("link", name="Clear").first.click()
    wait_for(lambda: page.locator(f"{TABLE} tbody tr").count() == 100)
    header(page, "registered").get_by_role("link").click()
    wait_for(lambda: cells(page, "registered")[:4] == ["Registered"] * 3
             + ["Unknown (SERVFAIL)"])

    # The next page keeps the order, and the page is never reloaded.
    page.get_by_role("link", name="Next →").click()
    wait_for(lambda: "Showing 101–200" in count_text(page))
    assert page.evaluate("window.__samePage") is True, "the page was reloaded"
    page.get_by_role("link", name="← Previous").click()
    wait_for(lambda: "Showing 1–100" in count_text(page))
    shot(page, "similar-domains-result")

    # A phone gets stacked rows and no sideways scrolling.
    phone = problems.watch(browser.new_context(viewport=PHONE).new_page())
    sign_in(phone, base, account)
    phone.goto(f"{url}?lookalikes-sort=registered")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "similar-domains-result-phone")


def test_filters_work_without_javascript(browser, live_service, account, problems):
    base = live_service.url
    job = JobFactory(organization=account["org"], type="similar_domains",
                     status=JobStatus.COMPLETED, target="example.com", result=resolved_result())
    page = problems.watch(browser.new_context(viewport=DESKTOP,
                                              java_script_enabled=False).new_page())
    sign_in(page, base, account)
    page.goto(f"{base}/jobs/{job.pk}/")
    page.get_by_label("Technique").select_option("tld_variation")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"\?lookalikes-q=&lookalikes-f-technique=tld_variation"
                                 r"&lookalikes-f-registered=#table-lookalikes$"))
    assert {c.split()[0] for c in cells(page, "technique")} == {"tld_variation"}
    header(page, "fuzzer").get_by_role("link").click()
    page.wait_for_url(re.compile(r"\?lookalikes-sort=fuzzer&lookalikes-f-technique="
                                 r"tld_variation#table-lookalikes$"))
    fuzzers = cells(page, "fuzzer")
    assert fuzzers == sorted(fuzzers)
