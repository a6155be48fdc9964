"""options: timeouts, continue_on_error, include_failed, parallel_processing, batch_size,
max_age (the per-organization cache)."""

import json

import pytest
from pydantic import ValidationError

from jobs.models import EnrichmentCacheEntry
from jobs.operations.base import OperationError
from jobs.operations.bulk_enrichment import operation as op
from tests.operations.bulk_enrichment.conftest import by_indicator, errors_of


def test_defaults():
    params = op.Params.model_validate({"indicators": ["8.8.8.8"]})
    assert params.include == ["dns", "routing", "ip_intelligence", "reputation"]
    o = params.options
    assert (o.parallel_processing, o.batch_size, o.timeout_per_indicator, o.continue_on_error,
            o.include_failed, o.max_age) == (True, 10, 30000, True, True, 0)


@pytest.mark.parametrize("body, where", [
    ({"indicators": []}, "indicators"),
    ({"indicators": ["x"] * 10001}, "indicators"),
    ({"indicators": [1]}, "indicators.0"),
    ({"indicators": ["x"], "include": ["dns", "telepathy"]}, "include.1"),
    ({"indicators": ["x"], "include": []}, "include"),
    ({"indicators": ["x"], "options": {"batch_size": 51}}, "options.batch_size"),
    ({"indicators": ["x"], "options": {"batch_size": 0}}, "options.batch_size"),
    ({"indicators": ["x"], "options": {"timeout_per_indicator": 999}},
     "options.timeout_per_indicator"),
    ({"indicators": ["x"], "options": {"timeout_per_indicator": 120001}},
     "options.timeout_per_indicator"),
    ({"indicators": ["x"], "options": {"max_age": -1}}, "options.max_age"),
    ({"indicators": ["x"], "options": {"turbo": True}}, "options.turbo"),
])
def test_invalid_params(body, where):
    with pytest.raises(ValidationError) as caught:
        op.Params.model_validate(body)
    assert where in {".".join(map(str, e["loc"])) for e in caught.value.errors()}


def test_include_accepts_a_comma_separated_string_and_drops_repeats():
    params = op.Params.model_validate({"indicators": ["x"], "include": "dns, whois,dns"})
    assert params.include == ["dns", "whois"]


def test_an_indicator_past_its_timeout_goes_to_errors(enrich, dns_zone):
    dns_zone.silent("slow.test")
    dns_zone.add("fast.test", "A", "127.0.0.2")
    result = enrich(["slow.test", "fast.test"], include=("dns",), timeout_per_indicator=1000)
    assert errors_of(result)["slow.test"]["code"] == "TIMEOUT"
    assert errors_of(result)["slow.test"]["message"] == "no answer within 1000 ms"
    assert by_indicator(result)["fast.test"]["dns"]["A"] == ["127.0.0.2"]
    assert result["status"] == "completed"


def test_continue_on_error_off_fails_the_job_and_keeps_what_was_done(enrich, dns_zone):
    dns_zone.add("fast.test", "A", "127.0.0.2")
    dns_zone.add("inside.test", "A", "10.9.9.9")
    with pytest.raises(OperationError) as caught:
        enrich(["fast.test", "inside.test", "other.test"], include=("dns",),
               parallel_processing=False, continue_on_error=False)
    error = caught.value
    assert error.code == "TARGET_NOT_ALLOWED"
    assert error.message.startswith("inside.test: inside.test resolves to 10.9.9.9")
    details = json.loads(error.details)
    assert details["completedBeforeError"] == 1 and details["completed"] == ["fast.test"]


def test_continue_on_error_off_and_a_timeout_fails_with_its_own_code(enrich, dns_zone):
    dns_zone.silent("slow.test")
    with pytest.raises(OperationError) as caught:
        enrich(["slow.test"], include=("dns",), continue_on_error=False,
               timeout_per_indicator=1000)
    assert caught.value.code == "INDICATOR_TIMEOUT"
    assert json.loads(caught.value.details)["completedBeforeError"] == 0


def test_continue_on_error_off_does_not_stop_for_unrecognised_entries(enrich, db):
    result = enrich(["8.8.8.8", "???"], continue_on_error=False)
    assert result["totalProcessed"] == 1 and errors_of(result)["???"]["code"] == "UNRECOGNISED"


def test_include_failed_off_leaves_errors_out_but_counts_them(enrich, db):
    result = enrich(["8.8.8.8", "???", "10.0.0.1"], include_failed=False)
    assert result["errors"] == [] and result["totalFailed"] == 2
    assert result["successRate"] == pytest.approx(33.33)


def test_sequential_processing_keeps_the_order(enrich, db):
    addresses = [f"8.8.{i}.1" for i in range(30)]
    result = enrich(addresses, parallel_processing=False, batch_size=7)
    assert [i["indicator"] for i in result["results"]] == addresses


def test_progress_moves_in_batches(enrich, db, monkeypatch):
    from jobs.operations.bulk_enrichment import pool
    monkeypatch.setattr(pool, "PROGRESS_EVERY", 0)
    enrich([f"8.8.{i}.1" for i in range(25)], batch_size=10)
    steps = [current for current, _total, message in enrich.ctx.steps
             if message.startswith("Enriched")]
    assert steps == [10, 20]
    assert enrich.ctx.steps[-1] == (25, 25, "Done")


def test_recent_results_are_reused_within_max_age(enrich, dns_zone, dns_server, org):
    dns_zone.add("cached.test", "A", "127.0.0.3")
    first = enrich(["cached.test"], include=("dns", "routing"), max_age=3600)
    assert by_indicator(first)["cached.test"]["query"]["cached"] is False
    asked = len(dns_server.queries)
    second = enrich(["cached[.]test", "cached.test"], include=("dns", "routing"), max_age=3600)
    items = by_indicator(second)
    assert items["cached[.]test"]["query"]["cached"] is True
    assert items["cached[.]test"]["dns"]["A"] == ["127.0.0.3"]
    assert len(dns_server.queries) == asked  # nothing asked again
    # Another module set, or max_age 0, looks up afresh.
    enrich(["cached.test"], include=("dns",), max_age=3600)
    assert len(dns_server.queries) > asked
    assert EnrichmentCacheEntry.objects.filter(organization=org).count() == 2


def test_the_cache_is_per_organization(enrich, db, other_org):
    from jobs.operations.bulk_enrichment import cache
    cache.cache_write(org_id=other_org.id, modules={"routing"},
                      items={"8.8.8.8": {"query": {"cached": False}, "poisoned": True}})
    item = by_indicator(enrich(["8.8.8.8"], include=("routing",), max_age=3600))["8.8.8.8"]
    assert item["query"]["cached"] is False and "poisoned" not in item
