"""Lookalike domains end to end: real web server and worker, DNS from a loopback zone."""

import time

import httpx
import pytest

from tests.factories import OrganizationFactory, api_key_with_raw

pytestmark = pytest.mark.e2e


@pytest.fixture
def zone(dns_zone):
    dns_zone.add("exmple.com", "A", "192.0.2.10")
    dns_zone.add("exmple.com", "MX", "10 mail.exmple.com.")
    dns_zone.add("examplle.com", "AAAA", "2001:db8::7")
    dns_zone.servfail("examle.com")
    return dns_zone


@pytest.fixture
def http(zone, live_service):  # the zone first: the service takes its DNS settings
    _, raw = api_key_with_raw(OrganizationFactory(name="brand"), name="brand-key")
    with httpx.Client(base_url=live_service.url, headers={"Authorization": f"Bearer {raw}"},
                      timeout=10) as client:
        yield client


def test_lookalikes_resolved_through_the_api(http):
    response = http.post("/v1/ops/enrichment/similar-domains", json={
        "domain": "example.com", "techniques": "typosquatting,homoglyph",
        "options": {"resolve": True}})
    assert response.status_code == 202, response.text
    job_id = response.json()["jobId"]
    deadline = time.monotonic() + 60
    while (job := http.get(f"/v1/ops/jobs/{job_id}").json())["status"] in {"PENDING",
                                                                           "PROCESSING"}:
        assert time.monotonic() < deadline, job["progress"]
        time.sleep(0.2)
    assert job["status"] == "COMPLETED", job["error"]
    result = job["result"]
    entries = {e["domain"]: e for e in result["similarDomains"]}
    assert "example.com" not in entries
    assert entries["exmple.com"]["registered"] is True
    assert entries["exmple.com"]["dnsA"] == ["192.0.2.10"]
    assert entries["examplle.com"]["registered"] is True
    assert entries["examle.com"]["dnsStatus"] == "SERVFAIL"
    assert entries["exampl.com"]["registered"] is False
    assert {e["technique"] for e in entries.values()} == {"TYPO", "UTFVARS"}
    assert result["resolution"]["status"] == "completed"
    assert result["analysis"]["techniquesUsed"] == "typosquatting,homoglyph"
    deepidv = http.get(f"/v1/async-jobs/{job_id}").json()
    assert deepidv["status"] == "ready" and deepidv["result"]["totalCount"] == len(entries)
