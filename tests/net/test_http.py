import asyncio
import ipaddress

import pytest

from jobs import clients
from jobs.net.errors import ClientError, TargetNotAllowed
from tests.net.targets import LOOPBACK_SPELLINGS
from tests.servers.certs import server_context
from tests.servers.http_server import Reply, hardened_site, leaky_site, redirect
from tests.servers.tcp_server import free_port


def run(coro):
    return asyncio.run(coro)


def fetch(url, **options):
    client_options = {k: options.pop(k) for k in list(options) if k in
                      ("verify", "max_body", "max_redirects", "timeout")}  # fmt: skip
    return run(clients.http(**client_options).fetch(url, **options))


@pytest.fixture
def site_zone(dns_zone):
    for name in ("site.test", "secure.test", "other.test", "example.test"):
        dns_zone.add(name, "A", "127.0.0.1")
    return dns_zone


def test_plain_get_by_name(site_zone, http_servers):
    server = http_servers.start(leaky_site())
    response = fetch(f"http://site.test:{server.port}/")
    assert response.status == 200
    assert response.title == "Leaky Blog & News"
    assert response.header("server") == "Apache/2.2.15 (CentOS)"
    assert response.header_values("Set-Cookie") == ["PHPSESSID=abc123; path=/"]
    assert response.final_url == f"http://site.test:{server.port}/"
    assert response.address == "127.0.0.1" and response.redirects == []
    assert server.requests[-1].headers["host"] == f"site.test:{server.port}"
    assert "WordPress 4.9.8" in response.text


def test_https_sends_sni_and_host_and_verifies_against_the_name(site_zone, http_servers,
                                                                test_certs):
    server = http_servers.start(hardened_site(), tls=server_context(test_certs.valid))
    response = fetch(f"https://secure.test:{server.port}/", verify=str(test_certs.ca_file))
    assert response.status == 200 and response.title == "Hardened Example"
    assert server.sni == ["secure.test"]
    assert server.requests[-1].headers["host"] == f"secure.test:{server.port}"
    assert response.header("strict-transport-security")


def test_https_with_unknown_ca_fails_unless_verify_is_off(site_zone, http_servers, test_certs):
    server = http_servers.start(hardened_site(), tls=server_context(test_certs.self_signed))
    with pytest.raises(ClientError, match="certificate verification failed"):
        fetch(f"https://example.test:{server.port}/")
    assert fetch(f"https://example.test:{server.port}/", verify=False).status == 200


def test_https_checks_the_name_not_the_ip(site_zone, http_servers, test_certs):
    server = http_servers.start(hardened_site(), tls=server_context(test_certs.wrong_host))
    with pytest.raises(ClientError, match="certificate verification failed"):
        fetch(f"https://secure.test:{server.port}/", verify=str(test_certs.ca_file))


def test_redirect_chain_is_followed_and_recorded(site_zone, http_servers):
    target = http_servers.start({"/end": Reply(200, [], "<title>End</title>")})
    start = http_servers.start(
        {
            "/a": redirect("/b", 301),
            "/b": redirect(f"http://other.test:{target.port}/end", 307),
        }
    )
    response = fetch(f"http://site.test:{start.port}/a")
    assert response.status == 200 and response.title == "End"
    assert response.url == f"http://site.test:{start.port}/a"
    assert response.final_url == f"http://other.test:{target.port}/end"
    assert [(r["status"], r["location"]) for r in response.redirects] == [
        (301, f"http://site.test:{start.port}/b"),
        (307, f"http://other.test:{target.port}/end"),
    ]
    assert target.requests[-1].headers["host"] == f"other.test:{target.port}"


def test_redirects_are_not_followed_on_request(site_zone, http_servers):
    server = http_servers.start({"/a": redirect("/b")})
    response = fetch(f"http://site.test:{server.port}/a", follow_redirects=False)
    assert response.status == 302 and response.header("location") == "/b"


def test_see_other_after_post_becomes_get(site_zone, http_servers):
    server = http_servers.start({"/form": Reply(303, [("Location", "/done")]), "/done": Reply()})
    fetch(f"http://site.test:{server.port}/form", method="POST")
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/form"), ("GET", "/done")]


def test_redirect_limit(site_zone, http_servers):
    server = http_servers.start({"/loop": redirect("/loop")})
    with pytest.raises(ClientError, match="more than 3 redirects"):
        fetch(f"http://site.test:{server.port}/loop", max_redirects=3)
    assert len(server.requests) == 4


@pytest.mark.parametrize("location", ["file:///etc/passwd", "gopher://site.test/", "ftp://x/"])
def test_redirects_to_other_schemes_are_refused(site_zone, http_servers, location):
    server = http_servers.start({"/a": redirect(location)})
    with pytest.raises(ClientError, match="not an http"):
        fetch(f"http://site.test:{server.port}/a")


def test_body_is_capped(site_zone, http_servers):
    server = http_servers.start({"/big": Reply(200, [], b"x" * 3_000_000)})
    response = fetch(f"http://site.test:{server.port}/big", max_body=1_000_000)
    assert response.truncated and len(response.body) == 1_000_000
    small = fetch(f"http://site.test:{server.port}/big", max_body=5_000_000)
    assert not small.truncated and len(small.body) == 3_000_000


