import asyncio
import ipaddress

import pytest

from jobs import clients
from jobs.net.errors import TargetNotAllowed, Unresolvable
from jobs.net.policy import STRICT, Policy, extract_host, is_public, parse_literal_ip
from tests.net.targets import (
    ALL_FORBIDDEN,
    IPV6_LOOPBACK_SPELLINGS,
    LOOPBACK_SPELLINGS,
    PUBLIC,
)

LOCALHOST = ipaddress.ip_address("127.0.0.1")


@pytest.fixture(autouse=True)
def nothing_allowed(settings):
    settings.ALLOWED_TARGET_NETWORKS = []


# --- parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS)
def test_every_loopback_spelling_parses_to_loopback(spelling):
    ip = parse_literal_ip(spelling)
    assert ip is not None
    assert ip == LOCALHOST or ip.ipv4_mapped == LOCALHOST


@pytest.mark.parametrize("spelling", IPV6_LOOPBACK_SPELLINGS)
def test_ipv6_loopback_spellings(spelling):
    assert parse_literal_ip(spelling) == ipaddress.ip_address("::1")


@pytest.mark.parametrize(
    "spelling, expected",
    [
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("169.254.43518", "169.254.169.254"),
        ("10.1.1", "10.1.0.1"),
        ("0xa.1", "10.0.0.1"),
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("fe80::1%eth0", "fe80::1"),
        ("[fe80::1%25eth0]", "fe80::1"),
        ("%31%32%37.0.0.1", "127.0.0.1"),
    ],
)
def test_odd_spellings(spelling, expected):
    assert parse_literal_ip(spelling) == ipaddress.ip_address(expected)


@pytest.mark.parametrize(
    "name",
    ["example.com", "127.0.0.1.example.com", "0x7g.1", "08.0.0.1", "1.2.3.4.5", "256.1.1.1",
     "4294967296", "1..1", "", "::gg", "localhost", "xn--bcher-kva.de"],
)
def test_names_are_not_literals(name):
    assert parse_literal_ip(name) is None


# --- judging -----------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ALL_FORBIDDEN)
def test_every_forbidden_spelling_is_refused(spelling):
    ip = parse_literal_ip(spelling)
    assert ip is not None, spelling
    assert not STRICT.is_allowed(ip)
    with pytest.raises(TargetNotAllowed):
        STRICT.check_address(ip)
    assert STRICT.literal_refusal(spelling)


@pytest.mark.parametrize("spelling, canonical", PUBLIC.items())
def test_public_addresses_are_allowed(spelling, canonical):
    ip = parse_literal_ip(spelling)
    assert ip == ipaddress.ip_address(canonical)  # str() of IPv4-mapped varies by Python
    assert STRICT.is_allowed(ip)
    assert STRICT.literal_refusal(spelling) is None


@pytest.mark.parametrize(
    "address, words",
    [
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "metadata"),
        ("10.1.2.3", "private"),
        ("100.64.1.1", "carrier-grade NAT"),
        ("::ffff:127.0.0.1", "IPv6 form of 127.0.0.1"),
        ("fd00::1", "unique-local"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_reasons_name_the_range(address, words):
    assert words in STRICT.refusal_reason(ipaddress.ip_address(address))


def test_allowed_networks_open_loopback_and_its_mapped_form():
    policy = Policy.opening([ipaddress.ip_network("127.0.0.0/8")])
    assert policy.is_allowed(ipaddress.ip_address("127.0.0.1"))
    assert policy.is_allowed(ipaddress.ip_address("127.5.5.5"))
    assert policy.is_allowed(parse_literal_ip("::ffff:7f00:1"))
    assert not policy.is_allowed(ipaddress.ip_address("10.0.0.1"))
    assert not policy.is_allowed(ipaddress.ip_address("::1"))


def test_allowed_networks_may_be_strings():
    assert Policy.opening(["192.0.2.0/24"]).is_allowed(ipaddress.ip_address("192.0.2.2"))


def test_the_job_layer_builds_the_policy_from_settings(settings):
    settings.ALLOWED_TARGET_NETWORKS = ["127.0.0.0/8"]
    assert clients.target_policy().is_allowed(LOCALHOST)
    settings.ALLOWED_TARGET_NETWORKS = []
    assert not clients.target_policy().is_allowed(LOCALHOST)


@pytest.mark.parametrize("spelling", ALL_FORBIDDEN)
def test_public_means_what_a_strict_policy_allows(spelling):
    # One rule: opening a network for the tests never makes an address "public".
    ip = parse_literal_ip(spelling)
    assert not is_public(spelling) and not is_public(ip)
    assert is_public(ip) == STRICT.is_allowed(ip)
    assert not is_public(str(ip)) or Policy.opening(["0.0.0.0/0"]).is_allowed(ip)


@pytest.mark.parametrize("spelling", list(PUBLIC))
def test_public_addresses_are_public(spelling):
    assert is_public(spelling)


# --- literal refusal at submit time --------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "http://127.0.0.1/",
        "http://0x7f.1:8080/x",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]:443/",
        "http://user:pw@127.0.0.1/",
        "http://example.com@127.0.0.1/",
        "http://127.0.0.1\\@example.com/",
        "http://%31%32%37.0.0.1/",
        "http://2130706433/",
        "HTTP://LOCALHOST/",
        "http://admin.localhost/",
        "localhost",
        "//127.0.0.1/path",
        "127.0.0.1:8080",
        "127.1/path",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1%25eth0]/",
        " http://10.0.0.1 ",
        "http://1\t27.0.0.1/",
        "http:\\\\127.0.0.1\\x",
        "http://[127.0.0.1]/",
    ],
)
def test_literal_refusal_reads_urls_like_browsers_do(value):
    assert STRICT.literal_refusal(value)


