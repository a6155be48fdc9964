import json
import socket

import pytest
from pydantic import ValidationError

from jobs.operations import get_operation
from jobs.operations.base import Context, JobAborted, make_test_context
from jobs.operations.similar_domains import operation as op
from jobs.runner import call_run

URL = "/v1/ops/enrichment/similar-domains"


@pytest.fixture(autouse=True)
def quick_timeouts(monkeypatch):
    # A silent server costs one query timeout; keep the suite fast.
    monkeypatch.setattr(op, "QUERY_TIMEOUT", 1.0)


def params(**body):
    return op.Params.model_validate({"domain": "example.com", **body})


def errors(body) -> dict:
    with pytest.raises(ValidationError) as caught:
        op.Params.model_validate(body)
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}


# --- params ------------------------------------------------------------------------------


def test_registered():
    assert get_operation("similar_domains").run is op.run


def test_defaults_and_both_spellings():
    p = params()
    assert (p.techniques, p.limit, p.options.resolve) == (["typosquatting"], 1000, False)
    camel = params(techniques="homoglyph, TLD_variation", options={"allTlds": True})
    snake = params(techniques=["homoglyph", "tld_variation"], options={"all_tlds": True})
    assert camel == snake
    assert camel.techniques == ["homoglyph", "tld_variation"]


def test_domain_is_normalised_and_round_trips():
    p = params(domain=" Shop.XN--BCHER-KVA.de. ")
    assert p.domain == "shop.bücher.de" and op.target(p) == "shop.bücher.de"
    stored = p.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert op.Params.model_validate(stored) == p


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"domain": "not a domain"}, "domain", "not a valid host name"),
        ({"domain": "https://example.com/"}, "domain", "not a URL"),
        ({"domain": "co.uk"}, "domain", "public suffix"),
        ({"domain": 42}, "domain", "host name"),
        ({"domain": "example.com", "techniques": "typo,homoglyph"}, "techniques",
         "unknown technique 'typo'; choose from typosquatting"),
        ({"domain": "example.com", "techniques": []}, "techniques", "at least one"),
        ({"domain": "example.com", "limit": 0}, "limit", "greater than or equal to 1"),
        ({"domain": "example.com", "limit": 10001}, "limit", "less than or equal to 10000"),
        ({"domain": "example.com", "options": {"distance": 3}}, "options.distance", "1 or 2"),
        ({"domain": "example.com", "color": "red"}, "color", "Extra inputs"),
        ({}, "domain", "Field required"),
    ],
)
def test_bad_bodies_are_refused_clearly(body, field, fragment):
    assert fragment in errors(body)[field]


def test_technique_names_match_the_engine():
    from jobs.lookalike import TECHNIQUES

    assert set(op.Technique.__args__) == set(TECHNIQUES)


# --- generation --------------------------------------------------------------------------


def test_only_techniques_that_reach_the_limit_are_truncated():
    result = call_run(op.run, params(domain="example.com", techniques="typosquatting,bitsquatting",
                                     limit=60), make_test_context())
    counts = result["analysis"]["countsByTechnique"]
    assert counts["typosquatting"] == 60 and counts["bitsquatting"] < 60
    assert result["analysis"]["truncated"] == {"typosquatting": True, "bitsquatting": False}


def test_result_shape_without_resolution():
    ctx = make_test_context()
    result = call_run(op.run, params(domain="example.com", techniques="typosquatting,homoglyph,"
                                                          "tld_variation", limit=40), ctx)
    assert result["domain"] == "example.com" and result["status"] == "completed"
    assert result["totalCount"] == len(result["similarDomains"]) == 120
    assert result["analysis"]["techniquesUsed"] == "typosquatting,homoglyph,tld_variation"
    assert result["analysis"]["baseDomain"] == "example.com"
    assert result["analysis"]["searchLimit"] == 40
    # Every technique stopped at the limit of 40: each is flagged as cut short.
    assert result["analysis"]["truncated"] == {"typosquatting": True, "homoglyph": True,
                                               "tld_variation": True}
    assert result["resolution"] == {"status": "not_requested"}
    labels = {e["technique"] for e in result["similarDomains"]}
    assert labels == {"TYPO", "UTFVARS", "TLD_VARIANTS"}
    assert all("registered" not in e for e in result["similarDomains"])
    assert ctx.steps[0][2] == "Generating lookalike names"
    json.dumps(result)  # storable as it is


def test_idn_entries_show_unicode_and_punycode():
    result = call_run(op.run, params(techniques="homoglyph", limit=5), make_test_context())
    entry = result["similarDomains"][0]  # the whole-script Cyrillic name comes first
    assert entry == {"domain": "ехамрӏе.com (xn--80ajb1au1a38g.com)", "technique": "UTFVARS",
                     "fuzzer": "cyrillic", "punycode": "xn--80ajb1au1a38g.com",
                     "unicode": "ехамрӏе.com"}


def test_bitsquatting_is_published_as_typo():
    result = call_run(op.run, params(techniques="bitsquatting", limit=3), make_test_context())
    assert {(e["technique"], e["fuzzer"]) for e in result["similarDomains"]} == {
        ("TYPO", "bitsquatting")}


# --- resolution --------------------------------------------------------------------------


