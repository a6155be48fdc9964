"""The dashboard in headless Chromium against a real web server and a real worker."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from jobs.models import ApiKey, Job, JobStatus
from tests.browser.conftest import LIVE_ENV, SCREENSHOTS, screenshot, sign_in
from tests.factories import JobFactory
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.live_env(**LIVE_ENV)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def new_page(browser, problems, **options):
    context = browser.new_context(**{"viewport": DESKTOP, **options})
    return problems.watch(context.new_page())


def percent(page) -> int:
    return int(page.locator("#job-live .pct").inner_text().rstrip("%"))


def status_text(page) -> str:
    return page.locator("#job-live .status").inner_text().strip()


def address(page) -> str:
    """The address bar, including what htmx pushed into the history."""
    return page.evaluate("location.href")



def test_live_dashboard(browser, live_service, account, problems):
    base = live_service.url
    page = new_page(browser, problems)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)

    # Anonymous visitors land on the sign-in page.
    page.goto(f"{base}/")
    assert "/login/" in page.url
    assert page.title() == "Sign in · SecOps Jobs"
    screenshot(page, "sign-in")
    sign_in(page, base, account)
    assert page.get_by_role("heading", name="Overview").is_visible()

    # The form shows the API's own validation messages next to the fields.
    page.goto(f"{base}/jobs/new/test_sleep/")
    page.get_by_label("Steps").fill("0")
    page.get_by_label("Seconds").fill("9999")
    page.get_by_role("button", name="Start job").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert "Input should be greater than or equal to 1" in page.locator(
        "#field-steps-error").inner_text()
    assert "Input should be less than or equal to 600" in page.locator(
        "#field-seconds-error").inner_text()
    assert Job.objects.count() == 0
    screenshot(page, "new-job-errors")

    # A valid submission lands on the job's page, which follows the job to its end.
    page.get_by_label("Seconds").fill("5")
    page.get_by_label("Steps").fill("5")
    page.get_by_label("Target").fill("browser-check")
    page.get_by_role("button", name="Start job").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
    job = Job.objects.get()
    assert (job.type, job.target, job.username) == ("test_sleep", "browser-check", "alice")
    assert job.metadata == {"source": "dashboard"}
    page.evaluate("window.__samePage = true")
    polls = []
    page.on("request", lambda req: "/progress/" in req.url and polls.append(time.monotonic()))

    seen = set()
    shot_running = False

    def finished():
        seen.add(percent(page))
        nonlocal shot_running
        if not shot_running and status_text(page) == "Running" and 0 < percent(page) < 100:
            screenshot(page, "job-detail-running")
            shot_running = True
        return status_text(page) == "Completed"

    wait_for(finished, timeout=30)
    assert any(0 < value < 100 for value in seen), seen
    assert percent(page) == 100
    assert page.evaluate("window.__samePage") is True, "the page was reloaded"
    assert shot_running
    result = page.locator(".json-tree").inner_text()
    assert "slept" in result and "steps" in result
    assert page.get_by_role("link", name="Download JSON").is_visible()
    assert not page.get_by_role("button", name="Cancel job").is_visible()
    # The server answered 286 with the final state: no more polling.
    ended = time.monotonic()
    time.sleep(2.5)
    assert not [t for t in polls if t > ended + 0.2]
    screenshot(page, "job-detail-finished")

    # A long job can be cancelled from its page while it runs.
    page.goto(f"{base}/jobs/new/test_sleep/")
    page.get_by_label("Seconds").fill("60")
    page.get_by_label("Steps").fill("60")
    page.get_by_label("Target").fill("long-one")
    page.get_by_role("button", name="Start job").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
    long_job = Job.objects.get(target="long-one")

    # Meanwhile the overview and the list show it running.
    wait_for(lambda: Job.objects.get(pk=long_job.pk).status == JobStatus.PROCESSING)
    page.goto(f"{base}/")
    page.evaluate("window.__samePage = true")
    row = page.locator(f"#job-{long_job.pk}")
    assert row.locator(".status").inner_text().strip() == "Running"
    caption = row.locator(".progress-caption")
    first = caption.inner_text()
    wait_for(lambda: caption.inner_text() != first, timeout=10)  # the overview refreshed
    assert page.evaluate("window.__samePage") is True
    screenshot(page, "home")
    list_polls = []
    page.on("request", lambda req: "/jobs/" in req.url and req.headers.get("hx-request")
             and list_polls.append(req.url))
    page.goto(f"{base}/jobs/")
    assert page.locator(".job-row").count() == 2
    assert page.get_by_role("link", name="long-one").is_visible()  # the target is the link
    caption = page.locator(f"#job-{long_job.pk} .progress-caption")
    first = caption.inner_text()
    wait_for(lambda: caption.inner_text() != first, timeout=10)  # the table refreshed
    # One poll for the whole table, and a job started elsewhere shows up in it.
    assert all(url.endswith("/jobs/") for url in list_polls), list_polls
    JobFactory(organization=account["org"], status=JobStatus.PENDING, target="from-the-api")
    wait_for(lambda: page.locator(".job-row").count() == 3, timeout=10)
    screenshot(page, "jobs-list")
    Job.objects.filter(target="from-the-api").delete()

    page.goto(f"{base}/jobs/{long_job.pk}/")
    wait_for(lambda: status_text(page) == "Running" and percent(page) > 0)
    page.evaluate("window.__samePage = true")
    page.get_by_role("button", name="Cancel job").click()
    wait_for(lambda: status_text(page) == "Cancelled", timeout=10)
    assert page.evaluate("window.__samePage") is True
    expect(page.get_by_role("heading", name="This job was cancelled")).to_be_visible()
    assert Job.objects.get(pk=long_job.pk).status == JobStatus.CANCELLED

    # API keys: the new key is shown once, with a copy button and a curl example.
    page.goto(f"{base}/keys/")
    page.get_by_label("Key name").fill("laptop")
    page.get_by_role("button", name="Create key").click()
    raw = page.locator("#new-key").input_value()
    assert raw.startswith("sok_")
    assert f"Bearer {raw}" in page.locator("#curl-example").inner_text()
    assert ApiKey.objects.get(name="laptop").prefix == raw[:12]
    page.get_by_role("button", name="Copy", exact=True).click()
    wait_for(lambda: "Copied" in page.locator(".copy-status").inner_text())
    screenshot(page, "api-keys-created")
    # Reloading the page shown after creating neither shows the key again nor makes another.
    page.reload()
    expect(page.locator("#new-key")).to_have_count(0)
    assert ApiKey.objects.filter(name="laptop").count() == 1

    # Revoking asks first, then updates the row in place.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".key-row", has_text="laptop").get_by_role("button", name="Revoke").click()
    wait_for(lambda: "Revoked" in page.locator(".key-row", has_text="laptop").inner_text())
    assert not ApiKey.objects.get(name="laptop").is_active

    # The list filters in place.
    page.goto(f"{base}/jobs/")
    page.evaluate("window.__samePage = true")
    page.get_by_label("Target").fill("long")
    wait_for(lambda: page.locator(".job-row").count() == 1)
    wait_for(lambda: address(page).endswith("/jobs/?q=long"))
    page.get_by_label("Target").fill("")
    page.get_by_label("Status").select_option("COMPLETED")
    wait_for(lambda: address(page).endswith("/jobs/?status=COMPLETED")
             and page.locator(".job-row").count() == 1)
    assert page.locator(".job-row .status").inner_text().strip() == "Completed"
    assert page.evaluate("window.__samePage") is True

    # Phone width: the same pages, laid out for a narrow screen.
    phone = new_page(browser, problems, viewport=PHONE)
    sign_in(phone, base, account)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "phone-home")
    phone.goto(f"{base}/jobs/{job.pk}/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "phone-job-detail")


def test_works_without_javascript(browser, live_service, account, problems):
    base = live_service.url
    page = new_page(browser, problems, java_script_enabled=False)
    sign_in(page, base, account)

    page.goto(f"{base}/jobs/new/test_sleep/")
    page.get_by_label("Seconds").fill("30")
    page.get_by_label("Steps").fill("30")
    page.get_by_role("button", name="Start job").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
    expect(page.get_by_text("Test sleep started.")).to_be_visible()
    first_page = page.url

    # Each button posts and the server redirects (no script to update the page in place),
    # so wait for the flash message the next page carries, not for the address.
    page.get_by_role("button", name="Cancel job").click()
    expect(page.get_by_text("Job cancelled.")).to_be_visible()
    assert status_text(page) == "Cancelled"

    page.get_by_role("button", name="Run again").click()
    page.wait_for_url(lambda url: url != first_page and re.search(r"/jobs/[0-9a-f-]{36}/$", url))
    assert Job.objects.count() == 2

    page.goto(f"{base}/jobs/")
    page.get_by_label("Status").select_option("CANCELLED")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"status=CANCELLED"))
    expect(page.locator(".job-row")).to_have_count(1)


def test_lists_show_targets_safely_and_running_jobs_first(browser, live_service, account,
                                                          problems):
    """A homoglyph target shows its punycode and a warning; running jobs come before the
    ones waiting, with how many more there are; finished ones say what they found."""
    from tests.web.test_similar_domains_view import resolved_result

    org = account["org"]
    homoglyph = "p\u0430ypal.com"
    JobFactory(organization=org, type="similar_domains", status=JobStatus.COMPLETED,
               target=homoglyph, result=resolved_result())
    JobFactory(organization=org, type="test_sleep", status=JobStatus.PROCESSING,
               target="busy.example", progress_current=3, progress_total=10,
               progress_message="Step 3 of 10")
    JobFactory.create_batch(9, organization=org, type="test_sleep", status=JobStatus.PENDING,
                            target="queued.example")
    page = new_page(browser, problems)
    sign_in(page, live_service.url, account)
    active = page.locator("#active-heading + .table-wrap .job-row")
    assert active.first.get_attribute("data-status") == "PROCESSING"
    assert "+2 more" in page.locator(".more-jobs").inner_text()
    recent = page.locator("#recent-heading").locator("xpath=../..").locator(".job-row")
    assert "xn--pypal-4ve.com" in recent.first.inner_text()
    assert "Mixed scripts" in recent.first.inner_text()
    assert "registered (limit reached)" in recent.first.inner_text()
    screenshot(page, "home-homoglyph")
    page.goto(f"{live_service.url}/jobs/")
    expect(page.get_by_role("link", name=re.compile("xn--pypal-4ve.com"))).to_be_visible()
    screenshot(page, "jobs-list-homoglyph")
    page.get_by_role("link", name=re.compile("xn--pypal-4ve.com")).click()
    # The click starts a navigation; wait for the new document rather than read the title
    # of whichever page happens to be loaded at that instant.
    expect(page).to_have_title(
        re.compile(r"^Lookalike domains · xn--pypal-4ve\.com \(mixed scripts\)"))
    page.screenshot(path=str(SCREENSHOTS / "job-detail-homoglyph.png"))  # the top only
