import asyncio
import ipaddress
import json

import pytest

from jobs import clients
from jobs.net.errors import ClientError, TargetNotAllowed
from jobs.net.rdap import (
    Bootstrap,
    NoRdapServer,
    RdapBadAnswer,
    RdapClient,
    RdapNotConfigured,
    RdapNotFound,
    RdapRateLimited,
    domain_url,
    fields,
    retry_after,
)
from tests.servers.certs import server_context
from tests.servers.http_server import Reply, redirect
from tests.servers.rdap_server import (
    bootstrap_file,
    domain_object,
    error_reply,
    rdap_reply,
    rdap_site,
)
from tests.servers.tcp_server import free_port


def lookup(name, **options):
    return asyncio.run(clients.rdap(**options).domain(name))


@pytest.fixture
def rdap_zone(dns_zone):
    for name in ("rdap.test", "registry.test"):
        dns_zone.add(name, "A", "127.0.0.1")
    return dns_zone


def test_found_over_https_by_name(rdap_zone, http_servers, test_certs):
    server = http_servers.start(rdap_site({"example.test": domain_object("example.test")}),
                                tls=server_context(test_certs.valid))
    rdap_zone.add("secure.test", "A", "127.0.0.1")
    answer = lookup("Example.TEST.", server=f"https://secure.test:{server.port}/rdap/",
                    verify=str(test_certs.ca_file))
    assert answer.query == "example.test"
    assert answer.url == f"https://secure.test:{server.port}/rdap/domain/example.test"
    assert answer.address == "127.0.0.1"
    assert answer.document["ldhName"] == "example.test"
    request = server.requests[-1]
    assert request.path == "/rdap/domain/example.test"
    assert "application/rdap+json" in request.headers["accept"]
    assert server.sni == ["secure.test"]


def test_fields_read_like_whois():
    got = fields(domain_object("example.test"))
    assert got == {
        "registrar": "Example Registrar, Inc.", "registrarIanaId": "376",
        "creationDate": "1995-08-14T04:00:00Z", "updatedDate": "2025-02-01T10:00:00Z",
        "expiryDate": "2031-08-13T04:00:00Z", "registrantName": "Jane Doe",
        "registrantOrganization": "Example Widgets Ltd",
        "registrantEmail": "hostmaster@example.test", "registrantCountry": "GB",
        "dnssec": "signedDelegation",
        "nameServers": ["ns1.example.test", "ns2.example.test"],
        "statuses": ["clientDeleteProhibited", "clientTransferProhibited"],
    }  # fmt: skip


def test_fields_of_a_bare_object_are_empty():
    got = fields({"objectClassName": "domain", "ldhName": "x.test", "status": ["active"],
                  "entities": "nonsense", "events": [{"eventAction": "registration"}]})
    assert got["registrar"] is None and got["creationDate"] is None
    assert got["statuses"] == ["ok"] and got["nameServers"] == []


def test_unicode_names_are_asked_as_a_labels(rdap_zone, http_servers):
    server = http_servers.start(rdap_site({}))
    with pytest.raises(RdapNotFound):
        lookup("bücher.test", server=f"http://rdap.test:{server.port}/rdap")
    assert server.requests[-1].path == "/rdap/domain/xn--bcher-kva.test"


def test_not_found_is_a_typed_error(rdap_zone, http_servers):
    server = http_servers.start(rdap_site({}))
    with pytest.raises(RdapNotFound, match="not found") as caught:
        lookup("missing.test", server=f"http://rdap.test:{server.port}/rdap/")
    assert caught.value.status == 404
    assert isinstance(caught.value, ClientError)


@pytest.mark.parametrize("header, seconds", [("120", 120.0), (None, None)])
def test_rate_limited_carries_retry_after(rdap_zone, http_servers, header, seconds):
    extra = [("Retry-After", header)] if header else []
    server = http_servers.start({"/domain/example.test": error_reply(429, "Slow down", extra)})
    with pytest.raises(RdapRateLimited, match="rate limited") as caught:
        lookup("example.test", server=f"http://rdap.test:{server.port}")
    assert caught.value.retry_after == seconds