@pytest.fixture
def lookalike_zone(dns_zone):
    dns_zone.add("exmple.com", "A", "192.0.2.10")
    dns_zone.add("exmple.com", "AAAA", "2001:db8::10")
    dns_zone.add("exmple.com", "MX", "10 mail.exmple.com.")
    dns_zone.add("exmple.com", "NS", "ns1.exmple.com.")
    dns_zone.add("exampel.com", "TXT", "parked")  # exists, but has no address
    dns_zone.servfail("examle.com")
    dns_zone.silent("exampe.com")
    return dns_zone


def by_name(result) -> dict[str, dict]:
    return {e["domain"]: e for e in result["similarDomains"]}


def test_resolution_tells_outcomes_apart(lookalike_zone):
    ctx = make_test_context()
    result = call_run(op.run, params(options={"resolve": True}), ctx)
    found = by_name(result)
    assert found["exmple.com"] | {"fuzzer": None} == {
        "domain": "exmple.com", "technique": "TYPO", "fuzzer": None, "registered": True,
        "dnsStatus": "NOERROR", "dnsA": ["192.0.2.10"], "dnsAaaa": ["2001:db8::10"],
        "dnsMx": ["10 mail.exmple.com."], "dnsNs": ["ns1.exmple.com."]}
    assert found["exampel.com"]["registered"] is True
    assert found["exampel.com"]["dnsA"] == []
    assert (found["examle.com"]["dnsStatus"], found["examle.com"]["registered"]) == (
        "SERVFAIL", False)
    assert found["exampe.com"]["dnsStatus"] == "TIMEOUT"
    assert found["eexample.com"]["dnsStatus"] == "NXDOMAIN"
    total = result["totalCount"]
    assert result["resolution"] | {"statuses": None} == {
        "status": "completed", "checked": total, "registered": 2, "total": total,
        "statuses": None}
    assert result["resolution"]["statuses"]["SERVFAIL"] == 1
    assert (total, total, f"Resolving {total}/{total}") in ctx.steps


def test_only_existing_names_get_more_questions(lookalike_zone, dns_server):
    call_run(op.run, params(options={"resolve": True}, limit=35), make_test_context())
    asked = [q for q in dns_server.queries if q[1] != "A"]
    probes = {("example.com", "NS"), ("", "NS")}  # the input's and the root's
    assert {name for name, _ in set(asked) - probes} == {"exmple.com"}


def test_subdomain_variants_are_resolved_as_given(lookalike_zone):
    lookalike_zone.add("shop.exmple.com", "A", "192.0.2.11")
    result = call_run(op.run, params(domain="shop.example.com", options={"resolve": True}),
                    make_test_context())
    assert by_name(result)["shop.exmple.com"]["dnsA"] == ["192.0.2.11"]


def _silent_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.mark.parametrize("server", ["closed", "silent"])
def test_no_resolver_still_completes(settings, closed_port, server):
    silent = _silent_port() if server == "silent" else None
    port = silent.getsockname()[1] if silent else closed_port
    settings.DNS_NAMESERVERS = [("127.0.0.1", port)]
    try:
        result = call_run(op.run, params(limit=30, options={"resolve": True}), make_test_context())
    finally:
        if silent:
            silent.close()
    assert result["status"] == "completed" and result["totalCount"] == 30
    resolution = result["resolution"]
    assert resolution["status"] == "unavailable"
    assert resolution["message"].startswith(f"No DNS server answered (127.0.0.1:{port}")
    assert all("registered" not in e for e in result["similarDomains"])


def test_a_refusing_server_counts_as_unavailable(dns_zone):
    dns_zone.refuse("example.com").refuse(".")
    result = call_run(op.run, params(limit=5, options={"resolve": True}), make_test_context())
    assert result["resolution"]["status"] == "unavailable"
    assert "refused to answer" in result["resolution"]["message"]


def test_cancel_while_resolving_stops_the_job(lookalike_zone):
    def report(current, total, message):
        return not (message.startswith("Resolving") and current > 0)

    ctx = Context(job_id="x", timeout=60, report=report)
    with pytest.raises(JobAborted):
        call_run(op.run, params(limit=30, options={"resolve": True}), ctx)


def test_time_limit_leaves_a_partial_resolution(lookalike_zone, monkeypatch):
    monkeypatch.setattr(op, "RESERVE", 59.0)  # of a 60 s job: one second to resolve
    lookalike_zone.silent("exanple.com").silent("exampke.com").silent("exsmple.com")
    monkeypatch.setattr(op, "NAMES_IN_FLIGHT", 1)
    result = call_run(op.run, params(options={"resolve": True}), make_test_context(timeout=60))
    resolution = result["resolution"]
    assert resolution["status"] == "partial"
    assert 0 < resolution["checked"] < result["totalCount"]
    assert "time limit" in resolution["message"]


# --- through the API ---------------------------------------------------------------------


def test_submit_and_read_through_the_api(api, lookalike_zone, transactional_db,
                                         django_capture_on_commit_callbacks):
    # Progress is written from a worker thread while resolving: with SQLite that needs
    # the test's own transaction out of the way.
    body = {"domain": "example.com", "techniques": "typosquatting", "limit": 25,
            "options": {"resolve": True}}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 202
    job = api.get(f"/v1/ops/jobs/{response.json()['jobId']}").json()
    assert job["status"] == "COMPLETED", job
    assert job["result"]["totalCount"] == 25
    assert job["result"]["resolution"]["status"] == "completed"


def test_api_refuses_garbage(api):
    response = api.post(URL, data=json.dumps({"domain": "exa mple"}),
                        content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("domain: not a valid host name")
