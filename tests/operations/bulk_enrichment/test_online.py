"""dns and whois (with RDAP) against loopback servers; historical from the observation store."""

from jobs.models import Observation
from tests.operations.bulk_enrichment.conftest import by_indicator, errors_of
from tests.servers.rdap_server import domain_object, rdap_site
from tests.servers.whois_server import REGISTRY_RECORD, whois_chain


def mail_zone(zone):
    zone.add("example.test", "A", "127.0.0.10")
    zone.add("example.test", "AAAA", "::1")
    zone.add("example.test", "MX", "10 mail.example.test.")
    zone.add("example.test", "NS", "ns1.example.test.")
    zone.add("example.test", "TXT", "v=spf1 ip4:127.0.0.10 -all")
    zone.add("_dmarc.example.test", "TXT", "v=DMARC1; p=reject; rua=mailto:d@example.test")
    zone.add("www.example.test", "CNAME", "example.test.")


def test_dns_for_names_addresses_and_emails(enrich, dns_zone, settings):
    from ipaddress import ip_network
    settings.ALLOWED_TARGET_NETWORKS = [ip_network("127.0.0.0/8"), ip_network("::1/128")]
    mail_zone(dns_zone)
    dns_zone.add("10.0.0.127.in-addr.arpa", "PTR", "host.example.test.")
    result = enrich(["example[.]test", "127.0.0.10", "someone[@]example.test",
                     "hxxp://www.example[.]test/login"], include=("dns", "routing"))
    items = by_indicator(result)
    name = items["example[.]test"]["dns"]
    assert name["A"] == ["127.0.0.10"] and name["MX"] == ["10 mail.example.test."]
    assert name["NS"] == ["ns1.example.test."] and name["TXT"] == ["v=spf1 ip4:127.0.0.10 -all"]
    assert name["AAAA"] == ["::1"] and name["status"] == "NOERROR"
    assert [r["address"] for r in items["example[.]test"]["routing"]["addresses"]] == \
        ["127.0.0.10", "::1"]
    assert items["127.0.0.10"]["dns"]["PTR"] == ["host.example.test."]
    mail = items["someone[@]example.test"]["dns"]
    assert mail["MX"] == ["10 mail.example.test."]
    assert mail["SPF"]["record"] == "v=spf1 ip4:127.0.0.10 -all"
    assert mail["DMARC"]["policy"] == "reject"
    url = items["hxxp://www.example[.]test/login"]
    assert url["dns"]["CNAME"] == ["example.test."]
    assert url["summary"]["addresses"] == ["127.0.0.10", "::1"]


def test_a_name_resolving_to_a_refused_address_is_an_error(enrich, dns_zone, settings):
    settings.ALLOWED_TARGET_NETWORKS = []
    dns_zone.add("inside.test", "A", "10.0.0.5")
    dns_zone.add("outside.test", "A", "8.8.8.8")
    result = enrich(["inside.test", "outside.test"], include=("dns",))
    assert errors_of(result)["inside.test"]["code"] == "TARGET_NOT_ALLOWED"
    assert "resolves to 10.0.0.5" in errors_of(result)["inside.test"]["message"]
    assert by_indicator(result)["outside.test"]["dns"]["A"] == ["8.8.8.8"]


def test_dns_answers_are_recorded_for_history(enrich, dns_zone, org):
    dns_zone.add("example.test", "A", "127.0.0.10")
    enrich(["example.test"], include=("dns",))
    # The test context has no recorder; the runner's Recorder is what stores; here the
    # historical module reads what an earlier job stored.
    Observation.objects.create(organization=org, name="example.test", rtype="A",
                               value="127.0.0.10")
    item = by_indicator(enrich(["example.test", "127.0.0.10"], include=("historical",)))
    assert item["example.test"]["historical"]["seen"] is True
    assert item["example.test"]["historical"]["first_seen"].endswith("Z")
    assert item["127.0.0.10"]["relationships"]["names_seen_on_address"] == ["example.test"]


