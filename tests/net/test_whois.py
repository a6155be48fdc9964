import asyncio
import ipaddress

import pytest

from jobs import clients
from jobs.net.errors import ClientError, TargetNotAllowed
from jobs.net.whois import normalise_date, parse_whois, split_server
from tests.net.targets import LOOPBACK_SPELLINGS
from tests.servers.tcp_server import free_port
from tests.servers.whois_server import REGISTRY_RECORD, whois_chain


def lookup(query, **options):
    return asyncio.run(clients.whois(**options).lookup(query))


def test_referral_chain_from_the_root(dns_zone, settings, whois_servers):
    chain = whois_chain(whois_servers, "example.test")
    settings.WHOIS_SERVER = chain.root.server
    result = lookup("example.test")

    assert result.found
    assert result.servers == [chain.root.server, chain.registry.server, chain.registrar.server]
    assert result.server == chain.registrar.server
    fields = result.fields
    assert fields["registrar"] == "Example Registrar, Inc."
    assert fields["registrarIanaId"] == "376"
    assert fields["creationDate"] == "1995-08-14T04:00:00Z"
    assert fields["updatedDate"] == "2024-08-14T07:01:34Z"
    assert fields["expiryDate"] == "2030-08-13T04:00:00Z"
    assert fields["nameServers"] == ["ns1.example.test", "ns2.example.test"]
    assert fields["statuses"] == ["clientDeleteProhibited", "clientTransferProhibited"]
    assert fields["registrantName"] == "Jane Doe"
    assert fields["registrantOrganization"] == "Example Widgets Ltd"
    assert fields["registrantEmail"] == "hostmaster@example.test"
    assert fields["registrantCountry"] == "GB"
    assert fields["dnssec"] == "signedDelegation"
    assert "Registrar IANA ID: 376" in result.raw
    for server in (chain.root, chain.registry, chain.registrar):
        assert server.queries == ["example.test"]


def test_configured_server_is_asked_directly(dns_zone, whois_servers):
    registry = whois_servers.start(
        {"example.test": REGISTRY_RECORD.format(upper="EXAMPLE.TEST", registrar="")}
    )
    result = lookup("EXAMPLE.test.", server=registry.server)
    assert result.servers == [registry.server]
    assert result.fields["registrar"] == "Example Registrar, Inc."


def test_unicode_domains_are_asked_as_idna(dns_zone, whois_servers):
    server = whois_servers.start({})
    lookup("bücher.test", server=server.server)
    assert server.queries == ["xn--bcher-kva.test"]


def test_server_names_are_resolved_through_dns(dns_zone, whois_servers):
    dns_zone.add("whois.registry.test", "A", "127.0.0.1")
    server = whois_servers.start({"example.test": "Registrar: Named Registrar\n"})
    result = lookup("example.test", server=f"whois.registry.test:{server.port}")
    assert result.fields["registrar"] == "Named Registrar"


def test_not_found(dns_zone, whois_servers):
    server = whois_servers.start({})
    result = lookup("nothing.test", server=server.server)
    assert not result.found
    assert result.fields["registrar"] is None and "No match" in result.raw


def test_nobody_answers(dns_zone):
    with pytest.raises(ClientError, match="no WHOIS server answered"):
        lookup("example.test", server=f"127.0.0.1:{free_port()}")


def test_unreachable_default_server_is_a_clear_error(dns_zone, settings):
    settings.WHOIS_SERVER = ""
    with pytest.raises(ClientError, match="no WHOIS server answered.*whois.iana.org"):
        lookup("example.test", timeout=1)


def test_broken_referral_keeps_what_was_found(dns_zone, whois_servers):
    registry = whois_servers.start(
        {"example.test": REGISTRY_RECORD.format(upper="EXAMPLE.TEST",
                                                registrar=f"127.0.0.1:{free_port()}")}
    )
    result = lookup("example.test", server=registry.server)
    assert result.found and result.fields["registrar"] == "Example Registrar, Inc."
    assert "refused" in result.errors[0] or "cannot reach" in result.errors[0]