def test_pinned_address_skips_dns(dns_zone, dns_server, http_servers):
    server = http_servers.start(hardened_site())
    response = fetch(f"http://pinned.test:{server.port}/", address="127.0.0.1")
    assert response.status == 200 and dns_server.queries == []
    assert server.requests[-1].headers["host"] == f"pinned.test:{server.port}"


def test_connection_refused(site_zone):
    with pytest.raises(ClientError, match="cannot connect"):
        fetch(f"http://site.test:{free_port()}/")


def test_unresolvable_name(dns_zone):
    with pytest.raises(ClientError, match="does not resolve"):
        fetch("http://missing.test/")


def test_as_dict(site_zone, http_servers):
    server = http_servers.start(hardened_site())
    data = fetch(f"http://site.test:{server.port}/").as_dict()
    assert data["status"] == 200 and data["headers"]["x-frame-options"] == "DENY"


# --- the policy ----------------------------------------------------------------------------


def _url(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS + ["::1", "[0:0:0:0:0:0:0:1]"])
def test_loopback_urls_are_refused_and_never_connected(dns_zone, settings, http_servers,
                                                       spelling):
    settings.ALLOWED_TARGET_NETWORKS = []
    trap = http_servers.start(hardened_site())
    with pytest.raises(ClientError):  # TargetNotAllowed, or not even a valid URL
        fetch(_url(spelling, trap.port))
    assert trap.connections == 0


@pytest.mark.parametrize("spelling", ["127.0.0.1", "0x7f.1", "2130706433", "::ffff:127.0.0.1"])
def test_loopback_urls_name_the_policy(dns_zone, settings, spelling):
    settings.ALLOWED_TARGET_NETWORKS = []
    with pytest.raises(TargetNotAllowed, match="loopback"):
        fetch(_url(spelling, 80))


def test_names_resolving_to_loopback_are_refused(dns_zone, settings, http_servers):
    settings.ALLOWED_TARGET_NETWORKS = []
    dns_zone.add("evil.test", "A", "127.0.0.1")
    trap = http_servers.start(hardened_site())
    with pytest.raises(TargetNotAllowed, match="evil.test resolves to 127.0.0.1"):
        fetch(f"http://evil.test:{trap.port}/")
    assert trap.connections == 0


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.2:{port}/",
        "http://0x7f000002:{port}/",
        "http://2130706434:{port}/",
        "http://127.0.0.2.:{port}/",
        "http://0177.0.0.2:{port}/",
        "http://[::ffff:127.0.0.2]:{port}/",
        "http://[::ffff:7f00:2]:{port}/",
        "http://trap.test:{port}/",
        "http://rebind.test:{port}/",
        "http://localhost:{port}/",
        "http://[::1]:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/latest/meta-data/",
        "http://10.0.0.1/",
        "http://192.168.0.1/",
        "http://100.64.0.1/",
        "http://[fd00::2]:{port}/",
    ],
)
def test_redirects_into_forbidden_addresses_are_refused(dns_zone, settings, http_servers,
                                                        location):
    """The first server is allowed (127.0.0.1/32 only); the trap on 127.0.0.2 is not."""
    settings.ALLOWED_TARGET_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    trap = http_servers.start(hardened_site(), host="127.0.0.2")
    dns_zone.add("start.test", "A", "127.0.0.1").add("trap.test", "A", "127.0.0.2")
    dns_zone.add("rebind.test", "A", "127.0.0.1").add("rebind.test", "A", "127.0.0.2")
    start = http_servers.start({"/go": redirect(location.format(port=trap.port))})
    with pytest.raises(TargetNotAllowed):
        fetch(f"http://start.test:{start.port}/go")
    assert len(start.requests) == 1
    assert trap.connections == 0


def test_the_leaky_sites_metadata_redirect_is_refused(site_zone, http_servers):
    server = http_servers.start(leaky_site())
    with pytest.raises(TargetNotAllowed, match="169.254.169.254"):
        fetch(f"http://site.test:{server.port}/go")


@pytest.mark.parametrize(
    "host, spellings",
    [
        ("192.0.2.2", ["192.0.2.2", "3221225986", "0xc0.0.2.2", "0300.0.2.2", "[::ffff:c000:202]"]),
        ("fd00::2", ["[fd00::2]", "[fd00:0:0:0:0:0:0:2]"]),
    ],
)
def test_local_non_public_interfaces_are_refused(dns_zone, settings, http_servers, host,
                                                 spellings):
    """This machine has a documentation-range and a unique-local address: a real
    server there must see no connection either."""
    settings.ALLOWED_TARGET_NETWORKS = []
    try:
        trap = http_servers.start(hardened_site(), host=host)
    except OSError:
        pytest.skip(f"{host} is not configured here")
    dns_zone.add("doc.test", "AAAA" if ":" in host else "A", host)
    for spelling in spellings:
        with pytest.raises(TargetNotAllowed):
            fetch(f"http://{spelling}:{trap.port}/")
    with pytest.raises(TargetNotAllowed):
        fetch(f"http://doc.test:{trap.port}/")
    assert trap.connections == 0