def test_retry_after_as_a_date():
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: now
    assert retry_after("soon") is None and retry_after("") is None


def test_other_statuses_name_the_error_title(rdap_zone, http_servers):
    server = http_servers.start({"/domain/example.test": error_reply(503, "Maintenance")})
    with pytest.raises(ClientError, match=r"HTTP 503 \(Maintenance\)"):
        lookup("example.test", server=f"http://rdap.test:{server.port}")


@pytest.mark.parametrize("reply, reason", [
    (Reply(200, [("Content-Type", "application/rdap+json")], "{not json"), "not JSON"),
    (Reply(200, [("Content-Type", "application/json")], b"\xff\xfe{}"), "not JSON"),
    (Reply(200, [("Content-Type", "text/html")], "<html>hello</html>"), "content type text/html"),
    (Reply(200, [("Content-Type", "application/rdap+json")], "[1, 2]"), "not an RDAP domain"),
    (rdap_reply({"objectClassName": "entity", "handle": "X"}), "not an RDAP domain"),
])  # fmt: skip
def test_bad_answers_are_refused(rdap_zone, http_servers, reply, reason):
    server = http_servers.start({"/domain/example.test": reply})
    with pytest.raises(RdapBadAnswer, match=reason):
        lookup("example.test", server=f"http://rdap.test:{server.port}")


def test_plain_json_content_type_is_accepted(rdap_zone, http_servers):
    document = domain_object("example.test")
    reply = Reply(200, [("Content-Type", "application/json; charset=utf-8")], json.dumps(document))
    server = http_servers.start({"/domain/example.test": reply})
    assert lookup("example.test", server=f"http://rdap.test:{server.port}").document == document


def test_oversized_answers_are_refused_not_cut(rdap_zone, http_servers):
    document = domain_object("example.test")
    document["remarks"] = [{"description": ["x" * 5000]}]
    server = http_servers.start({"/domain/example.test": rdap_reply(document)})
    with pytest.raises(RdapBadAnswer, match="larger than 2048 bytes"):
        lookup("example.test", server=f"http://rdap.test:{server.port}", max_answer=2048)


def test_redirects_are_followed_and_checked(rdap_zone, http_servers):
    registry = http_servers.start(rdap_site({"example.test": domain_object("example.test")}))
    start = http_servers.start(
        {"/domain/example.test": redirect(f"http://registry.test:{registry.port}"
                                          "/rdap/domain/example.test", 301)})
    answer = lookup("example.test", server=f"http://rdap.test:{start.port}/")
    assert answer.document["ldhName"] == "example.test"
    assert answer.redirects[0]["status"] == 301


@pytest.mark.parametrize("location", ["http://127.0.0.2:{port}/domain/example.test",
                                      "http://trap.test:{port}/domain/example.test",
                                      "http://169.254.169.254/latest/meta-data/",
                                      "http://[::ffff:7f00:2]:{port}/"])
def test_redirect_to_a_non_public_address_is_refused(dns_zone, settings, http_servers,
                                                     location):
    """Only 127.0.0.1 is opened; the trap on 127.0.0.2 must see no connection."""
    settings.ALLOWED_TARGET_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    dns_zone.add("rdap.test", "A", "127.0.0.1").add("trap.test", "A", "127.0.0.2")
    trap = http_servers.start(rdap_site({"example.test": domain_object("example.test")}),
                              host="127.0.0.2")
    start = http_servers.start(
        {"/domain/example.test": redirect(location.format(port=trap.port))})
    with pytest.raises(TargetNotAllowed):
        lookup("example.test", server=f"http://rdap.test:{start.port}")
    assert trap.connections == 0


def test_servers_on_loopback_are_refused_by_default(dns_zone, settings, http_servers):
    settings.ALLOWED_TARGET_NETWORKS = []
    dns_zone.add("rdap.test", "A", "127.0.0.1")
    trap = http_servers.start(rdap_site({"example.test": domain_object("example.test")}))
    for server in (f"http://rdap.test:{trap.port}", f"http://0x7f.1:{trap.port}",
                   f"http://[::ffff:127.0.0.1]:{trap.port}"):
        with pytest.raises(TargetNotAllowed):
            lookup("example.test", server=server)
    assert trap.connections == 0


