"""POST /v1/ops/enrichment/search end to end: 202, the job's result, 400s and 404s."""

import json

import pytest

from tests.factories import api_key_with_raw

URL = "/v1/ops/enrichment/search"


@pytest.fixture
def records(db):
    from jobs.registrations import normalize
    from jobs.registrations.store import registrations_upsert

    rows = [{"domain": f"shop{i}.com", "registrantEmail": "owner@bad.example",
             "registrantCompany": "Bad Actors Ltd", "nameServers": "ns1.evil-dns.net",
             "createdDate": f"2024-01-{i + 1:02d}"} for i in range(5)]
    rows.append({"domain": "innocent.org", "registrantEmail": "me@innocent.org"})
    registrations_upsert([normalize.record(r) for r in rows], organization_id=None,
                         source="import")


def submit(api, body, capture):
    with capture(execute=True):
        response = api.post(URL, data=json.dumps(body), content_type="application/json")
    return response


def test_search_runs_and_answers_the_published_shape(api, records,
                                                     django_capture_on_commit_callbacks):
    response = submit(api, {"registrantEmail": "OWNER@bad.example", "limit": 2, "page": 1},
                      django_capture_on_commit_callbacks)
    assert response.status_code == 202
    job = api.get(response["Location"]).json()
    assert job["status"] == "COMPLETED" and job["type"] == "search"
    result = job["result"]
    assert (result["source"], result["queryType"]) == ("whois", "registration_data")
    assert (result["total"], result["pageNumber"], result["pageSize"], result["totalPages"]) \
        == (5, 1, 2, 3)
    assert result["totalEstimated"] is False
    assert [i["domain"] for i in result["items"]] == ["shop2.com", "shop3.com"]
    item = result["items"][0]
    assert item["registrantEmail"] == "owner@bad.example"
    assert item["nameServers"] == ["ns1.evil-dns.net"] and item["createdDate"] == "2024-01-03"
    assert item["registrantCompany"] == "Bad Actors Ltd"


def test_query_terms_and_offset(api, records, django_capture_on_commit_callbacks):
    body = {"query": 'registrantCompany:"bad actors*" nameServer:*.evil-dns.net',
            "createdAfter": "2024-01-04", "offset": 1}
    response = submit(api, body, django_capture_on_commit_callbacks)
    result = api.get(response["Location"]).json()["result"]
    assert [i["domain"] for i in result["items"]] == ["shop4.com"] and result["total"] == 2


@pytest.mark.parametrize("body, field, problem", [
    ({}, "body", "at least one criterion"),
    ({"query": "colour:blue"}, "body", "unknown field 'colour'"),
    ({"query": 'registrantCompany:"Acme'}, "body", "unclosed quote"),
    ({"registrantEmail": "*"}, "body", "only wildcards"),
    ({"createdDate": "2024-02-30"}, "body", "not a date"),
    ({"query": "tld:com", "limit": 101}, "limit", ""),
    ({"query": "tld:com", "page": -1}, "page", ""),
    ({"query": "tld:com", "shoeSize": 9}, "shoeSize", "unknown field"),
])
def test_bad_input_is_400_naming_the_problem(api, db, body, field, problem):
    from jobs.models import Job

    response = api.post(URL, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    error = response.json()
    assert error["error"] == "validation_error"
    assert field in error["details"] and problem in error["message"]
    assert not Job.objects.exists()


def test_another_organizations_search_job_is_404(api, client, records, other_org,
                                                  django_capture_on_commit_callbacks):
    response = submit(api, {"query": "tld:com"}, django_capture_on_commit_callbacks)
    _key, raw = api_key_with_raw(other_org, name="other")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    assert client.get(response["Location"]).status_code == 404


def test_results_respect_organization_visibility(api, records, org, other_org,
                                                 django_capture_on_commit_callbacks):
    from jobs.registrations import normalize
    from jobs.registrations.store import registrations_upsert

    registrations_upsert([normalize.record({"domain": "theirs.com",
                                            "registrantEmail": "owner@bad.example"})],
                         organization_id=other_org.pk, source="whois")
    response = submit(api, {"registrantEmail": "owner@bad.example"},
                      django_capture_on_commit_callbacks)
    result = api.get(response["Location"]).json()["result"]
    assert result["total"] == 5 and "theirs.com" not in [i["domain"] for i in result["items"]]
