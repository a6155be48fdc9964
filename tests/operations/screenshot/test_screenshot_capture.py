import pytest

from tests.operations.screenshot.conftest import page


def test_captures_a_page_with_its_facts(shot_env, http_servers, capture_job):
    site = http_servers.start({"/": page("<h1>Hello</h1>", title="Hello page")})
    result = capture_job({"url": f"{site.url}/", "options": {"width": 800, "height": 600,
                                                             "waitTime": 0}})
    assert result["title"] == "Hello page"
    assert result["dimensions"] == "800x600"
    assert result["httpStatus"] == 200
    assert result["serverIp"] == "127.0.0.1"
    assert result["format"] == "png"
    assert result["fileSize"] > 0
    assert result["url"].startswith("/v1/ops/screenshots/image/")


class RefusingPage:
    """Stands in for a Playwright page whose Chromium refuses the first ``refusals``
    captures with ``error`` (the browser side of this cannot be provoked on demand)."""

    def __init__(self, refusals: int, error: str):
        self.refusals, self.error, self.calls = refusals, error, []

    async def screenshot(self, **options):
        from playwright.async_api import Error

        self.calls.append(options)
        if len(self.calls) <= self.refusals:
            raise Error(self.error)
        return b"png"


REFUSED = "Protocol error (Page.captureScreenshot): Unable to capture screenshot"


def test_a_capture_chromium_refuses_once_is_tried_again_with_the_same_options():
    import asyncio

    from jobs.operations.screenshot.capture import screenshot

    page = RefusingPage(1, REFUSED)
    assert asyncio.run(screenshot(page, type="png", timeout=5000)) == b"png"
    assert page.calls == [{"type": "png", "timeout": 5000}] * 2


def test_a_capture_refused_twice_or_failing_otherwise_is_not_tried_again():
    import asyncio

    from playwright.async_api import Error

    from jobs.operations.screenshot.capture import screenshot

    twice = RefusingPage(2, REFUSED)
    with pytest.raises(Error, match="Unable to capture screenshot"):
        asyncio.run(screenshot(twice, type="png"))
    assert len(twice.calls) == 2
    crashed = RefusingPage(1, "Target crashed")
    with pytest.raises(Error, match="Target crashed"):
        asyncio.run(screenshot(crashed, type="png"))
    assert len(crashed.calls) == 1
