import pytest

from config.routing import waits


@pytest.mark.parametrize("path, query, expected", [
    ("/v1/ops/jobs/3f2c", b"", False),
    ("/v1/ops/jobs/3f2c", b"wait=5", True),
    ("/v1/ops/jobs/3f2c", b"page=2&wait=5", True),
    ("/v1/ops/jobs/3f2c", b"wait=", True),            # a bad value still gets its 400 there
    ("/v1/ops/jobs/3f2c", b"waiting=1&await=2", False),
    ("/v1/ops/jobs/3f2c/stream", b"", True),
    ("/jobs/3f2c/events/", b"", True),
    ("/v1/ops/jobs/3f2c/events", b"", False),         # the timeline: JSON at once
    ("/v1/ops/enrichment/search", b"", False),
    ("/static/app.css", b"", False),
])
def test_requests_that_wait_go_to_the_asgi_handler(path, query, expected):
    assert waits({"type": "http", "path": path, "query_string": query}) is expected
