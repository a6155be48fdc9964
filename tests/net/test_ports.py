import asyncio
import ipaddress
import socket
import time

import pytest

from jobs import clients
from jobs.net import ports
from jobs.net.errors import ClientError, TargetNotAllowed
from jobs.net.ports import COMMON_PORTS, parse_ports
from tests.net.targets import IPV6_LOOPBACK_SPELLINGS, LOOPBACK_SPELLINGS
from tests.servers.certs import server_context
from tests.servers.http_server import hardened_site
from tests.servers.tcp_server import (
    FTP_BANNER,
    SSH_BANNER,
    TELNET_BANNER,
    free_port,
    redis_responder,
)


@pytest.fixture
def loopback_allowed(settings):
    settings.ALLOWED_TARGET_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]


def run(coro):
    return asyncio.run(coro)


def scan(address, wanted=None, **options):
    # The configured policy (the tests open loopback in settings, or close it).
    return ports.scan(address, wanted, policy=clients.target_policy(), **options)


# --- the port list ---------------------------------------------------------------------------


def test_parse_ports_defaults_to_the_common_list():
    assert parse_ports(None) == COMMON_PORTS == sorted(set(COMMON_PORTS))
    assert parse_ports([]) == COMMON_PORTS
    assert 90 <= len(COMMON_PORTS) <= 130
    assert {22, 80, 443, 3389, 6379, 27017} <= set(COMMON_PORTS)


def test_parse_ports_reads_ints_and_ranges():
    assert parse_ports([443, "8000-8003", "22", 80, 443, " 81 - 82 "]) == [
        22, 80, 81, 82, 443, 8000, 8001, 8002, 8003,
    ]  # fmt: skip
    assert len(parse_ports(["1-65535"])) == 65535


@pytest.mark.parametrize(
    "spec",
    [[0], [65536], ["0-10"], ["10-5"], ["a-b"], ["80-"], [True], [1.5], [None], [-1],
     list(range(1, 1002))],
)
def test_parse_ports_rejects_nonsense(spec):
    with pytest.raises(ValueError):
        parse_ports(spec)


# --- scanning --------------------------------------------------------------------------------


def test_scan_finds_open_ports_and_reads_banners(loopback_allowed, tcp_listeners, http_servers):
    ssh = tcp_listeners.start(banner=SSH_BANNER)
    ftp = tcp_listeners.start(banner=FTP_BANNER)
    telnet = tcp_listeners.start(banner=TELNET_BANNER)
    redis = tcp_listeners.start(responder=redis_responder)
    quiet = tcp_listeners.start()
    web = http_servers.start(hardened_site())
    closed = free_port()
    wanted = [ssh.port, ftp.port, telnet.port, redis.port, quiet.port, web.port, closed]

    result = run(scan("127.0.0.1", wanted, banner_timeout=1.0))

    found = {r.port: r for r in result.ports}
    assert set(found) == set(wanted) - {closed}
    assert (found[ssh.port].service, found[ssh.port].banner) == ("ssh", "SSH-2.0-OpenSSH_7.4")
    assert found[ftp.port].service == "ftp" and "vsFTPd 2.3.4" in found[ftp.port].banner
    assert found[telnet.port].service == "telnet"
    assert found[redis.port].service == "redis" and found[redis.port].banner == "+PONG"
    assert found[web.port].service == "http"
    assert found[web.port].banner == "HTTP/1.1 200 OK | Server: nginx"
    assert found[quiet.port].banner is None
    assert all(r.protocol == "tcp" and r.state == "open" for r in result.ports)
    assert result.scanned == len(wanted) and result.complete


def test_tls_services_are_recognised_on_any_port(loopback_allowed, http_servers, test_certs):
    secure = http_servers.start(hardened_site(), tls=server_context(test_certs.valid))
    [result] = run(scan("127.0.0.1", [secure.port])).ports
    assert result.service == "https"
    assert result.banner == "HTTP/1.1 200 OK | Server: nginx | TLSv1.3"


@pytest.fixture
def own_loopback(worker_id) -> str:
    """A loopback address for this test process alone (127/8 is all loopback on Linux):
    a full-range scan of it never touches the servers of tests running in parallel."""
    n = 0 if worker_id == "master" else int(worker_id.removeprefix("gw")) + 1
    return f"127.77.{n // 250}.{n % 250 + 1}"


