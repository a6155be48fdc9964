"""Fixtures for the screenshot tests: loopback sites, a canary on a refused address, and
a way to run a capture as a real job row (the capture is stored against its job)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator

import pytest

from jobs.models import JobStatus
from jobs.operations import get_operation
from jobs.operations.base import Context
from jobs.operations.screenshot.browser import browser_service_stop
from jobs.runner import call_run, result_document
from tests.factories import JobFactory
from tests.servers.http_server import HttpServers, HttpTestServer, Reply

HTML = [("Content-Type", "text/html; charset=utf-8")]


def page(body: str, title: str = "Test page") -> Reply:
    return Reply(200, HTML, f"<!doctype html><html><head><title>{title}</title></head>"
                            f"<body style='margin:0;background:#1d4ed8'>{body}</body></html>")


@pytest.fixture(scope="session", autouse=True)
def _browser_stops():
    yield
    browser_service_stop()


@pytest.fixture
def shot_env(dns_zone, settings, tmp_path):
    """Loopback 127.0.0.1 open, every other loopback address refused; files in tmp."""
    settings.ALLOWED_TARGET_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    settings.STORAGES = {**settings.STORAGES, "artifacts": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "artifacts")}}}
    settings.SCREENSHOT_PAGE_TIMEOUT = 10
    return dns_zone


@pytest.fixture
def canary(http_servers: HttpServers) -> Iterator[HttpTestServer]:
    """A server on 127.0.0.2, a refused address: it must never see a connection."""
    server = http_servers.start({"/": page("canary")}, host="127.0.0.2")
    yield server
    assert server.connections == 0, f"the canary was reached: {server.requests}"


@pytest.fixture
def capture_job(org):
    """Run a capture as job of ``org`` (or another organization); returns the result."""

    def run(body: dict, organization=None, metadata=None):
        spec = get_operation("screenshot")
        params = spec.params.model_validate(body)
        job = JobFactory(organization=organization or org, type=spec.type,
                         status=JobStatus.PROCESSING, target=params.url,
                         params=params.model_dump(mode="json", by_alias=True,
                                                  exclude_none=True),
                         metadata=metadata or {"source": "test"})
        ctx = Context(job_id=str(job.pk), timeout=60, report=lambda *a: True)
        outcome = call_run(spec.run, params, ctx)
        job.result = json.loads(result_document(spec, outcome))
        job.status = JobStatus.COMPLETED
        job.save()
        return job.result

    return run


@pytest.fixture
def web(client, org, settings):
    """A dashboard client signed in as a member of ``org``."""
    from tests.factories import MembershipFactory, UserFactory

    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    client.force_login(MembershipFactory(organization=org, user=UserFactory()).user)
    return client
