"""What the map learns from the organization's observation store and its previous maps."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from jobs.models import JobStatus, Observation
from jobs.observations import ObservationReader
from jobs.operations.base import make_test_context
from jobs.operations.infra_map.operation import Params, run
from jobs.operations.infra_map.result import Result
from jobs.runner import call_run
from tests.factories import JobFactory
from tests.operations.infra_map_zone import start_site

LONG_AGO = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def site(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path):
    return start_site(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path)


def observe(org, name, value, rtype="A", when=LONG_AGO):
    Observation.objects.create(organization=org, name=name, rtype=rtype, value=value,
                               first_seen=when, last_seen=when)


def walk(org, start="acme.test", depth=2, job_id=None) -> dict:
    ctx = make_test_context(observations=ObservationReader(org.pk))
    ctx.job_id = str(job_id or uuid.uuid4())
    result = call_run(run, Params(startPoint=start, depth=depth), ctx)
    Result.model_validate(result)
    return result


def edges(result):
    return {(e["source"], e["type"], e["target"]) for e in result["edges"]}


def node(result, ident):
    return next(n for n in result["nodes"] if n["id"] == ident)


@pytest.mark.django_db(transaction=True)
def test_names_seen_on_the_same_address_join_it(site, org, other_org):
    observe(org, "old.acme.test", "127.0.0.1")
    observe(other_org, "secret.globex.test", "127.0.0.1")
    result = walk(org)
    assert ("domain:old.acme.test", "same_ip", "ip:127.0.0.1") in edges(result)
    assert not [n for n in result["nodes"] if "globex" in n["id"]]  # another org's store
    provenance = next(e["provenance"] for e in result["edges"] if e["type"] == "same_ip")
    assert provenance["server"] == "observation store"


@pytest.mark.django_db(transaction=True)
def test_an_address_shared_by_many_names_is_a_hub_not_walked(site, org, settings):
    settings.MAP_HUB_DEGREE = 3
    for i in range(6):
        observe(org, f"tenant{i}.hosting.test", "127.0.0.1")
    result = walk(org)
    data = node(result, "ip:127.0.0.1")["data"]
    assert data["hub"] is True and data["degree"] >= 6
    assert not [e for e in result["edges"] if e["type"] == "same_ip"]
    assert ("ip:127.0.0.1", "shares_cert", site.cert_id) not in edges(result)
    # Its PTR name and network are still drawn: one node each, not a fan-out.
    assert ("ip:127.0.0.1", "reverse", "domain:host1.hosting.test") in edges(result)
    assert "ip:127.0.0.1" in result["stats"]["hubs"]


@pytest.mark.django_db(transaction=True)
def test_first_and_last_seen_come_from_the_store(site, org):
    observe(org, "acme.test", "127.0.0.1")
    result = walk(org, depth=1)
    by_key = {(e["source"], e["type"], e["target"]): e for e in result["edges"]}
    old = by_key[("domain:acme.test", "resolves_to", "ip:127.0.0.1")]
    assert old["firstSeen"] == "2025-01-01T00:00:00Z"
    new = by_key[("domain:acme.test", "uses_ns", "nameserver:ns1.dnshost.test")]
    assert new["firstSeen"] == new["lastSeen"] != old["firstSeen"]
    assert node(result, "domain:acme.test")["data"]["firstSeen"] == "2025-01-01T00:00:00Z"
    assert result["changes"]["previousJobId"] is None


@pytest.mark.django_db(transaction=True)
def test_changes_since_the_previous_map(site, org, other_org):
    first = walk(org, depth=1)
    gone = {"source": "domain:acme.test", "target": "ip:127.0.0.99", "type": "resolves_to",
            "firstSeen": "2024-05-01T00:00:00Z"}
    first["edges"] = [e for e in first["edges"] if e["type"] != "uses_mx"] + [gone]
    first["nodes"].append({"id": "ip:127.0.0.99", "type": "ip", "label": "127.0.0.99",
                           "data": {}})
    for edge in first["edges"]:
        if edge["type"] == "shares_cert":
            edge["firstSeen"] = "2024-06-01T00:00:00Z"
    previous = JobFactory(organization=org, type="infra_map", target="acme.test",
                          status=JobStatus.COMPLETED, result=first,
                          completed_at=timezone.now() - dt.timedelta(days=1))
    JobFactory(organization=other_org, type="infra_map", target="acme.test",
               status=JobStatus.COMPLETED, result=first, completed_at=timezone.now())
    result = walk(org, depth=1)
    changes = result["changes"]
    assert changes["previousJobId"] == str(previous.pk) and changes["previousDepth"] == 1
    assert changes["addedEdges"] == [{"source": "domain:acme.test", "type": "uses_mx",
                                      "target": "mailserver:mail.acme.test"}]
    assert changes["removedEdges"] == [{"source": "domain:acme.test", "type": "resolves_to",
                                        "target": "ip:127.0.0.99"}]
    assert changes["removedNodes"] == ["ip:127.0.0.99"]
    assert changes["counts"] == {"addedEdges": 1, "removedEdges": 1, "addedNodes": 0,
                                 "removedNodes": 1}
    # What DNS does not date (a certificate) keeps the first sighting of the last map.
    cert = next(e for e in result["edges"] if e["type"] == "shares_cert")
    assert cert["firstSeen"] == "2024-06-01T00:00:00Z"
