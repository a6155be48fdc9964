"""The infrastructure map's walk against a real zone on loopback DNS, TLS and WHOIS."""

import pytest
from pydantic import ValidationError

from jobs.operations.base import JobAborted, OperationError, make_test_context
from jobs.operations.infra_map import asn
from jobs.operations.infra_map.operation import Params, literal_targets, run
from jobs.operations.infra_map.result import Result
from jobs.runner import call_run
from tests.operations.infra_map_zone import start_site

RESULT_KEYS = {"startPoint", "depth", "nodes", "edges", "stats"}


@pytest.fixture
def site(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path):
    return start_site(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path)


def walk(start: str, depth: int, ctx=None) -> dict:
    result = call_run(run, Params(startPoint=start, depth=depth), ctx or make_test_context())
    Result.model_validate(result)
    return result


def node_ids(result) -> set[str]:
    return {n["id"] for n in result["nodes"]}


def edges(result) -> set[tuple[str, str, str]]:
    return {(e["source"], e["type"], e["target"]) for e in result["edges"]}


def node(result, ident) -> dict:
    return next(n for n in result["nodes"] if n["id"] == ident)


DEPTH_1 = {
    ("domain:acme.test", "resolves_to", "ip:127.0.0.1"),
    ("domain:acme.test", "uses_ns", "nameserver:ns1.dnshost.test"),
    ("nameserver:ns1.dnshost.test", "resolves_to", "ip:127.0.0.53"),
    ("domain:acme.test", "uses_mx", "mailserver:mail.acme.test"),
    ("mailserver:mail.acme.test", "resolves_to", "ip:127.0.0.25"),
    ("domain:acme.test", "shares_cert", "CERT"),
    ("domain:www.acme.test", "shares_cert", "CERT"),
    ("domain:shop.test", "shares_cert", "CERT"),
    ("domain:api.acme.test", "shares_cert", "CERT"),
    ("domain:acme.test", "registered_by", "registrant:acme corp"),
}
DEPTH_2_MORE = {
    # www.acme.test: its CNAME chain, the chain's end resolving
    ("domain:www.acme.test", "cname", "domain:edge.acme.test"),
    ("domain:edge.acme.test", "cname", "domain:cdn.acme.test"),
    ("domain:cdn.acme.test", "resolves_to", "ip:127.0.0.10"),
    # shop.test: the same address and the same nameserver as acme.test
    ("domain:shop.test", "resolves_to", "ip:127.0.0.1"),
    ("domain:shop.test", "uses_ns", "nameserver:ns1.dnshost.test"),
    # api.acme.test: a refused address, flagged, never connected to
    ("domain:api.acme.test", "resolves_to", "ip:10.0.0.5"),
    # the addresses: PTR names and the certificate the address presents without SNI
    ("ip:127.0.0.1", "reverse", "domain:host1.hosting.test"),
    ("ip:127.0.0.25", "reverse", "domain:mail.acme.test"),
    ("ip:127.0.0.1", "shares_cert", "CERT"),
}
DEPTH_3_MORE = {
    ("domain:host1.hosting.test", "resolves_to", "ip:127.0.0.1"),
    # the TLS server on 127.0.0.1 shows every name on it the same certificate
    ("domain:host1.hosting.test", "shares_cert", "CERT"),
    ("domain:mail.acme.test", "resolves_to", "ip:127.0.0.25"),
    ("ip:127.0.0.10", "reverse", "domain:cdn.acme.test"),
}


def expected(site, *sets) -> set[tuple[str, str, str]]:
    return {(s, t, site.cert_id if d == "CERT" else d) for group in sets for (s, t, d) in group}


# --- the request ----------------------------------------------------------------------------


def test_params_take_a_domain_or_an_address():
    assert Params.model_validate({"startPoint": "WWW.Acme.TEST."}).start_point == "www.acme.test"
    assert Params(startPoint="2001:db8::1").start_point == "2001:db8::1"
    assert Params(start_point="bücher.test").start_point == "xn--bcher-kva.test"
    assert Params(startPoint="acme.test").depth == 1
    assert Params(startPoint="0x7f.1").start_point == "127.0.0.1"  # judged by the policy


@pytest.mark.parametrize("body", [{"startPoint": "acme.test", "depth": 0},
                                  {"startPoint": "acme.test", "depth": 4},
                                  {"startPoint": "not a name"}, {"startPoint": ""},
                                  {"startPoint": "acme"}, {"startPoint": 12},
                                  {"startPoint": "acme.test", "extra": 1}])
