"""The security boundary: nothing the page asks for reaches a refused address."""

from urllib.parse import urlsplit

import pytest

from jobs.operations.base import OperationError
from tests.operations.screenshot.conftest import page
from tests.servers.http_server import redirect


def test_redirect_to_refused_address_fails_the_job(shot_env, http_servers, canary,
                                                    capture_job):
    site = http_servers.start({"/": redirect(f"{canary.url}/")})
    with pytest.raises(OperationError) as failure:
        capture_job({"url": f"{site.url}/", "options": {"waitTime": 0}})
    assert failure.value.code == "TARGET_NOT_ALLOWED"
    assert "127.0.0.2" in failure.value.message


def test_redirect_to_name_of_refused_address_fails_the_job(shot_env, http_servers, canary,
                                                            capture_job):
    shot_env.add("inside.test", "A", "127.0.0.2")
    site = http_servers.start({"/": redirect(f"http://inside.test:{canary.port}/")})
    with pytest.raises(OperationError) as failure:
        capture_job({"url": f"{site.url}/", "options": {"waitTime": 0}})
    assert failure.value.code == "TARGET_NOT_ALLOWED"


def test_main_url_resolving_to_refused_address_fails(shot_env, canary, capture_job):
    shot_env.add("rebind.test", "A", "127.0.0.2")
    with pytest.raises(OperationError) as failure:
        capture_job({"url": f"http://rebind.test:{canary.port}/"})
    assert failure.value.code == "TARGET_NOT_ALLOWED"


def test_sub_requests_to_refused_addresses_are_blocked_and_listed(shot_env, http_servers,
                                                                  canary, capture_job):
    shot_env.add("inside.test", "A", "127.0.0.2")
    bad = canary.url
    body = (f"<img src='{bad}/img.png'><iframe src='{bad}/frame'></iframe>"
            f"<img src='http://inside.test:{canary.port}/named.png'>"
            f"<link rel='prefetch' href='{bad}/prefetch'>"
            f"<script>fetch('{bad}/fetch').catch(() => 0);"
            f"try {{ new WebSocket('ws://127.0.0.2:{canary.port}/ws'); }} catch (e) {{}}"
            f"</script><img src='https://127.0.0.2:{canary.port}/tls.png'>")
    site = http_servers.start({"/": page(body, title="Subs")})
    result = capture_job({"url": f"{site.url}/", "options": {"waitTime": 1500}})
    assert result["title"] == "Subs"
    blocked = result["blockedRequests"]
    assert blocked and all(entry["refused"] for entry in blocked)
    reasons = " ".join(entry["reason"] for entry in blocked)
    assert "127.0.0.2" in reasons
    hosts = {entry["host"] for entry in blocked}
    assert hosts == {"127.0.0.2", "inside.test"}
    inside = [n for n in result["network"]
              if urlsplit(n["url"]).hostname in ("127.0.0.2", "inside.test")]
    assert len(inside) >= 4
    assert all(n["blocked"] and n["status"] is None for n in inside)


def test_block_ads_refuses_listed_hosts(shot_env, http_servers, capture_job):
    site = http_servers.start({"/": page("ok"), "/ad.png": page("ad")})
    shot_env.add("ads.doubleclick.net", "A", "127.0.0.1")
    body = f"<img src='http://ads.doubleclick.net:{site.port}/ad.png'>"
    site.routes["/"] = page(body, title="Ads")
    result = capture_job({"url": f"{site.url}/",
                          "options": {"waitTime": 0, "blockAds": True}})
    assert [b["host"] for b in result["blockedRequests"]] == ["ads.doubleclick.net"]
    assert not result["blockedRequests"][0]["refused"]
    assert "/ad.png" not in [r.path for r in site.requests]