def test_history_is_per_organization(enrich, dns_zone, other_org):
    Observation.objects.create(organization=other_org, name="example.test", rtype="A",
                               value="127.0.0.10")
    item = by_indicator(enrich(["example.test"], include=("historical",)))["example.test"]
    assert item["historical"] == {"subject": "example.test", "seen": False,
                                  "first_seen": None, "last_seen": None}


def test_whois_registration(enrich, dns_zone, whois_servers, settings):
    chain = whois_chain(whois_servers, "example.test")
    settings.WHOIS_SERVER = chain.root.server
    item = by_indicator(enrich(["www.example[.]test"], include=("whois",)))["www.example[.]test"]
    registration = item["registration"]
    assert registration["query"] == "example.test"
    assert registration["registrar"] == "Example Registrar, Inc."
    assert registration["createdDate"].startswith("1995-08-14")
    assert registration["expiresDate"].startswith("2030-08-13")
    assert registration["nameServers"] == ["ns1.example.test", "ns2.example.test"]
    assert "clientDeleteProhibited" in registration["statuses"]
    assert registration["registrant"]["organization"] == "Example Widgets Ltd"


def test_whois_failure_is_a_module_error_not_an_indicator_error(enrich, dns_zone, settings,
                                                                 closed_port):
    settings.WHOIS_SERVER = f"127.0.0.1:{closed_port}"
    result = enrich(["example.test"], include=("whois",))
    item = by_indicator(result)["example.test"]
    assert "registration" not in item
    assert "no WHOIS server answered" in item["metadata"]["errors"]["whois"]
    assert result["totalFailed"] == 0


# --- RDAP, asked with WHOIS ----------------------------------------------------------------


def test_rdap_fills_the_registration_whois_left_empty(enrich, dns_zone, whois_servers,
                                                      http_servers, settings):
    registry = whois_servers.start(
        {"example.test": REGISTRY_RECORD.format(upper="EXAMPLE.TEST", registrar="")})
    settings.WHOIS_SERVER = registry.server
    rdap = http_servers.start(rdap_site({"example.test": domain_object("example.test")}))
    settings.RDAP_SERVER = rdap.url + "/rdap"
    item = by_indicator(enrich(["example.test", "127.0.0.9"], include=("whois",)))
    registration = item["example.test"]["registration"]
    assert registration["registrar"] == "Example Registrar, Inc."
    assert registration["registrant"]["name"] == "Jane Doe"
    assert registration["rdap"]["found"] is True
    assert "registrantName" in registration["rdap"]["filled"]
    assert item["example.test"]["metadata"]["sources"] == ["whois", "rdap"]
    assert "rdap" not in item["127.0.0.9"].get("registration", {})  # RDAP asks about domains
    assert [r.path for r in rdap.requests] == ["/rdap/domain/example.test"]


def test_rdap_answers_when_whois_does_not(enrich, dns_zone, http_servers, settings,
                                          closed_port):
    settings.WHOIS_SERVER = f"127.0.0.1:{closed_port}"
    rdap = http_servers.start(rdap_site({"example.test": domain_object("example.test")}))
    settings.RDAP_SERVER = rdap.url + "/rdap/"
    item = by_indicator(enrich(["example.test"], include=("whois",)))["example.test"]
    registration = item["registration"]
    assert registration["expiresDate"] == "2031-08-13T04:00:00Z"
    assert registration["errors"][0].startswith("WHOIS: no WHOIS server answered")
    assert item["metadata"]["sources"] == ["rdap"]


def test_rdap_not_configured_is_said(enrich, dns_zone, whois_servers, settings):
    settings.WHOIS_SERVER = whois_chain(whois_servers, "example.test").root.server
    settings.RDAP_SERVER = settings.RDAP_BOOTSTRAP_FILE = ""
    registration = by_indicator(enrich(["example.test"], include=("whois",)))[
        "example.test"]["registration"]
    assert registration["registrant"]["name"] == "Jane Doe"
    assert registration["rdap"]["configured"] is False
    assert "RDAP is not configured" in registration["rdap"]["error"]