def test_bad_params_are_refused(body):
    with pytest.raises(ValidationError):
        Params.model_validate(body)


def test_literal_targets_name_the_start_point():
    assert literal_targets(Params(startPoint="10.0.0.1")) == [("startPoint", "10.0.0.1")]


# --- the walk -------------------------------------------------------------------------------


def test_depth_1(site):
    result = walk("acme.test", 1)
    assert set(result) == RESULT_KEYS
    assert edges(result) == expected(site, DEPTH_1)
    assert node_ids(result) == {
        "domain:acme.test", "ip:127.0.0.1", "nameserver:ns1.dnshost.test", "ip:127.0.0.53",
        "mailserver:mail.acme.test", "ip:127.0.0.25", site.cert_id, "domain:www.acme.test",
        "domain:shop.test", "domain:api.acme.test", "registrant:acme corp"}
    cert = node(result, site.cert_id)
    assert cert["type"] == "certificate" and set(cert["data"]["sans"]) == set(
        ["acme.test", "www.acme.test", "shop.test", "api.acme.test"])
    registrant = node(result, "registrant:acme corp")["data"]
    assert registrant["registrar"] == "Test Registrar Inc." and registrant["role"] == "registrant"
    assert node(result, "mailserver:mail.acme.test")["data"]["preference"] == 10
    stats = result["stats"]
    assert stats["depthReached"] == 1 and stats["nodeCount"] == 11
    assert stats["nodesByType"]["ip"] == 3 and stats["edgesByType"]["shares_cert"] == 4
    assert stats["truncated"]["hit"] is False and stats["lookups"] > 5


def test_every_edge_says_which_lookup_made_it(site, dns_server):
    result = walk("acme.test", 1)
    by_key = {(e["source"], e["type"], e["target"]): e["provenance"] for e in result["edges"]}
    ns = by_key[("domain:acme.test", "uses_ns", "nameserver:ns1.dnshost.test")]
    assert ns["query"] == "acme.test NS" and ns["server"] == f"127.0.0.1:{dns_server.port}"
    assert ns["status"] == "NOERROR" and ns["ms"] >= 0 and ns["at"].endswith("Z")
    tls = by_key[("domain:acme.test", "shares_cert", site.cert_id)]
    assert tls["server"] == f"127.0.0.1:{site.tls.port}"
    whois = by_key[("domain:acme.test", "registered_by", "registrant:acme corp")]
    assert whois["query"] == "WHOIS acme.test" and whois["server"] == site.whois.server


def test_depth_2(site):
    result = walk("acme.test", 2)
    assert edges(result) == expected(site, DEPTH_1, DEPTH_2_MORE)
    refused = node(result, "ip:10.0.0.5")["data"]
    assert refused["refused"] is True and "private" in refused["refusedReason"]
    assert node(result, "domain:api.acme.test")["data"]["refused"] is True
    assert result["stats"]["refused"] == ["domain:api.acme.test", "ip:10.0.0.5"]
    assert result["stats"]["depthReached"] == 2


def test_depth_3(site):
    result = walk("acme.test", 3)
    assert edges(result) == expected(site, DEPTH_1, DEPTH_2_MORE, DEPTH_3_MORE)
    assert result["stats"]["depthReached"] == 3


def test_progress_is_reported_per_hop(site):
    ctx = make_test_context()
    walk("acme.test", 2, ctx)
    messages = [m for _c, _t, m in ctx.steps]
    assert "Depth 1: 0 of 1 names looked up" in messages
    assert "Depth 1: 1 of 1 names looked up" in messages
    assert any(m.startswith("Depth 2: ") and m.endswith(" of 6 names looked up")
               for m in messages)
    assert messages[-1].startswith("Mapped ")


def test_an_address_as_start_point(site):
    result = walk("127.0.0.1", 1)
    assert edges(result) == expected(site, {
        ("ip:127.0.0.1", "reverse", "domain:host1.hosting.test"),
        ("ip:127.0.0.1", "shares_cert", "CERT"),
        ("domain:acme.test", "shares_cert", "CERT"),
        ("domain:www.acme.test", "shares_cert", "CERT"),
        ("domain:shop.test", "shares_cert", "CERT"),
        ("domain:api.acme.test", "shares_cert", "CERT"),
    })


