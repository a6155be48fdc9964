"""A real DNS server for tests: dnslib on 127.0.0.1, UDP and TCP on one free port.

The server is started once per test session; each test gets a fresh, empty zone.

Fixtures
--------
``dns_server`` (session)
    The running ``DnsTestServer``: ``.port``, ``.address`` (("127.0.0.1", port)),
    ``.queries`` (every (name, type) asked, for assertions), ``.zone``.
``dns_zone`` (function)
    The server's ``Zone``, emptied before and after the test. It also points the
    project at the server and opens loopback, which is what nearly every test wants::

        settings.DNS_NAMESERVERS = [("127.0.0.1", dns_server.port)]
        settings.ALLOWED_TARGET_NETWORKS = [ip_network("127.0.0.0/8")]

    A test that wants loopback refused sets ``settings.ALLOWED_TARGET_NETWORKS = []``
    after asking for ``dns_zone``.

Building a zone
---------------
::

    def test_lookup(dns_zone):
        dns_zone.add("example.test", "A", "127.0.0.1")
        dns_zone.add("example.test", "MX", "10 mail.example.test.")
        dns_zone.add("example.test", "TXT", "v=spf1 -all")          # quoted for you
        dns_zone.add("example.test", "CAA", '0 issue "ca.example"')
        dns_zone.add("example.test", "SOA", "ns1.example.test. admin.example.test. 1 7200 900 9 60")
        dns_zone.add("www.example.test", "CNAME", "example.test.")   # chased within the zone
        dns_zone.add("*.wild.test", "A", "127.0.0.9")                # wildcard
        dns_zone.servfail("broken.example.test")                     # answers SERVFAIL
        dns_zone.silent("slow.example.test")                         # never answers
        dns_zone.refuse("nope.example.test")                         # answers REFUSED

Any name not added answers NXDOMAIN; a name that exists without the asked type (or
that only has names below it) answers NOERROR with no records (NODATA). Answers too big
for UDP come back truncated, so clients retry over TCP like they would on the Internet.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import threading
from collections.abc import Iterator

import pytest
from dnslib import QTYPE, RCODE, RR, DNSHeader, DNSRecord

MAX_CNAME_CHAIN = 8


class Zone:
    """Records by lower-case name without the trailing dot; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._records: dict[str, list[RR]] = {}
            self._servfail: set[str] = set()
            self._silent: set[str] = set()
            self._refused: set[str] = set()

    def add(self, name: str, rtype: str, value: str, ttl: int = 60) -> Zone:
        rtype = rtype.upper()
        if rtype in ("TXT", "SPF") and not value.startswith('"'):
            value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if rtype == "AAAA":
            # dnslib reads only plain hex, which .exploded no longer is for IPv4-mapped
            # addresses from Python 3.13 on (it writes their last 32 bits dotted).
            packed = ipaddress.IPv6Address(value).packed
            value = ":".join(packed[i:i + 2].hex() for i in range(0, 16, 2))
        records = RR.fromZone(f"{_key(name)}. {ttl} IN {rtype} {value}")
        with self._lock:
            self._records.setdefault(_key(name), []).extend(records)
        return self

    def servfail(self, name: str) -> Zone:
        self._servfail.add(_key(name))
        return self

    def silent(self, name: str) -> Zone:
        self._silent.add(_key(name))
        return self

    def refuse(self, name: str) -> Zone:
        self._refused.add(_key(name))
        return self

    def answer(self, request: DNSRecord) -> DNSRecord | None:
        """The reply to ``request``, or None to stay silent."""
        name = _key(str(request.q.qname))
        if name in self._silent:
            return None
        reply = request.reply()
        if name in self._servfail or name in self._refused:
            reply.header.rcode = RCODE.SERVFAIL if name in self._servfail else RCODE.REFUSED
            return reply
        with self._lock:
            self._fill(reply, name, request.q.qtype)
        return reply

    def _fill(self, reply: DNSRecord, name: str, qtype: int) -> None:
        for _ in range(MAX_CNAME_CHAIN):
            records = self._lookup(name)
            if records is None:
                if not reply.rr:
                    reply.header.rcode = RCODE.NXDOMAIN
                return
            wanted = [rr for rr in records if rr.rtype == qtype or qtype == QTYPE.ANY]
            cnames = [rr for rr in records if rr.rtype == QTYPE.CNAME]
            if wanted or not cnames:
                reply.add_answer(*wanted)
                return
            reply.add_answer(*cnames)
            name = _key(str(cnames[0].rdata.label))

    def _lookup(self, name: str) -> list[RR] | None:
        """Exact records, wildcard-synthesised ones, [] for empty non-terminals, or None."""
        if name in self._records:
            return self._records[name]
        if any(other.endswith("." + name) for other in self._records):
            return []
        labels = name.split(".")
        for i in range(1, len(labels)):
            wildcard = "*." + ".".join(labels[i:])
            if wildcard in self._records:
                return [_renamed(rr, name) for rr in self._records[wildcard]]
        return None


