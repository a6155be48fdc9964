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
