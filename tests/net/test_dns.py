import asyncio
import time

import pytest

from jobs import clients
from jobs.net.dns import DnsAnswer, DnsClient
from tests.servers.tcp_server import free_port


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def zone(dns_zone):
    dns_zone.add("example.test", "A", "192.0.2.10").add("example.test", "A", "192.0.2.11")
    dns_zone.add("example.test", "AAAA", "2001:db8::10")
    dns_zone.add("example.test", "MX", "10 mail.example.test.")
    dns_zone.add("example.test", "MX", "20 backup.example.test.")
    dns_zone.add("example.test", "NS", "ns1.example.test.")
    dns_zone.add("example.test", "TXT", "v=spf1 ip4:192.0.2.0/24 -all")
    dns_zone.add("example.test", "CAA", '0 issue "ca.example"')
    dns_zone.add(
        "example.test", "SOA", "ns1.example.test. admin.example.test. 7 7200 900 1209600 300"
    )
    dns_zone.add("www.example.test", "CNAME", "example.test.")
    dns_zone.add("*.wild.test", "A", "192.0.2.99")
    dns_zone.add("deep.a.example.test", "A", "192.0.2.12")
    dns_zone.add("10.2.0.192.in-addr.arpa", "PTR", "example.test.")
    return dns_zone


def test_record_types(zone):
    client = clients.dns()
    a, aaaa, mx, ns, txt, caa, soa = run(
        client.query_many(
            [("example.test", t) for t in ("A", "AAAA", "MX", "NS", "TXT", "CAA", "SOA")]
        )
    )
    assert a.status == "NOERROR" and sorted(a.records) == ["192.0.2.10", "192.0.2.11"]
    assert a.ttl == 60
    assert aaaa.records == ["2001:db8::10"]
    assert sorted(mx.records) == ["10 mail.example.test.", "20 backup.example.test."]
    assert ns.records == ["ns1.example.test."]
    assert txt.records == ["v=spf1 ip4:192.0.2.0/24 -all"]
    assert caa.records == ['0 issue "ca.example"']
    assert soa.records[0].startswith("ns1.example.test. admin.example.test. 7 ")


def test_cname_is_followed(zone):
    answer = run(clients.dns().query("www.example.test", "A"))
    assert answer.ok and sorted(answer.records) == ["192.0.2.10", "192.0.2.11"]
    cname = run(clients.dns().query("www.example.test", "CNAME"))
    assert cname.records == ["example.test."]


def test_nxdomain_nodata_servfail_refused_and_timeout_are_told_apart(zone):
    zone.servfail("broken.example.test").refuse("nope.example.test").silent("slow.example.test")
    client = clients.dns(timeout=0.5)
    answers = run(
        client.query_many(
            [
                ("missing.example.test", "A"),
                ("example.test", "PTR"),
                ("a.example.test", "A"),  # exists only as a parent of deep.a.example.test
                ("broken.example.test", "A"),
                ("nope.example.test", "A"),
                ("slow.example.test", "A"),
            ]
        )
    )
    assert [a.status for a in answers] == [
        "NXDOMAIN", "NODATA", "NODATA", "SERVFAIL", "REFUSED", "TIMEOUT",
    ]  # fmt: skip
    assert all(a.records == [] for a in answers)


def test_timeout_is_kept(zone):
    zone.silent("slow.example.test")
    started = time.monotonic()
    answer = run(clients.dns(timeout=0.4).query("slow.example.test", "A"))
    assert answer.status == "TIMEOUT"
    assert time.monotonic() - started < 3.0  # kept, not dnspython's 5 s lifetime


def test_wildcards(zone):
    answer = run(clients.dns().query("anything.at.all.wild.test", "A"))
    assert answer.records == ["192.0.2.99"]


def test_addresses_lists_ipv4_first(zone):
    assert run(clients.dns().addresses("example.test")) == [
        "192.0.2.10", "192.0.2.11", "2001:db8::10",
    ]  # fmt: skip
    assert run(clients.dns().addresses("missing.example.test")) == []


def test_reverse(zone):
    answer = run(clients.dns().reverse("192.0.2.10"))
    assert answer.rtype == "PTR" and answer.records == ["example.test."]
    assert run(clients.dns().reverse("not-an-ip")).status == "ERROR"


def test_large_answers_fall_back_to_tcp(zone, dns_server):
    for i in range(30):
        zone.add("big.example.test", "TXT", f"{i:02d}-" + "x" * 200)
    answer = run(clients.dns().query("big.example.test", "TXT"))
    assert answer.ok and len(answer.records) == 30


def test_malformed_names_are_errors_not_exceptions(zone):
    answer = run(clients.dns().query("bad..name.test", "A"))
    assert answer.status == "ERROR" and answer.error


def test_unicode_names_are_sent_as_idna(zone, dns_server):
    zone.add("xn--bcher-kva.test", "A", "192.0.2.50")
    assert run(clients.dns().query("bücher.test", "A")).records == ["192.0.2.50"]


def test_many_queries_are_bounded_and_all_answered(zone):
    client = clients.dns(concurrency=20)
    names = [(f"host{i}.wild.test", "A") for i in range(300)]
    answers = run(client.query_many(names))
    assert len(answers) == 300 and all(a.records == ["192.0.2.99"] for a in answers)


def test_concurrency_limit_holds(zone):
    """At most ``concurrency`` queries are in flight: 6 silent names with a limit of 2
    take three rounds of the timeout."""
    for i in range(6):
        zone.silent(f"slow{i}.example.test")
    client = clients.dns(timeout=0.3, concurrency=2)
    started = time.monotonic()
    run(client.query_many([(f"slow{i}.example.test", "A") for i in range(6)]))
    assert time.monotonic() - started >= 0.85


def test_nameservers_come_from_settings_with_their_port(zone, dns_server, settings):
    assert clients.dns().nameservers == [("127.0.0.1", dns_server.port)]
    zone.add("ported.test", "A", "192.0.2.1")
    assert run(clients.dns().addresses("ported.test")) == ["192.0.2.1"]


def test_no_server_listening_reports_timeout(settings):
    settings.DNS_NAMESERVERS = [("127.0.0.1", free_port())]
    client = clients.dns(timeout=0.3)
    answers = run(client.query_many([("example.test", "A"), ("example.test", "AAAA")]))
    assert DnsClient.all_timed_out(answers)


def test_all_timed_out_helper():
    timeout = DnsAnswer("x", "A", "TIMEOUT")
    assert DnsClient.all_timed_out([timeout, timeout])
    assert not DnsClient.all_timed_out([timeout, DnsAnswer("x", "AAAA", "NXDOMAIN")])
    assert not DnsClient.all_timed_out([])


def test_one_client_works_across_event_loops(zone):
    client = clients.dns()
    assert run(client.addresses("example.test"))
    assert run(client.addresses("example.test"))