def _key(name: str) -> str:
    return name.lower().rstrip(".")


def _renamed(rr: RR, name: str) -> RR:
    return RR(rname=name + ".", rtype=rr.rtype, rclass=rr.rclass, ttl=rr.ttl, rdata=rr.rdata)


class DnsTestServer:
    """UDP and TCP listeners on the same port, one thread each (TCP: one per client)."""

    def __init__(self, zone: Zone | None = None, host: str = "127.0.0.1"):
        self.zone = zone or Zone()
        self.host = host
        self.queries: list[tuple[str, str]] = []
        self._udp, self._tcp = _bind_pair(host)
        self.port = self._udp.getsockname()[1]
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._serve_udp, daemon=True, name="dns-udp"),
            threading.Thread(target=self._serve_tcp, daemon=True, name="dns-tcp"),
        ]

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def start(self) -> DnsTestServer:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        for sock in (self._udp, self._tcp):
            _close_quietly(sock)
        for thread in self._threads:
            thread.join(timeout=2)

    def respond(self, data: bytes, *, udp: bool) -> bytes | None:
        try:
            request = DNSRecord.parse(data)
        except Exception:  # a garbage datagram must not kill the server
            return None
        self.queries.append((_key(str(request.q.qname)), QTYPE.get(request.q.qtype)))
        reply = self.zone.answer(request)
        if reply is None:
            return None
        packed = reply.pack()
        if udp and len(packed) > _udp_limit(request):
            packed = _truncated(reply).pack()
        return packed

    def _serve_udp(self) -> None:
        while not self._stopping.is_set():
            try:
                data, peer = self._udp.recvfrom(65535)
            except OSError:
                return
            packed = self.respond(data, udp=True)
            if packed is not None:
                try:
                    self._udp.sendto(packed, peer)
                except OSError:
                    pass

    def _serve_tcp(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._tcp.accept()
            except OSError:
                return
            threading.Thread(target=self._serve_tcp_client, args=(conn,), daemon=True).start()

    def _serve_tcp_client(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with conn:
            try:
                while data := _read_framed(conn):
                    packed = self.respond(data, udp=False)
                    if packed is None:
                        return
                    conn.sendall(struct.pack("!H", len(packed)) + packed)
            except OSError:
                return


def _bind_pair(host: str) -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket on the same free port (retry if TCP finds it taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(20):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((host, 0))
        tcp = socket.socket(family, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(64)
        return udp, tcp
    raise RuntimeError("no free port for the DNS test server")


def _truncated(reply: DNSRecord) -> DNSRecord:
    # dnslib's own truncate() drops the question, which clients reject as a mismatch.
    header = DNSHeader(id=reply.header.id, qr=1, aa=1, ra=1, tc=1, rcode=reply.header.rcode)
    return DNSRecord(header, q=reply.q)


def _udp_limit(request: DNSRecord) -> int:
    """512 bytes, or the payload size the client advertised with EDNS."""
    for rr in request.ar:
        if rr.rtype == QTYPE.OPT:
            return max(512, rr.rclass)
    return 512


def _read_framed(conn: socket.socket) -> bytes:
    header = _read_exactly(conn, 2)
    if not header:
        return b""
    return _read_exactly(conn, struct.unpack("!H", header)[0])


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def _close_quietly(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture(scope="session")
def dns_server() -> Iterator[DnsTestServer]:
    server = DnsTestServer().start()
    yield server
    server.stop()


@pytest.fixture
def dns_zone(dns_server: DnsTestServer, settings) -> Iterator[Zone]:
    dns_server.zone.clear()
    dns_server.queries.clear()
    settings.DNS_NAMESERVERS = [dns_server.address]
    settings.ALLOWED_TARGET_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    yield dns_server.zone
    dns_server.zone.clear()
