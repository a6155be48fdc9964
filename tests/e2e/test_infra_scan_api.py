"""End to end: infrastructure scans over HTTP against a real gunicorn and qcluster, aimed at
loopback servers (DNS, HTTPS, HTTP, WHOIS) that the allow-list opens.

The live service reads the DNS servers and the allow-list from this process's settings
(and WHOIS_SERVER from its environment) when it starts, so every test asks for its
network set-up through a fixture that depends on it before ``live_service``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import pytest

from jobs.models import Job, JobStatus
from jobs.operations.infra_scan import scan as infra_scan
from tests.factories import OrganizationFactory, api_key_with_raw
from tests.servers.certs import server_context
from tests.servers.http_server import HttpTestServer, leaky_site
from tests.servers.whois_server import whois_chain

pytestmark = pytest.mark.e2e
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}
DOMAIN = "example.test"


@dataclass
class Site:
    https: HttpTestServer
    http: HttpTestServer

    def body(self, **extra) -> dict:
        return {"domain": DOMAIN, "sslPort": self.https.port, "httpPort": self.http.port,
                "ports": [self.https.port, f"{self.http.port}-{self.http.port}"], **extra}


@pytest.fixture
def site(dns_zone, http_servers, whois_servers, test_certs, monkeypatch) -> Site:
    """A careless site on loopback: self-signed HTTPS, no security headers, /.env served."""
    site = Site(https=http_servers.start(leaky_site(),
                                         tls=server_context(test_certs.self_signed)),
                http=http_servers.start(leaky_site()))
    monkeypatch.setenv("WHOIS_SERVER", whois_chain(whois_servers, DOMAIN).root.server)
    dns_zone.add(DOMAIN, "A", "127.0.0.1")
    dns_zone.add(DOMAIN, "MX", f"10 mail.{DOMAIN}.")
    dns_zone.add(DOMAIN, "NS", f"ns1.{DOMAIN}.")
    dns_zone.add(DOMAIN, "TXT", "v=spf1 mx ~all")
    dns_zone.add(f"www.{DOMAIN}", "A", "127.0.0.1")
    return site


@pytest.fixture
def closed_network(dns_zone, http_servers, test_certs, settings, monkeypatch) -> HttpTestServer:
    """The default policy (no allow-list), names that resolve to forbidden addresses, and a
    trap listening where a scan of them would connect."""
    settings.ALLOWED_TARGET_NETWORKS = []
    monkeypatch.delenv("ALLOWED_TARGET_NETWORKS", raising=False)
    dns_zone.add("loopback.test", "A", "127.0.0.1")
    dns_zone.add("intranet.test", "A", "10.0.0.1")
    return http_servers.start(leaky_site(), tls=server_context(test_certs.self_signed))


def client(service) -> httpx.Client:
    _, raw = api_key_with_raw(OrganizationFactory(name="e2e"), name="e2e-key")
    return httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {raw}"},
                        timeout=10)


@pytest.fixture
def http(site, live_service):
    with client(live_service) as c:
        yield c


@pytest.fixture
def closed_http(closed_network, live_service):
    with client(live_service) as c:
        yield c


def submit(http, route: str, body: dict) -> str:
    response = http.post(route, json=body)
    assert response.status_code == 202, response.text
    assert response.headers["Location"] == f"/v1/ops/jobs/{response.json()['jobId']}"
    return response.json()["jobId"]


def follow(http, job_id: str, timeout: float = 25) -> tuple[dict, list[dict]]:
    """Poll to the end; the job and every progress seen on the way."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = http.get(f"/v1/ops/jobs/{job_id}")
        job = response.json()
        seen.append({"status": job["status"], **job["progress"]})
        if job["status"] in TERMINAL:
            assert "Retry-After" not in response.headers
            return job, seen
        assert int(response.headers["Retry-After"]) >= 1
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")