def test_unreachable_server(rdap_zone):
    with pytest.raises(ClientError, match="cannot connect"):
        lookup("example.test", server=f"http://rdap.test:{free_port()}")


def test_observer_sees_each_document_found(rdap_zone, http_servers):
    seen = []
    server = http_servers.start(rdap_site({"example.test": domain_object("example.test")}))
    client = clients.rdap(server=f"http://rdap.test:{server.port}/rdap", observer=seen.append)
    asyncio.run(client.domain("example.test"))
    with pytest.raises(RdapNotFound):
        asyncio.run(client.domain("missing.test"))
    assert [d["ldhName"] for d in seen] == ["example.test"]


# --- where the servers come from -------------------------------------------------------------


def test_not_configured_says_so(settings):
    settings.RDAP_SERVER = ""
    settings.RDAP_BOOTSTRAP_FILE = ""
    client = clients.rdap()
    assert not client.configured
    with pytest.raises(RdapNotConfigured, match="RDAP_SERVER.*RDAP_BOOTSTRAP_FILE"):
        asyncio.run(client.domain("example.test"))


def test_setting_names_the_one_server(rdap_zone, settings, http_servers):
    server = http_servers.start(rdap_site({"example.test": domain_object("example.test")}))
    settings.RDAP_SERVER = f"http://rdap.test:{server.port}/rdap/"
    assert clients.rdap().configured
    assert lookup("example.test").server == settings.RDAP_SERVER


def test_bootstrap_file_picks_the_longest_suffix(rdap_zone, settings, http_servers, tmp_path):
    tld = http_servers.start(rdap_site({"example.test": domain_object("example.test")}))
    second = http_servers.start(rdap_site({"a.co.test": domain_object("a.co.test")}, "/v1"))
    path = tmp_path / "dns.json"
    path.write_text(bootstrap_file([
        (["test", "other"], [f"http://rdap.test:{tld.port}/rdap/"]),
        (["co.test"], [f"http://registry.test:{second.port}/v1"]),
    ]))
    settings.RDAP_SERVER = ""
    settings.RDAP_BOOTSTRAP_FILE = str(path)
    assert lookup("example.test").server == f"http://rdap.test:{tld.port}/rdap/"
    assert lookup("a.co.test").url == f"http://registry.test:{second.port}/v1/domain/a.co.test"
    with pytest.raises(NoRdapServer, match=r"no server for \.invalid"):
        lookup("example.invalid")


def test_unusable_bootstrap_file_is_not_configured(settings, tmp_path):
    path = tmp_path / "dns.json"
    path.write_text('{"version": "1.0"}')
    settings.RDAP_SERVER = ""
    settings.RDAP_BOOTSTRAP_FILE = str(path)
    with pytest.raises(RdapNotConfigured, match="unusable.*services"):
        lookup("example.test")
    settings.RDAP_BOOTSTRAP_FILE = str(tmp_path / "absent.json")
    assert not clients.rdap().configured


def test_bootstrap_prefers_https():
    data = Bootstrap.from_json(bootstrap_file([(["test"], ["http://a.test/", "https://a.test/"])]))
    assert data.base_url("x.TEST") == "https://a.test/"
    assert data.base_url("x.example") is None
    with pytest.raises(ValueError, match="not JSON"):
        Bootstrap.from_json("nope")


def test_domain_url_joins_with_one_slash():
    assert domain_url("https://r.test/v1/", "a.test") == "https://r.test/v1/domain/a.test"
    assert domain_url("https://r.test/v1", "a.test") == "https://r.test/v1/domain/a.test"


def test_client_without_dns_options_is_usable():
    assert RdapClient().configured is False


# --- a thin registry's link to the registrar ------------------------------------------------


