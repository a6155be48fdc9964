"""routing and ip_intelligence from the shipped data; the target policy; duplicates."""

from jobs.models import Observation
from jobs.operations.bulk_enrichment.result import Result
from tests.operations.bulk_enrichment.conftest import by_indicator, errors_of

SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"


def test_addresses_get_routing_and_intelligence(enrich, db):
    result = enrich(["8.8.8.8", "1.1.1[.]1", "2001:4860:4860::8888"])
    Result.model_validate(result)
    items = by_indicator(result)
    google = items["8.8.8.8"]
    assert google["type"] == "ip" and google["query"]["version"] == 4
    assert google["routing"]["as_name"] == "GOOGLE"
    assert google["routing"]["prefix"] == "8.8.8.0/24"
    assert google["geolocation"]["country"] == "US"
    assert google["ip_intelligence"]["is_public"] is True
    assert google["ip_intelligence"]["cloud"] == "Google"
    assert google["summary"]["organization"] == "GOOGLE"
    cloudflare = items["1.1.1[.]1"]
    assert cloudflare["query"]["value"] == "1.1.1.1"
    assert cloudflare["ip_intelligence"]["anycast"] == "likely"
    v6 = items["2001:4860:4860::8888"]
    assert v6["query"]["version"] == 6 and v6["routing"]["as_name"] == "GOOGLE"
    assert result["totalProcessed"] == 3 and result["successRate"] == 100.0


def test_unrecognised_and_refused_go_to_errors_and_the_job_goes_on(enrich, db):
    result = enrich(["8.8.8.8", "no such thing", "10.1.2.3", "192.168.0.0/16", SHA1])
    errors = errors_of(result)
    assert errors["no such thing"]["code"] == "UNRECOGNISED"
    assert errors["no such thing"]["type"] == "unknown" and errors["no such thing"]["error"]
    assert errors["10.1.2.3"]["code"] == "TARGET_NOT_ALLOWED"
    assert "private" in errors["10.1.2.3"]["message"]
    assert errors["192.168.0.0/16"]["type"] == "cidr"
    items = by_indicator(result)
    assert set(items) == {"8.8.8.8", SHA1}
    assert "routing" not in items[SHA1]
    assert items[SHA1]["metadata"]["skipped"] == ["ip_intelligence", "routing"]
    assert (result["totalProcessed"], result["totalFailed"], result["totalIndicators"]) == (2, 3, 5)
    assert result["successRate"] == 40.0 and result["status"] == "completed"


def test_allowed_networks_are_enriched_and_reported_as_special(enrich, db, settings):
    from ipaddress import ip_network
    settings.ALLOWED_TARGET_NETWORKS = [ip_network("10.0.0.0/8")]
    item = by_indicator(enrich(["10.1.2.3"]))["10.1.2.3"]
    assert item["ip_intelligence"]["is_public"] is False
    assert item["ip_intelligence"]["special_use"] == "a private address"


def test_duplicates_are_enriched_once_and_listed_once(enrich, db):
    result = enrich(["example[.]com", "example.com", "example[.]com", "8.8.8.8", "8.8.8.8"])
    assert [i["indicator"] for i in result["results"]] == ["example[.]com", "example.com",
                                                            "8.8.8.8"]
    assert result["totalIndicators"] == 5
    values = {i["query"]["value"] for i in result["results"]}
    assert values == {"example.com", "8.8.8.8"}


def test_names_use_the_observation_store_and_never_ask_dns(enrich, org, dns_zone, dns_server):
    dns_zone.add("seen.test", "A", "8.8.4.4")
    Observation.objects.create(organization=org, name="seen.test", rtype="A", value="8.8.4.4")
    before = len(dns_server.queries)
    result = enrich(["seen.test", "hxxp://seen[.]test/x", "unseen.test"],
                    include=("routing", "ip_intelligence", "rpki", "reputation", "historical"))
    items = by_indicator(result)
    assert items["seen.test"]["routing"]["addresses"][0]["address"] == "8.8.4.4"
    assert items["hxxp://seen[.]test/x"]["summary"]["organization"] == "GOOGLE"
    assert items["unseen.test"]["routing"]["status"] == "no_address"
    assert "observations" in items["seen.test"]["metadata"]["sources"]
    assert len(dns_server.queries) == before  # offline modules sent nothing


def test_offline_job_needs_no_dns_configuration(enrich, db, settings):
    settings.DNS_NAMESERVERS = [("192.0.2.1", 53)]  # would time out if anything asked
    result = enrich(["8.8.8.8", "example.com"], include=("routing", "reputation"))
    assert result["totalProcessed"] == 2
    assert enrich.ctx.remaining() > 55  # nothing waited for a server