def test_full_range_scan_is_complete(loopback_allowed, tcp_listeners, own_loopback):
    # How fast, beside nmap, is bench/portscan.py's question, not a test's.
    listeners = [tcp_listeners.start(own_loopback) for _ in range(3)]
    result = run(scan(own_loopback, parse_ports(["1-65535"]), banners=False))
    assert {lst.port for lst in listeners} <= {r.port for r in result.ports}
    assert result.scanned == 65535 and result.complete


def test_ipv6_loopback(settings, tcp_listeners):
    settings.ALLOWED_TARGET_NETWORKS = [ipaddress.ip_network("::1/128")]
    listener = tcp_listeners.start(host="::1", banner=SSH_BANNER)
    result = run(scan("::1", [listener.port, free_port("::1")]))
    assert [(r.port, r.service) for r in result.ports] == [(listener.port, "ssh")]


def test_unanswered_connects_time_out(loopback_allowed, own_loopback):
    # A listener whose accept queue is full drops further SYNs without an answer, as a
    # filtering firewall does; no traffic leaves the machine.
    with socket.socket() as silent, socket.socket() as filler:
        silent.bind((own_loopback, 0))
        silent.listen(0)
        filler.connect(silent.getsockname())  # fills the queue; nobody accepts
        port = silent.getsockname()[1]
        result = run(scan(own_loopback, [port], timeout=0.3))
    assert result.ports == [] and result.complete


def test_deadline_stops_the_scan(loopback_allowed):
    result = run(scan("127.0.0.1", [1, 2, 3], deadline=time.monotonic() - 1))
    assert not result.complete and result.ports == []


def test_cancellation_stops_the_thread(loopback_allowed, own_loopback):
    # The port never answers (a full accept queue drops SYNs): only cancelling ends it
    # before its 30 s timeout.
    with socket.socket() as silent, socket.socket() as filler:
        silent.bind((own_loopback, 0))
        silent.listen(0)
        filler.connect(silent.getsockname())
        port = silent.getsockname()[1]

        async def cancel_soon():
            task = asyncio.create_task(scan(own_loopback, [port], timeout=30))
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        started = time.monotonic()
        run(cancel_soon())
        assert time.monotonic() - started < 20


def test_names_are_not_scanned(loopback_allowed):
    with pytest.raises(ClientError, match="not an IP address"):
        run(scan("example.test", [80]))


def test_self_connections_are_not_open_ports():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        sock.connect(sock.getsockname())  # TCP simultaneous open with itself
    except OSError:
        pytest.skip("this kernel refuses self-connections")
    with sock:
        assert not ports._is_real(sock)


# --- the policy ------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS)
def test_loopback_spellings_are_refused_and_never_connected(settings, tcp_listeners, spelling):
    settings.ALLOWED_TARGET_NETWORKS = []
    trap = tcp_listeners.start("127.0.0.1")
    with pytest.raises(TargetNotAllowed):
        run(scan(spelling, [trap.port]))
    time.sleep(0.05)
    assert trap.accepted == 0


@pytest.mark.parametrize("spelling", IPV6_LOOPBACK_SPELLINGS)
def test_ipv6_loopback_spellings_are_refused(settings, tcp_listeners, spelling):
    settings.ALLOWED_TARGET_NETWORKS = []
    trap = tcp_listeners.start("::1")
    with pytest.raises(TargetNotAllowed):
        run(scan(spelling, [trap.port]))
    assert trap.accepted == 0


@pytest.mark.parametrize(
    "host, spellings",
    [
        ("192.0.2.2", ["192.0.2.2", "3221225986", "0xc0.0.2.2", "0300.0.2.2", "::ffff:c000:202"]),
        ("fd00::2", ["fd00::2", "[fd00::2]", "fd00:0:0:0:0:0:0:2"]),
    ],
)
def test_local_non_public_interfaces_are_refused(settings, tcp_listeners, host, spellings):
    """This machine has a documentation-range and a unique-local address: real
    listeners there must see no connection either."""
    settings.ALLOWED_TARGET_NETWORKS = []
    try:
        trap = tcp_listeners.start(host)
    except OSError:
        pytest.skip(f"{host} is not configured here")
    for spelling in spellings:
        with pytest.raises(TargetNotAllowed):
            run(scan(spelling, [trap.port]))
    assert trap.accepted == 0


def test_grab_banner_checks_the_policy_too(settings, tcp_listeners):
    settings.ALLOWED_TARGET_NETWORKS = []
    trap = tcp_listeners.start(banner=SSH_BANNER)
    with pytest.raises(TargetNotAllowed):
        run(ports.grab_banner("127.0.0.1", trap.port, policy=clients.target_policy()))
    assert trap.accepted == 0
