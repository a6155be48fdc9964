"""Headless Chromium (Debian's, through Playwright's Python package) against a live service."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
STATIC_ROOT = ARTIFACTS / "static"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery"

# Every browser test talks to a service started with these settings (see live_service).
LIVE_ENV = {"DJANGO_SETTINGS_MODULE": "tests.browser.settings",
            "BROWSER_STATIC_ROOT": str(STATIC_ROOT)}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("browser") and not Path(CHROMIUM).exists():
            item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is not installed"))


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    """collectstatic into the folder the live service serves from (before it starts)."""
    env = {**os.environ, **LIVE_ENV}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--clear", "-v0"],
                   cwd=ROOT, env=env, check=True)
    return STATIC_ROOT


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests
    # make between browser steps are plain synchronous ones.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


class Problems(list):
    """Console errors and uncaught page errors seen by a page."""

    def watch(self, page):
        page.on("console", lambda msg: msg.type == "error" and self.append(
            f"console: {msg.text} ({msg.location.get('url', '')})"))
        page.on("pageerror", lambda exc: self.append(f"page error: {exc}"))
        return page


@pytest.fixture
def problems():
    found = Problems()
    yield found
    assert not found, "the browser reported errors:\n" + "\n".join(found)


@pytest.fixture
def account(transactional_db):
    """A user in organization "acme" (committed, so the live service sees it)."""
    org = OrganizationFactory(name="acme")
    user = UserFactory(username="alice")
    MembershipFactory(user=user, organization=org)
    return {"org": org, "user": user, "username": "alice", "password": PASSWORD}


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, base_url: str, account: dict) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(account["username"])
    page.get_by_label("Password").fill(account["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")