def _thin(name: str, registrar_url: str, **kinds) -> dict:
    """A thin registry's answer: no registrant, a link to the registrar's answer."""
    document = domain_object(name)
    document["entities"] = [e for e in document["entities"] if "registrant" not in e["roles"]]
    document["links"] = [
        {"rel": "self", "href": f"http://rdap.test/rdap/domain/{name}",
         "type": "application/rdap+json"},
        {"rel": "related", "href": registrar_url,
         "type": kinds.get("kind", "application/rdap+json")},
    ]
    return document


def _registrar_site(http_servers, name="example.test", **options):
    return http_servers.start(rdap_site({name: domain_object(
        name, registrant="Jo Registrant", registrar="Registrar's Own Name", **options)},
        prefix="/registrar"))


def test_a_thin_registrys_link_to_the_registrar_is_followed(rdap_zone, http_servers):
    rdap_zone.add("rdap.registrar.test", "A", "127.0.0.1")
    registrar = _registrar_site(http_servers)
    link = f"http://rdap.registrar.test:{registrar.port}/registrar/domain/example.test"
    registry = http_servers.start(rdap_site({"example.test": _thin("example.test", link)}))
    seen = []
    client = clients.rdap(server=f"http://rdap.test:{registry.port}/rdap", observer=seen.append)
    answer = asyncio.run(client.domain("example.test"))
    assert answer.registrar.url == link and answer.registrar_error is None
    got = answer.fields
    assert got["registrantName"] == "Jo Registrant"        # only the registrar has it
    assert got["registrar"] == "Example Registrar, Inc."   # the registry's value stays
    assert len(seen) == 2 and registrar.requests[-1].path == "/registrar/domain/example.test"
    outcome = asyncio.run(client.attempt("example.test")).as_dict()
    assert outcome["registrar"] == {"url": link, "error": None}


def test_a_failing_registrar_is_noted_not_fatal(rdap_zone, http_servers):
    registrar = _registrar_site(http_servers, name="other.test")   # 404 for example.test
    link = f"http://rdap.test:{registrar.port}/registrar/domain/example.test"
    registry = http_servers.start(rdap_site({"example.test": _thin("example.test", link)}))
    answer = lookup("example.test", server=f"http://rdap.test:{registry.port}/rdap")
    assert answer.registrar is None and "not found (404)" in answer.registrar_error
    assert answer.fields["registrar"] == "Example Registrar, Inc."
    assert answer.fields["registrantName"] is None


def test_the_registrar_link_obeys_the_target_policy(dns_zone, settings, http_servers):
    """The registry is on an allowed address, the registrar's link is not."""
    settings.ALLOWED_TARGET_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    dns_zone.add("rdap.test", "A", "127.0.0.1").add("trap.test", "A", "127.0.0.2")
    trap = http_servers.start(rdap_site({"example.test": domain_object("example.test")},
                                        prefix="/registrar"), host="127.0.0.2")
    link = f"http://trap.test:{trap.port}/registrar/domain/example.test"
    registry = http_servers.start(rdap_site({"example.test": _thin("example.test", link)}))
    answer = lookup("example.test", server=f"http://rdap.test:{registry.port}/rdap")
    assert answer.registrar is None and answer.registrar_error
    assert trap.connections == 0


@pytest.mark.parametrize("link", [
    {"rel": "related", "href": "http://x.test/domain/example.test", "type": "text/html"},
    {"rel": "about", "href": "http://x.test/domain/example.test",
     "type": "application/rdap+json"},
    {"rel": "related", "href": "http://x.test/help", "type": "application/rdap+json"},
    {"rel": "related", "href": "ftp://x.test/domain/example.test",
     "type": "application/rdap+json"},
    {"rel": "related", "href": "http://rdap.test/rdap/domain/example.test",
     "type": "application/rdap+json"},                       # the answer itself
])
def test_only_an_rdap_domain_link_elsewhere_is_followed(link):
    from jobs.net.rdap import registrar_link

    document = {"links": [link]}
    assert registrar_link(document, "http://rdap.test/rdap/domain/example.test") is None