def test_the_node_budget_cuts_the_walk(site, settings):
    settings.MAP_MAX_NODES = 5
    result = walk("acme.test", 2)
    assert len(result["nodes"]) == 5
    truncated = result["stats"]["truncated"]
    assert truncated["hit"] is True and truncated["budgetReached"] is True
    assert truncated["nodeBudget"] == 5 and truncated["leftOut"]["budget"] >= 6
    assert truncated["examples"][0]["reason"] == "budget"
    # Edges only join nodes that made it.
    assert all(e["source"] in node_ids(result) and e["target"] in node_ids(result)
               for e in result["edges"])


def test_fan_out_cap(site, settings):
    settings.MAP_MAX_FANOUT = 2
    result = walk("acme.test", 1)
    siblings = [e for e in result["edges"] if e["type"] == "shares_cert"]
    assert len(siblings) == 3  # the domain itself and two of its three siblings


def test_refused_addresses_are_flagged_and_never_connected_to(site, settings):
    settings.ALLOWED_TARGET_NETWORKS = []  # loopback is refused now, like any private range
    result = walk("acme.test", 2)
    assert site.tls.connections == 0
    assert not [n for n in result["nodes"] if n["type"] == "certificate"]
    for ident in ("ip:127.0.0.1", "ip:127.0.0.53", "ip:127.0.0.25", "domain:acme.test"):
        assert node(result, ident)["data"]["refused"] is True
    # DNS still answers about them: the names and PTR records are on the map.
    assert ("ip:127.0.0.1", "reverse", "domain:host1.hosting.test") in edges(result)


def test_cancellation_between_hops(site):
    state = {"active": True, "writes": 0}

    def report(current, total, message):
        state["writes"] += 1
        if message.startswith("Depth 1: 1 of 1"):
            state["active"] = False  # cancelled while hop 1 finished
        return state["active"]

    ctx = make_test_context()
    ctx.report = report
    with pytest.raises(JobAborted):
        walk("acme.test", 3, ctx)
    # Hop 2 never started: nothing about the first hop's names was asked.
    assert state["writes"] == 2


def test_nobody_answering_fails_the_job_with_a_clear_error(dns_zone, settings):
    settings.DNS_NAMESERVERS = [("127.0.0.1", 9)]  # discard port: nothing answers
    settings.WHOIS_SERVER = "127.0.0.1:9"
    with pytest.raises(OperationError) as failure:
        walk("acme.test", 1)
    assert failure.value.code == "TARGET_UNREACHABLE"
    assert "127.0.0.1:9" in failure.value.details


# --- networks -------------------------------------------------------------------------------


def test_shipped_network_data_names_public_addresses():
    info = asn.lookup("8.8.8.8")
    assert info["name"] == "GOOGLE" and info["prefix"] == "8.8.8.0/24"
    assert info["country"] == "US" and info["number"] is None
    assert asn.node_key(info) == "name:GOOGLE"
    assert asn.lookup("2001:4860:4860::8888")["name"] == "GOOGLE"
    assert asn.lookup("127.0.0.1") is None  # reserved ranges belong to no network


def test_missing_mmdb_files_degrade_with_a_message(settings, tmp_path):
    settings.GEOIP_DIR = str(tmp_path)
    assert "no ASN .mmdb file" in asn.lookup("8.8.8.8")["unavailable"]


def test_an_address_joins_its_network(dns_zone):
    """A public address (its certificate is not asked for: hub=True, no internet here)."""
    from asgiref.sync import async_to_sync

    from jobs import clients
    from jobs.operations.infra_map.operation import Limits
    from jobs.operations.infra_map.walk import Walker

    dns_zone.add("8.8.8.8.in-addr.arpa", "PTR", "dns.google.")
    walker = Walker(clients.dns(), None, Limits.from_settings())
    found = async_to_sync(walker.expand_ip)("ip:8.8.8.8", "8.8.8.8", True)
    edges = {(p.source, p.edge, p.node) for p in found if p.source != p.node}
    assert edges == {("ip:8.8.8.8", "reverse", "domain:dns.google"),
                     ("ip:8.8.8.8", "in_asn", "asn:name:GOOGLE")}
    network = next(p for p in found if p.kind == "asn")
    assert network.label == "GOOGLE" and network.data["country"] == "US"
    assert network.provenance["server"].startswith("geoip2fast")
    assert next(p for p in found if p.kind == "ip").data["prefix"] == "8.8.8.0/24"


def test_the_shipped_data_is_freed_after_use():
    assert asn.lookup("1.1.1.1")["name"] == "CLOUDFLARENET"
    asn.release()
    from geoip2fast import geoip2fast as tables

    assert tables.mainListNamesASN == []
    assert asn.lookup("1.1.1.1")["name"] == "CLOUDFLARENET"  # loaded again on demand
