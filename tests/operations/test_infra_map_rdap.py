"""The map's registered_by edges with RDAP asked beside WHOIS (loopback servers)."""

import pytest

from tests.operations.infra_map_zone import start_site
from tests.operations.test_infra_map import node, walk
from tests.servers.rdap_server import domain_object, rdap_site
from tests.servers.tcp_server import free_port


@pytest.fixture
def site(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path):
    return start_site(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path)


def rdap_for_acme(http_servers, settings, **values):
    server = http_servers.start(rdap_site({"acme.test": domain_object("acme.test", **values)}))
    settings.RDAP_SERVER = server.url + "/rdap/"
    return server


def registered_by(result) -> dict:
    return next(e for e in result["edges"] if e["type"] == "registered_by")


def test_rdap_fills_the_registrant_whois_left_out(site, http_servers, settings):
    server = rdap_for_acme(http_servers, settings, organization="Acme Corp",
                           email="dns@acme.test")
    result = walk("acme.test", 1)
    data = node(result, "registrant:acme corp")["data"]
    assert data["registrar"] == "Test Registrar Inc."  # WHOIS's, RDAP says otherwise
    assert data["registrantEmail"] == "dns@acme.test"  # RDAP's
    provenance = registered_by(result)["provenance"]
    assert provenance["query"] == "WHOIS and RDAP acme.test"
    assert provenance["server"] == f"{site.whois.server}, {server.url}/rdap/domain/acme.test"
    assert result["stats"]["rdap"] == {"configured": True, "asked": 1, "found": 1,
                                       "errors": []}


def test_rdap_alone_when_whois_is_silent(site, http_servers, settings):
    settings.WHOIS_SERVER = f"127.0.0.1:{free_port()}"
    rdap_for_acme(http_servers, settings, organization="Acme Holdings")
    result = walk("acme.test", 1)
    assert node(result, "registrant:acme holdings")["data"]["role"] == "registrant"
    assert registered_by(result)["provenance"]["query"] == "RDAP acme.test"


def test_rdap_not_configured_is_in_the_stats(site, settings):
    settings.RDAP_SERVER = settings.RDAP_BOOTSTRAP_FILE = ""
    result = walk("acme.test", 1)
    assert registered_by(result)["provenance"]["query"] == "WHOIS acme.test"
    rdap = result["stats"]["rdap"]
    assert rdap["configured"] is False and "RDAP is not configured" in rdap["message"]