def test_scans_of_a_careless_site_find_real_problems(http, site):
    full = submit(http, "/v1/ops/scans/infrastructure", site.body())
    ssl_only = submit(http, "/v1/ops/scan", site.body(type="ssl"))

    job, seen = follow(http, full)
    assert job["status"] == "COMPLETED", job["error"]
    assert job["type"] == "infra_scan" and job["params"]["domain"] == DOMAIN
    result = job["result"]
    assert result["domain"] == DOMAIN and result["scanType"] == "comprehensive"
    modules = result["modules"]
    assert set(modules) == {"dns", "subdomains", "ssl", "ports", "technologies", "whois",
                            "vulnerabilities"}
    assert not [k for k, v in modules.items() if isinstance(v, dict) and "error" in v], modules
    found = {f["id"]: f for f in result["findings"]}
    assert found["exposed-env"]["severity"] == "critical"
    assert "DB_PASSWORD" in found["exposed-env"]["evidence"] and "hunter2" not in str(job)
    assert found["tls-self-signed"]["module"] == "ssl"
    assert {"header-missing-csp", "header-missing-hsts", "exposed-git",
            "directory-listing-uploads"} <= set(found)
    assert modules["whois"]["registrar"] == "Example Registrar, Inc."
    assert {p["port"] for p in modules["ports"]} == {site.https.port, site.http.port}
    assert "www.example.test" in {s["name"] for s in modules["subdomains"]}
    assert result["summary"]["findingsBySeverity"]["critical"] >= 1
    assert result["summary"]["riskScore"] >= 50

    # The progress moved forward step by step while it ran, and ended complete.
    running = [p for p in seen if p["status"] == "PROCESSING"]
    assert running, seen
    assert any(0 < p["percentage"] < 100 for p in running), seen
    steps = [p["current"] for p in seen]
    assert steps == sorted(steps) and len(set(steps)) >= 2, seen
    assert seen[-1]["percentage"] == 100.0 and seen[-1]["message"] == "Done"
    # Modules start together, so the last one to start names the long wait ("" is a job
    # claimed a moment before its first step, "Done" one about to be marked completed).
    starting = {m.starting for m in infra_scan.MODULES.values()}
    assert {p["message"] for p in running} <= {"", "Resolving example.test...", "Done",
                                               *starting}, seen

    job, _ = follow(http, ssl_only)
    assert job["status"] == "COMPLETED" and set(job["result"]["modules"]) == {"ssl"}
    certificate = job["result"]["modules"]["ssl"]["certificate"]
    assert certificate["selfSigned"] is True and certificate["chainValid"] is False
    assert "tls-self-signed" in {f["id"] for f in job["result"]["findings"]}

    deepidv = http.get(f"/v1/async-jobs/{ssl_only}").json()
    assert deepidv["status"] == "ready" and deepidv["result"] == job["result"]


def test_names_that_resolve_to_forbidden_addresses_fail_the_job(closed_http, closed_network):
    trap = closed_network
    ids = {name: submit(closed_http, "/v1/ops/scans/infrastructure",
                        {"domain": name, "sslPort": trap.port, "httpPort": trap.port,
                         "ports": [trap.port]})
           for name in ("loopback.test", "intranet.test")}
    for name, address in (("loopback.test", "127.0.0.1"), ("intranet.test", "10.0.0.1")):
        job, _ = follow(closed_http, ids[name])
        assert job["status"] == "FAILED" and job["result"] is None
        assert job["error"]["code"] == "TARGET_NOT_ALLOWED"
        assert f"{name} resolves to {address}" in job["error"]["message"]
        assert isinstance(job["error"]["details"], str)
    assert trap.connections == 0
    deepidv = closed_http.get(f"/v1/async-jobs/{ids['intranet.test']}").json()
    assert deepidv["status"] == "failed" and "10.0.0.1" in deepidv["error"]

    # A literal is refused at the door: no job at all.
    before = Job.objects.count()
    response = closed_http.post("/v1/ops/scan", json={"domain": "http://2130706433/"})
    assert response.status_code == 400 and response.json()["error"] == "target_not_allowed"
    assert response.json()["details"]["domain"][0].startswith("127.0.0.1 is ")
    assert Job.objects.count() == before
    assert Job.objects.filter(status=JobStatus.FAILED).count() == 2
