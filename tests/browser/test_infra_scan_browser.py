"""The infrastructure-scan result in headless Chromium, at desktop and phone widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LIVE_ENV, screenshot, sign_in
from tests.web.test_infra_scan_view import scan_job, scan_result

pytestmark = [pytest.mark.browser, pytest.mark.live_env(**LIVE_ENV)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SECTIONS = ["findings", "dns", "subdomains", "ssl", "ports", "technologies", "whois",
            "vulnerabilities"]


def test_completed_scan_reads_well_on_desktop_and_phone(browser, live_service, account,
                                                        problems):
    base = live_service.url
    result = scan_result(whois={"error": "no WHOIS server answered (whois.example: "
                                         "connection refused)"})
    job = scan_job(account["org"], result)
    url = f"{base}/jobs/{job.pk}/"

    page = problems.watch(browser.new_context(viewport=DESKTOP).new_page())
    sign_in(page, base, account)
    page.goto(url)
    report = page.locator("#infra-report")
    assert report.locator(".is-risk-words").inner_text() == "High risk"
    assert report.locator(".is-risk-score strong").inner_text() == str(
        result["summary"]["riskScore"])
    for key in SECTIONS:
        assert page.locator(f"#is-{key}").is_visible(), key
    badges = report.locator("#is-findings .is-finding .is-sev").all_inner_texts()
    assert [b.lower() for b in badges[:2]] == ["critical", "critical"]
    assert badges[-1].lower() == "info"
    assert "Not testable here" in page.locator("#is-ssl").inner_text()
    whois = page.locator("#is-whois")
    assert "This check could not be completed." in whois.inner_text()
    # The table of contents jumps to a section.
    page.locator(".is-toc").get_by_role("link", name="Open ports").click()
    page.wait_for_url(f"{url}#is-ports")
    screenshot(page, "infra-scan-result")

    phone = problems.watch(browser.new_context(viewport=PHONE).new_page())
    sign_in(phone, base, account)
    phone.goto(url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Stacked table rows keep their labels.
    cell = phone.locator("#is-ports td[data-label='Banner']").first
    assert phone.evaluate("e => getComputedStyle(e, '::before').content", cell.element_handle()) \
        == '"Banner"'
    screenshot(phone, "infra-scan-result-phone")


def test_a_proxy_crowd_is_one_row_and_tables_sort_in_place(browser, live_service, account,
                                                          problems):
    ports = [{"port": p, "protocol": "tcp", "state": "open", "service": None,
              "banner": "HTTP/1.1 403 Forbidden"} for p in range(8000, 8300)]
    ports += [{"port": 22, "protocol": "tcp", "state": "open", "service": "ssh",
               "banner": "SSH-2.0-OpenSSH_9.6"},
              {"port": 6379, "protocol": "tcp", "state": "open", "service": "redis",
               "banner": "+PONG"}]
    job = scan_job(account["org"], scan_result("ports", ports=ports))
    page = problems.watch(browser.new_context(viewport=DESKTOP).new_page())
    sign_in(page, live_service.url, account)
    page.goto(f"{live_service.url}/jobs/{job.pk}/#is-ports")
    section = page.locator("#is-ports")
    assert "300 of them gave the same answer" in section.inner_text()
    rows = section.locator("tbody tr")
    assert rows.count() == 3
    assert "same answer on 300 ports (8000-8299)" in rows.nth(2).inner_text()
    # Sorting by port, descending, swaps the table in place (htmx), no page load.
    header = section.locator("th", has_text="Port").first
    for order in ("ascending", "descending"):
        header.get_by_role("link").click()
        # Locator assertions, not wait_for_function: the page's CSP allows no eval.
        expect(page.locator(f"#is-ports th[aria-sort='{order}']")).to_have_count(1)
    expect(page.locator("#is-ports tbody tr").first).to_contain_text("same answer")
    assert "6379" in rows.nth(1).inner_text() and "22" in rows.nth(2).inner_text()
    screenshot(page, "infra-scan-port-crowd")