def test_referral_loops_stop(dns_zone, whois_servers):
    looping = whois_servers.start({})
    looping.answers["example.test"] = f"refer: {looping.server}\n"
    result = lookup("example.test", server=looping.server)
    assert result.servers == [looping.server]


# --- the policy ----------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS)
def test_forbidden_servers_are_refused_and_never_connected(dns_zone, settings, whois_servers,
                                                           spelling):
    settings.ALLOWED_TARGET_NETWORKS = []
    trap = whois_servers.start({})
    host = f"[{spelling.strip('[]')}]" if ":" in spelling else spelling
    with pytest.raises(TargetNotAllowed):
        lookup("example.test", server=f"{host}:{trap.port}")
    assert trap.accepted == 0


def test_referral_into_a_forbidden_address_is_not_followed(dns_zone, settings, whois_servers):
    settings.ALLOWED_TARGET_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    trap = whois_servers.start({}, host="127.0.0.2")
    dns_zone.add("whois.trap.test", "A", "127.0.0.2")
    for referral in (trap.server, f"0x7f000002:{trap.port}", f"whois.trap.test:{trap.port}",
                     f"whois://[::ffff:127.0.0.2]:{trap.port}"):
        registry = whois_servers.start(
            {"example.test": REGISTRY_RECORD.format(upper="EXAMPLE.TEST", registrar=referral)}
        )
        result = lookup("example.test", server=registry.server)
        assert result.servers == [registry.server]
        assert "not an allowed target" in result.errors[0] or "resolves to" in result.errors[0]
    assert trap.accepted == 0


def test_name_resolving_to_loopback_is_refused(dns_zone, settings, whois_servers):
    settings.ALLOWED_TARGET_NETWORKS = []
    dns_zone.add("whois.evil.test", "A", "127.0.0.1")
    trap = whois_servers.start({})
    with pytest.raises(TargetNotAllowed, match="resolves to 127.0.0.1"):
        lookup("example.test", server=f"whois.evil.test:{trap.port}")
    assert trap.accepted == 0


# --- parsing ---------------------------------------------------------------------------------


def test_parse_other_registry_styles():
    text = """
domain:       EXAMPLE.RU
nserver:      ns1.example.ru.
nserver:      ns2.example.ru.
state:        REGISTERED, DELEGATED, VERIFIED
org:          Example LLC
registrar:    RU-CENTER-RU
created:      2004-01-28T20:00:00Z
paid-till:    2027-01-29T21:00:00Z
"""
    fields = parse_whois(text)
    assert fields["registrar"] == "RU-CENTER-RU"
    assert fields["nameServers"] == ["ns1.example.ru", "ns2.example.ru"]
    assert fields["registrantOrganization"] == "Example LLC"
    assert fields["expiryDate"] == "2027-01-29T21:00:00Z"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2030-08-13T04:00:00Z", "2030-08-13T04:00:00Z"),
        ("2030-08-13T04:00:00.0Z", "2030-08-13T04:00:00Z"),
        ("2030-08-13", "2030-08-13T00:00:00Z"),
        ("13-Aug-2030", "2030-08-13T00:00:00Z"),
        ("2030.08.13", "2030-08-13T00:00:00Z"),
        ("2030-08-13 04:00:00 UTC", "2030-08-13T04:00:00Z"),
        ("before 1996", "before 1996"),
    ],
)
def test_normalise_date(text, expected):
    assert normalise_date(text) == expected


@pytest.mark.parametrize(
    "server, expected",
    [
        ("whois.example", ("whois.example", 43)),
        ("whois.example:4343", ("whois.example", 4343)),
        ("whois://whois.example:4343/", ("whois.example", 4343)),
        ("[::1]:4343", ("::1", 4343)),
        ("[::1]", ("::1", 43)),
    ],
)
def test_split_server(server, expected):
    assert split_server(server) == expected
