"""The scan's whois module asks RDAP beside WHOIS (real servers on loopback)."""

from jobs.operations.base import make_test_context
from jobs.operations.infra_scan.result import Result, Whois
from jobs.operations.infra_scan.scan import Params
from jobs.operations.infra_scan.scan import run as run_scan
from jobs.operations.infra_scan.web_sections import whois_view
from jobs.runner import call_run
from tests.servers.rdap_server import domain_object, rdap_site
from tests.servers.tcp_server import free_port
from tests.servers.whois_server import REGISTRY_RECORD, whois_chain


def scan_whois(domain="example.test"):
    result = call_run(run_scan, Params(domain=domain, type="whois"), make_test_context())
    Result.model_validate(result)  # the section still matches the published document
    return result["modules"]["whois"]


def registry_only(whois_servers, settings):
    """A WHOIS server that knows the registry's record only: no registrant."""
    server = whois_servers.start(
        {"example.test": REGISTRY_RECORD.format(upper="EXAMPLE.TEST", registrar="")})
    settings.WHOIS_SERVER = server.server


def rdap_server(http_servers, settings, **values):
    server = http_servers.start(rdap_site({"example.test": domain_object("example.test",
                                                                         **values)}))
    settings.RDAP_SERVER = f"{server.url}/rdap/"
    return server


def test_rdap_fills_what_whois_left_empty(dns_zone, whois_servers, http_servers, settings):
    dns_zone.add("www.example.test", "A", "127.0.0.1")
    registry_only(whois_servers, settings)
    server = rdap_server(http_servers, settings, registrant="Ann Other")
    section = scan_whois("www.example.test")
    assert section["registrar"] == "Example Registrar, Inc."  # WHOIS's
    assert section["updatedDate"] == "2024-08-14T07:01:34Z"  # WHOIS's, RDAP differs
    assert section["registrantName"] == "Ann Other"  # RDAP's
    rdap = section["rdap"]
    assert rdap["configured"] and rdap["found"] and rdap["error"] is None
    assert rdap["url"] == f"{server.url}/rdap/domain/example.test"
    assert set(rdap["filled"]) == {"registrantName", "registrantOrganization",
                                   "registrantEmail", "registrantCountry"}
    assert "RDAP answered from" in whois_view(Whois.model_validate(section)).rdap


def test_rdap_alone_when_whois_does_not_answer(dns_zone, http_servers, settings):
    dns_zone.add("example.test", "A", "127.0.0.1")
    settings.WHOIS_SERVER = f"127.0.0.1:{free_port()}"
    rdap_server(http_servers, settings)
    section = scan_whois()
    assert section["found"] is True
    assert section["expiryDate"] == "2031-08-13T04:00:00Z"
    assert section["statuses"] == ["clientDeleteProhibited", "clientTransferProhibited"]
    assert section["errors"][0].startswith("WHOIS: no WHOIS server answered")
    assert section["servers"] == [] and section["raw"] == ""


def test_rdap_not_configured_is_said_in_the_result(dns_zone, whois_servers, settings):
    dns_zone.add("example.test", "A", "127.0.0.1")
    settings.WHOIS_SERVER = whois_chain(whois_servers, "example.test").root.server
    settings.RDAP_SERVER = ""
    settings.RDAP_BOOTSTRAP_FILE = ""
    section = scan_whois()
    assert section["registrantName"] == "Jane Doe"
    assert section["rdap"]["configured"] is False and section["rdap"]["found"] is False
    assert "RDAP is not configured" in section["rdap"]["error"]
    assert "not configured" in whois_view(Whois.model_validate(section)).rdap


def test_neither_answering_fails_the_module_with_both_reasons(dns_zone, settings):
    dns_zone.add("example.test", "A", "127.0.0.1")
    settings.WHOIS_SERVER = f"127.0.0.1:{free_port()}"
    settings.RDAP_SERVER = f"http://127.0.0.1:{free_port()}/"
    error = scan_whois()["error"]
    assert "no WHOIS server answered" in error and "RDAP: cannot connect" in error


def test_rdap_not_found_leaves_the_whois_answer(dns_zone, whois_servers, http_servers,
                                                settings):
    dns_zone.add("example.test", "A", "127.0.0.1")
    registry_only(whois_servers, settings)
    settings.RDAP_SERVER = http_servers.start(rdap_site({})).url
    section = scan_whois()
    assert section["found"] and section["registrantName"] is None
    assert "not found (404)" in section["rdap"]["error"]
