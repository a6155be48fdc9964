"""WHOIS (TCP, RFC 3912) test servers: one query line in, text out, connection closed.

Fixture ``whois_servers`` (function) is a factory. A three-step referral chain as on
the Internet (IANA -> registry -> registrar) is built with ``whois_chain``::

    def test_lookup(whois_servers, settings):
        chain = whois_chain(whois_servers, "example.test")
        settings.WHOIS_SERVER = chain.root.server        # "127.0.0.1:<port>"

Each server records ``queries`` and counts ``accepted`` connections. ``answers`` maps a
lower-case query to its text; other queries get ``missing`` ("No match for ...").
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest


class WhoisTestServer:
    def __init__(self, answers: dict[str, str], *, host: str = "127.0.0.1", missing: str = ""):
        self.answers = {k.lower(): v for k, v in answers.items()}
        self.missing = missing or 'No match for "{query}".\r\n'
        self.queries: list[str] = []
        self.accepted = 0
        self._sock = socket.create_server((host, 0))
        self.host, self.port = host, self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> WhoisTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(timeout=2)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with conn:
            try:
                query = _read_line(conn)
                self.queries.append(query)
                text = self.answers.get(query.lower(), self.missing.format(query=query))
                conn.sendall(text.encode())
            except OSError:
                pass


def _read_line(conn: socket.socket) -> str:
    data = b""
    while b"\n" not in data and len(data) < 1024:
        chunk = conn.recv(1024)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace").strip()


REGISTRY_RECORD = """   Domain Name: {upper}
   Registry Domain ID: 2336799_DOMAIN_TEST-VRSN
   Registrar WHOIS Server: {registrar}
   Registrar URL: http://www.registrar.test
   Updated Date: 2024-08-14T07:01:34Z
   Creation Date: 1995-08-14T04:00:00Z
   Registry Expiry Date: 2030-08-13T04:00:00Z
   Registrar: Example Registrar, Inc.
   Registrar IANA ID: 376
   Domain Status: clientDeleteProhibited https://icann.org/epp#clientDeleteProhibited
   Domain Status: clientTransferProhibited https://icann.org/epp#clientTransferProhibited
   Name Server: NS1.EXAMPLE.TEST
   Name Server: NS2.EXAMPLE.TEST
   DNSSEC: signedDelegation
>>> Last update of whois database: 2026-01-01T00:00:00Z <<<
"""

REGISTRAR_RECORD = """Domain Name: {domain}
Registrar WHOIS Server: {registrar}
Registrar: Example Registrar, Inc.
Registrar IANA ID: 376
Creation Date: 1995-08-14T04:00:00Z
Registrar Registration Expiration Date: 2030-08-13T04:00:00Z
Registrant Name: Jane Doe
Registrant Organization: Example Widgets Ltd
Registrant Country: GB
Registrant Email: hostmaster@example.test
Name Server: ns1.example.test
Name Server: ns2.example.test
DNSSEC: signedDelegation
"""

IANA_RECORD = """% IANA WHOIS server
% for more information on IANA, visit http://www.iana.org

refer:        {registry}

domain:       {tld}
organisation: Test Registry Services
whois:        {registry}
status:       ACTIVE
"""


@dataclass
class WhoisChain:
    root: WhoisTestServer
    registry: WhoisTestServer
    registrar: WhoisTestServer


class WhoisServers:
    def __init__(self) -> None:
        self._servers: list[WhoisTestServer] = []

    def start(self, answers: dict[str, str], **options) -> WhoisTestServer:
        server = WhoisTestServer(answers, **options).start()
        self._servers.append(server)
        return server

    def stop_all(self) -> None:
        for server in self._servers:
            server.stop()


def whois_chain(servers: WhoisServers, domain: str) -> WhoisChain:
    """IANA-like root -> registry -> registrar, all on loopback, answering ``domain``."""
    registrar = servers.start({})
    registrar.answers[domain] = REGISTRAR_RECORD.format(domain=domain, registrar=registrar.server)
    registry = servers.start(
        {domain: REGISTRY_RECORD.format(upper=domain.upper(), registrar=registrar.server)}
    )
    tld = domain.rsplit(".", 1)[-1]
    root = servers.start({domain: IANA_RECORD.format(registry=registry.server, tld=tld.upper())})
    return WhoisChain(root, registry, registrar)


@pytest.fixture
def whois_servers() -> Iterator[WhoisServers]:
    servers = WhoisServers()
    yield servers
    servers.stop_all()
