"""A database or broker that does not answer is a 503 with Retry-After, not a 500."""

import json

import pytest
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from jobs import lifecycle


@pytest.mark.parametrize("failure", [RedisConnectionError("Connection refused"),
                                     OperationalError("could not connect to server")])
def test_an_unreachable_broker_or_database_is_503(api, monkeypatch, failure):
    def refuse(**kwargs):
        raise failure

    monkeypatch.setattr(lifecycle, "job_submit", refuse)
    monkeypatch.setattr(lifecycle, "job_submit_with_key", refuse)   # PostgreSQL's
    response = api.post("/v1/test/noop", data=json.dumps({"n": 1}),
                        content_type="application/json")
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "unavailable" and body["retryAfter"] == 5
    assert response["Retry-After"] == "5"
    assert "Connection refused" not in body["message"]  # no internals
