"""Starting an infrastructure scan over /v1: literal targets the service refuses, and the
request schemas in the OpenAPI document."""

import ipaddress
import json

import pytest

from jobs.models import Job

ROUTES = ["/v1/ops/scans/infrastructure", "/v1/ops/scan"]


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def no_allow_list(settings):
    settings.ALLOWED_TARGET_NETWORKS = []


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("domain, address", [
    ("127.0.0.1", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"),
    # Written as Python writes it: in hex up to 3.12, dotted from 3.13 on.
    ("[::ffff:169.254.169.254]", str(ipaddress.ip_address("::ffff:a9fe:a9fe"))),
    ("http://2130706433/", "127.0.0.1"),
    ("localhost", "localhost"),
])
def test_forbidden_literal_is_refused_before_a_job_exists(api, no_allow_list, route, domain,
                                                           address):
    response = post(api, route, {"domain": domain})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "target_not_allowed" and body["status"] == 400
    assert body["path"] == route
    [reason] = body["details"]["domain"]
    assert reason.startswith(f"{address} is ")
    assert body["message"] == f"domain: {reason}"
    assert not Job.objects.exists()


def test_the_reason_is_spelled_out(api, no_allow_list):
    details = post(api, ROUTES[0], {"domain": "[::ffff:169.254.169.254]"}).json()["details"]
    assert "169.254.169.254, the cloud metadata address (link-local)" in details["domain"][0]


def test_an_allowed_network_opens_a_literal(api, settings):
    settings.ALLOWED_TARGET_NETWORKS = ["127.0.0.0/8"]
    response = post(api, ROUTES[1], {"domain": "0x7f.1", "type": "ports", "ports": [22]})
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["jobId"])
    assert job.type == "infra_scan" and job.target == "127.0.0.1"
    assert job.params == {"domain": "127.0.0.1", "type": "ports", "ports": [22], "sslPort": 443,
                          "httpPort": 80}


def test_a_public_literal_and_a_name_are_accepted(api, no_allow_list):
    for domain in ("8.8.8.8", "Example.COM"):
        assert post(api, ROUTES[0], {"domain": domain}).status_code == 202
    assert sorted(Job.objects.values_list("target", flat=True)) == ["8.8.8.8", "example.com"]


@pytest.mark.parametrize("body, field", [
    ({"domain": "exa mple.test"}, "domain"),
    ({"domain": "example.com", "type": "everything"}, "type"),
    ({"domain": "example.com", "ports": ["9-1"]}, "ports"),
    ({}, "domain"),
])
def test_bad_bodies_are_validation_errors(api, body, field):
    response = post(api, ROUTES[0], body)
    assert response.status_code == 400
    assert response.json()["error"] == "validation_error"
    assert field in response.json()["details"]
    assert not Job.objects.exists()


# --- the OpenAPI document -------------------------------------------------------------------


def resolve(doc: dict, schema: dict) -> dict:
    ref = schema.get("$ref", "")
    if not ref:
        return schema
    name = ref.removeprefix("#/components/schemas/")
    schemas = doc["components"]["schemas"]
    assert name in schemas, f"{ref} points at nothing (schemas: {sorted(schemas)})"
    return schemas[name]


@pytest.mark.parametrize("route, required, fields", [
    ("/v1/ops/scans/infrastructure", ["domain"], {"domain", "type", "ports"}),
    ("/v1/ops/scan", ["domain"], {"domain", "type", "ports"}),
    ("/v1/ops/enrichment/similar-domains", ["domain"], {"domain", "techniques", "limit",
                                                         "options"}),
])
def test_openapi_has_the_request_schema(client, db, route, required, fields):
    doc = client.get("/v1/openapi.json").json()
    operation = doc["paths"][route]["post"]
    assert "202" in operation["responses"] and "400" in operation["responses"]
    schema = resolve(doc, operation["requestBody"]["content"]["application/json"]["schema"])
    assert schema["required"] == required
    assert fields <= set(schema["properties"])


def test_openapi_lists_both_endpoints_with_a_request_body(client, db):
    doc = client.get("/v1/openapi.json").json()
    for route in ("/v1/ops/scans/infrastructure", "/v1/ops/scan",
                  "/v1/ops/enrichment/similar-domains"):
        body = doc["paths"][route]["post"]["requestBody"]
        assert body["required"] is True and "$ref" in body["content"]["application/json"]["schema"]
    scan = doc["components"]["schemas"]["InfraScanRequest"]
    assert scan["required"] == ["domain"]
    assert scan["properties"]["type"]["enum"][0] == "comprehensive"
