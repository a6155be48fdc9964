"""Capture options honoured, against loopback HTTP and HTTPS servers."""

import io

from PIL import Image

from jobs.artifacts import artifact_storage
from jobs.models import ScreenshotCapture
from tests.operations.screenshot.conftest import page
from tests.servers.certs import server_context

JS_PAGE = ("<noscript><h1 id='ns'>Scripts are off</h1></noscript>"
           "<script>document.title = 'Scripts ran';</script>")
COOKIE_PAGE = ("<div id='banner' style='position:fixed;bottom:0;width:100%;background:#fff'>"
               "We use cookies <button id='onetrust-accept-btn-handler' "
               "onclick=\"document.title='accepted';"
               "document.getElementById('banner').remove()\">Accept</button></div>")


def _image(result) -> Image.Image:
    capture = ScreenshotCapture.objects.get(pk=result["screenshotId"])
    with artifact_storage().open(capture.file, "rb") as handle:
        return Image.open(io.BytesIO(handle.read()))


def test_viewport_size(shot_env, http_servers, capture_job):
    site = http_servers.start({"/": page("x")})
    result = capture_job({"url": site.url, "options": {"width": 640, "height": 480,
                                                       "waitTime": 0}})
    assert result["dimensions"] == "640x480"
    assert _image(result).size == (640, 480)


def test_full_page_and_its_height_cap(shot_env, settings, http_servers, capture_job):
    site = http_servers.start({"/": page("<div style='height:2500px'>tall</div>")})
    body = {"url": site.url, "options": {"width": 400, "height": 300, "fullPage": True,
                                         "waitTime": 0}}
    result = capture_job(body)
    assert result["dimensions"] == "400x2500" and not result["truncated"]
    settings.SCREENSHOT_MAX_HEIGHT = 1000
    capped = capture_job(body)
    assert capped["dimensions"] == "400x1000" and capped["truncated"]


def test_formats_are_converted(shot_env, http_servers, capture_job):
    site = http_servers.start({"/": page("x")})
    for fmt, pil in (("jpeg", "JPEG"), ("webp", "WEBP"), ("png", "PNG")):
        result = capture_job({"url": site.url, "options": {
            "format": fmt, "quality": 50, "width": 320, "height": 240, "waitTime": 0}})
        assert result["format"] == fmt
        image = _image(result)
        assert image.format == pil and image.size == (320, 240)


def test_javascript_off_shows_the_noscript_page(shot_env, http_servers, capture_job):
    site = http_servers.start({"/": page(JS_PAGE, title="Plain")})
    on = capture_job({"url": site.url, "options": {"waitTime": 0}})
    off = capture_job({"url": site.url, "options": {"waitTime": 0, "javascript": False}})
    assert on["title"] == "Scripts ran"
    assert off["title"] == "Plain"
    assert on["phash"] != off["phash"]  # the noscript heading is in the picture


def test_cookie_banner_is_accepted(shot_env, http_servers, capture_job):
    site = http_servers.start({"/": page(COOKIE_PAGE, title="Cookies")})
    result = capture_job({"url": site.url, "options": {"waitTime": 0}})
    assert result["consentClicked"] == "#onetrust-accept-btn-handler"
    assert result["title"] == "accepted"
    untouched = capture_job({"url": site.url, "options": {"waitTime": 0,
                                                          "acceptCookies": False}})
    assert untouched["consentClicked"] is None and untouched["title"] == "Cookies"


def test_https_page_tls_redirects_and_headers(shot_env, http_servers, test_certs,
                                              capture_job):
    shot_env.add("shop.example.test", "A", "127.0.0.1")
    secure = http_servers.start({"/": page("secure", title="Shop")},
                                tls=server_context(test_certs.valid))
    target = f"https://shop.example.test:{secure.port}/"
    plain = http_servers.start({"/": page("x"), "/go": _redirect(target)})
    result = capture_job({"url": f"{plain.url}/go", "options": {"waitTime": 0}})
    assert result["finalUrl"] == target
    assert result["redirectChain"] == [{"url": f"{plain.url}/go", "status": 302,
                                        "location": target}]
    assert result["serverIp"] == "127.0.0.1"
    assert result["tls"]["validTo"] > result["tls"]["validFrom"]  # trustme: no CN to name
    assert result["tls"]["protocol"].startswith("TLS")
    assert result["responseHeaders"]["content-type"].startswith("text/html")


def test_similar_captures_are_found_by_phash(shot_env, http_servers, capture_job, other_org):
    site = http_servers.start({"/": page("<h1>Brand login</h1>", title="Brand")})
    first = capture_job({"url": site.url, "options": {"waitTime": 0}})
    capture_job({"url": site.url, "options": {"waitTime": 0}}, organization=other_org)
    second = capture_job({"url": site.url, "options": {"waitTime": 0}})
    assert [s["screenshotId"] for s in second["similar"]] == [first["screenshotId"]]
    assert second["similar"][0]["distance"] == 0


def _redirect(location):
    from tests.servers.http_server import redirect

    return redirect(location)


def test_consent_button_found_by_its_words(shot_env, http_servers, capture_job):
    banner = ("<div id='b'>Wir verwenden Cookies <button onclick=\"document.title='ok'\">"
              " Alle akzeptieren </button></div>")
    site = http_servers.start({"/": page(banner, title="Banner")})
    result = capture_job({"url": site.url, "options": {"waitTime": 0}})
    assert result["consentClicked"] == "text:alle akzeptieren"
    assert result["title"] == "ok"


def test_a_page_that_never_answers_times_out(shot_env, settings, http_servers, capture_job):
    import time

    import pytest

    from jobs.operations.base import OperationError

    settings.SCREENSHOT_PAGE_TIMEOUT = 1
    site = http_servers.start({"/": lambda request: (time.sleep(3), page("late"))[1]})
    with pytest.raises(OperationError) as failure:
        capture_job({"url": site.url, "options": {"waitTime": 0}})
    assert failure.value.code == "TARGET_UNREACHABLE"
    assert "1 seconds" in failure.value.message


def test_transfer_limit_cuts_a_heavy_page(shot_env, settings, http_servers, capture_job):
    from tests.servers.http_server import Reply

    settings.SCREENSHOT_MAX_TRANSFER_BYTES = 20_000
    heavy = Reply(200, [("Content-Type", "image/svg+xml")], "<svg xmlns='http://www.w3.org/"
                  "2000/svg'>" + "<!-- padding -->" * 10_000 + "</svg>")
    site = http_servers.start({"/": page("<img src='/heavy.svg'>", title="Heavy"),
                               "/heavy.svg": heavy})
    result = capture_job({"url": site.url, "options": {"waitTime": 0}})
    assert result["title"] == "Heavy"
    assert any("transferred more than 20000 bytes" in m["text"] for m in result["console"])