@pytest.mark.parametrize(
    "value",
    ["example.com", "https://example.com/path", "8.8.8.8", "http://8.8.8.8:80/",
     "http://127.0.0.1.example.com/", "https://user@example.com/", "mail.example.org",
     "example.com/next?to=http://127.0.0.1/", "https://example.com/?u=http://10.0.0.1"],
)
def test_literal_refusal_leaves_names_and_public_addresses(value):
    assert STRICT.literal_refusal(value) is None


def test_extract_host():
    assert extract_host("https://user:pw@Example.com:8443/a?b#c") == "Example.com"
    assert extract_host("[::1]:80") == "[::1]"
    assert extract_host("example.com/path") == "example.com"


# --- names that resolve somewhere forbidden --------------------------------------------------


def _check(name: str):
    # The configured policy and resolver: the dns_zone fixture sets both in settings.
    return asyncio.run(clients.target_policy().resolve_and_check(name, clients.dns(timeout=0.5)))


@pytest.mark.parametrize(
    "rtype, address",
    [("A", "127.0.0.1"), ("A", "10.0.0.5"), ("A", "169.254.169.254"), ("A", "100.64.0.1"),
     ("A", "0.0.0.0"), ("AAAA", "::1"), ("AAAA", "::ffff:127.0.0.1"), ("AAAA", "fd00::2"),
     ("AAAA", "fe80::1"), ("AAAA", "64:ff9b::a9fe:a9fe")],
)
def test_names_resolving_to_forbidden_addresses_are_refused(dns_zone, settings, rtype, address):
    settings.ALLOWED_TARGET_NETWORKS = []
    dns_zone.add("evil.test", rtype, address)
    with pytest.raises(TargetNotAllowed, match="evil.test resolves to"):
        _check("evil.test")


def test_one_forbidden_address_among_public_ones_refuses_the_name(dns_zone, settings):
    settings.ALLOWED_TARGET_NETWORKS = []
    dns_zone.add("mixed.test", "A", "8.8.8.8").add("mixed.test", "A", "127.0.0.1")
    dns_zone.add("mixed.test", "AAAA", "2606:4700::1111")
    with pytest.raises(TargetNotAllowed):
        _check("mixed.test")


def test_cname_into_loopback_is_refused(dns_zone, settings):
    settings.ALLOWED_TARGET_NETWORKS = []
    dns_zone.add("inner.test", "A", "127.0.0.1").add("outer.test", "CNAME", "inner.test.")
    with pytest.raises(TargetNotAllowed):
        _check("outer.test")


def test_public_names_resolve_ipv4_first(dns_zone):
    dns_zone.add("pub.test", "AAAA", "2606:4700::1111").add("pub.test", "A", "8.8.8.8")
    assert [str(ip) for ip in _check("pub.test")] == ["8.8.8.8", "2606:4700::1111"]


def test_allowed_network_lets_a_loopback_name_through(dns_zone):
    dns_zone.add("loop.test", "A", "127.0.0.1")
    assert _check("loop.test") == [LOCALHOST]


def test_localhost_names_are_refused_without_asking_dns(dns_zone, dns_server):
    for name in ("localhost", "LOCALHOST.", "app.localhost"):
        with pytest.raises(TargetNotAllowed):
            _check(name)
    assert dns_server.queries == []


def test_literal_is_checked_without_dns(dns_zone, dns_server, settings):
    settings.ALLOWED_TARGET_NETWORKS = []
    with pytest.raises(TargetNotAllowed):
        _check("0x7f.1")
    assert dns_server.queries == []


def test_unknown_name_is_unresolvable(dns_zone):
    with pytest.raises(Unresolvable) as caught:
        _check("missing.test")
    assert not caught.value.timed_out


def test_silent_dns_is_unresolvable_and_says_so(dns_zone):
    dns_zone.silent("slow.test")
    with pytest.raises(Unresolvable, match="no DNS server answered") as caught:
        _check("slow.test")
    assert caught.value.timed_out
