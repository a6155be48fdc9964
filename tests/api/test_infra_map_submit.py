"""Starting an infrastructure map over /v1 and reading its graph back."""

import json

import pytest

from jobs.models import Job
from tests.factories import JobFactory
from tests.operations.infra_map_zone import start_site

ROUTE = "/v1/ops/scans/map"


def post(client, body):
    return client.post(ROUTE, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def site(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path):
    return start_site(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path)


def test_submit_runs_the_map_and_the_result_is_the_graph(api, site,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, {"startPoint": "Acme.TEST", "depth": 2})
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["jobId"])
    assert job.type == "infra_map" and job.target == "acme.test"
    assert job.params == {"startPoint": "acme.test", "depth": 2}
    body = api.get(f"/v1/ops/jobs/{job.pk}").json()
    assert body["status"] == "COMPLETED", body["error"]
    result = body["result"]
    assert {"startPoint", "depth", "nodes", "edges", "stats"} <= set(result)
    assert result["startPoint"] == "acme.test" and result["depth"] == 2
    assert {"id", "type", "label", "data"} == set(result["nodes"][0])
    assert {"source", "target", "type"} <= set(result["edges"][0])
    assert result["stats"]["nodeCount"] == len(result["nodes"]) > 10
    # What the map looked up went into the organization's observation store.
    assert job.organization.pk and result["changes"]["previousJobId"] is None


def test_depth_defaults_to_one(api, settings):
    settings.ALLOWED_TARGET_NETWORKS = []
    assert post(api, {"startPoint": "example.com"}).status_code == 202
    assert Job.objects.get().params == {"startPoint": "example.com", "depth": 1}


@pytest.mark.parametrize("body, field", [
    ({"startPoint": "acme.test", "depth": 0}, "depth"),
    ({"startPoint": "acme.test", "depth": 4}, "depth"),
    ({"startPoint": "acme.test", "depth": "deep"}, "depth"),
    ({"startPoint": "exa mple.test"}, "startPoint"),
    ({"startPoint": ""}, "startPoint"),
    ({}, "startPoint"),
])
def test_bad_bodies_are_validation_errors(api, body, field):
    response = post(api, body)
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert field in response.json()["details"]
    assert not Job.objects.exists()


@pytest.mark.parametrize("start, shown", [("127.0.0.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
                                          ("10.1.2.3", "10.1.2.3"), ("localhost", "localhost")])
def test_a_refused_literal_start_point_is_target_not_allowed(api, settings, start, shown):
    settings.ALLOWED_TARGET_NETWORKS = []
    response = post(api, {"startPoint": start})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "target_not_allowed"
    assert body["details"]["startPoint"][0].startswith(f"{shown} is ")
    assert not Job.objects.exists()


def test_another_organizations_map_is_404(api, other_org):
    job = JobFactory(organization=other_org, type="infra_map", target="acme.test",
                     status="COMPLETED", result={"startPoint": "acme.test", "depth": 1,
                                                 "nodes": [], "edges": [], "stats": {}})
    assert api.get(f"/v1/ops/jobs/{job.pk}").status_code == 404


def test_openapi_documents_the_route(client, db):
    document = client.get("/v1/openapi.json").json()
    operation = document["paths"][ROUTE]["post"]
    assert operation["responses"]["202"]
    text = json.dumps(document)
    assert "startPoint" in text
