"""Rate-limit headers on every counted /v1 answer, and GET /v1/ops/quotas."""

import json

URL = "/v1/test/sleep"


def post(client, **extra):
    return client.post(URL, data=json.dumps({"seconds": 0}), content_type="application/json",
                       **extra)


def test_answers_carry_the_rate_headers_of_their_category(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "scans": (5, 60), "reads": (100, 60)}
    response = post(api)
    assert response.status_code == 202
    assert response["RateLimit-Policy"] == '"scans";q=5;w=60'
    assert response["RateLimit"].startswith('"scans";r=4;t=')
    assert response["X-RateLimit-Limit"] == "5" and response["X-RateLimit-Remaining"] == "4"
    assert 0 <= int(response["X-RateLimit-Reset"]) <= 60
    read = api.get(f"/v1/ops/jobs/{response.json()['jobId']}")
    assert read["X-RateLimit-Limit"] == "100" and read["X-RateLimit-Remaining"] == "99"
    missing = api.get("/v1/ops/jobs/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing["X-RateLimit-Remaining"] == "98"


def test_a_refused_request_says_nothing_remains(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "scans": (1, 60)}
    post(api)
    refused = post(api)
    assert refused.status_code == 429
    assert refused["X-RateLimit-Remaining"] == "0" and refused["Retry-After"]


def test_quotas_tell_a_key_where_it_stands_without_counting(api, settings, org):
    from tests.factories import api_key_with_raw

    settings.RATE_LIMITS = {"reads": (50, 60), "scans": (3, 60), "bulk": (2, 60),
                            "screenshots": (4, 60), "other": (9, 60)}
    post(api)
    first = api.get("/v1/ops/quotas").json()["quotas"]
    again = api.get("/v1/ops/quotas").json()["quotas"]
    assert first == again  # asking does not use anything up
    scans = next(q for q in first if q["category"] == "scans")
    assert scans["limit"] == 3 and scans["used"] == 1 and scans["remaining"] == 2
    assert scans["windowSeconds"] == 60 and scans["resetAt"].endswith("Z")
    assert {q["category"] for q in first} == {"reads", "scans", "bulk", "screenshots", "other"}
    _, raw = api_key_with_raw(org, name="fresh")
    other = api.get("/v1/ops/quotas", HTTP_AUTHORIZATION=f"Bearer {raw}").json()["quotas"]
    assert next(q for q in other if q["category"] == "scans")["used"] == 0


def test_quotas_need_a_key(client):
    assert client.get("/v1/ops/quotas").status_code == 401
