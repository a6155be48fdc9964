"""HTTP and HTTPS test servers on loopback (http.server in a thread).

Fixture ``http_servers`` (function) is a factory; servers stop when the test ends::

    def test_fetch(http_servers, test_certs):
        site = http_servers.start(leaky_site())                       # plain HTTP
        secure = http_servers.start(hardened_site(), tls=server_context(test_certs.valid))
        legacy = http_servers.start(tls=server_context(test_certs.valid,
                                                       minimum=ssl.TLSVersion.TLSv1))

A server records what reached it: ``connections`` (accepted TCP connections, counted
before any TLS), ``requests`` (method, path, headers) and ``sni`` (server names sent).

Routes map a path (query string ignored) to a ``Reply`` or to a function of the
``Request`` returning one; anything else is a 404. Ready-made sites:

- ``hardened_site()``: every security header, ``Server: nginx``;
- ``leaky_site()``: no security headers, ``Server: Apache/2.2.15 (CentOS)``, PHP 5.6
  and WordPress 4.9.8 fingerprints, exposed ``/.git/HEAD`` and ``/.env``, a directory
  listing at ``/uploads/``,
  and ``/go`` redirecting to the cloud metadata service (``METADATA_URL``);
- ``redirect(location, status=302)``: a reply that sends the client elsewhere.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | str = b""

    @property
    def payload(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


Route = Reply | Callable[[Request], Reply]
NOT_FOUND = Reply(404, [("Content-Type", "text/html")], "<html><title>404</title></html>")


class HttpTestServer:
    def __init__(
        self,
        routes: dict[str, Route] | None = None,
        *,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
    ):
        self.routes = dict(routes or {})
        self.host = host
        self.tls = tls
        self.connections = 0
        self.requests: list[Request] = []
        self.sni: list[str | None] = []
        if tls is not None:
            tls.sni_callback = self._record_sni
        self._server = _Server(self, host)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def start(self) -> HttpTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)

    def reply_for(self, request: Request) -> Reply:
        route = self.routes.get(urlsplit(request.path).path, NOT_FOUND)
        return route(request) if callable(route) else route

    def _record_sni(self, _sslobj, server_name, _context) -> None:
        self.sni.append(server_name)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: HttpTestServer, host: str):
        self.owner = owner
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind asks DNS for our name (getfqdn); there is no DNS here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        request = super().get_request()
        self.owner.connections += 1
        return request

    def finish_request(self, request, client_address) -> None:
        if self.owner.tls is not None:
            try:
                request = self.owner.tls.wrap_socket(
                    request, server_side=True, do_handshake_on_connect=False
                )
                request.settimeout(5)
                request.do_handshake()
            except (ssl.SSLError, OSError):
                # Protocol probes fail handshakes on purpose. (A client that sent
                # plaintext and left before the wrap makes wrap_socket raise with the
                # new socket out of reach; the garbage collector closes that one.)
                request.close()
                return
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            request.close()

    def handle_error(self, request, client_address) -> None:
        pass  # clients that hang up early are normal in scanner tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_OPTIONS = do_GET

    def _serve(self) -> None:
        request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        self.server.owner.requests.append(request)
        reply = self.server.owner.reply_for(request)
        self.send_response_only(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.payload)
        self.close_connection = True

    def finish(self) -> None:
        # The base class stops at the first stream that fails to close (a client that
        # hung up mid-TLS), leaving the other one holding the socket open.
        for stream in (self.wfile, self.rfile):
            with contextlib.suppress(OSError, ValueError):
                stream.close()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base signature
        pass


# --- ready-made sites ----------------------------------------------------------------------

METADATA_URL = "http://169.254.169.254/latest/meta-data/"

SECURITY_HEADERS = [
    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
    ("Content-Security-Policy", "default-src 'self'"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=()"),
]

HARDENED_PAGE = """<!doctype html><html><head><title>Hardened Example</title></head>
<body><h1>Welcome</h1></body></html>"""

LEAKY_PAGE = """<!doctype html><html><head>
<title>Leaky Blog &amp; News</title>
<meta name="generator" content="WordPress 4.9.8">
<link rel="stylesheet" href="/wp-content/themes/twentyseventeen/style.css?ver=4.9.8">
<script src="/wp-includes/js/jquery/jquery.js?ver=1.12.4"></script>
<script src="/static/js/jquery-1.12.4.min.js"></script>
</head><body><p>Hello</p></body></html>"""

LISTING_PAGE = """<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html><head><title>Index of /uploads</title></head><body><h1>Index of /uploads</h1>
<table><tr><td><a href="backup.zip">backup.zip</a></td></tr>
<tr><td><a href="db.sql">db.sql</a></td></tr></table></body></html>"""


def hardened_site() -> dict[str, Route]:
    headers = [("Server", "nginx"), ("Content-Type", "text/html; charset=utf-8")]
    return {"/": Reply(200, headers + SECURITY_HEADERS, HARDENED_PAGE)}


def leaky_site() -> dict[str, Route]:
    common = [("Server", "Apache/2.2.15 (CentOS)"), ("X-Powered-By", "PHP/5.6.40")]
    html = ("Content-Type", "text/html; charset=UTF-8")
    text = ("Content-Type", "text/plain")
    return {
        "/": Reply(200, [*common, html, ("Set-Cookie", "PHPSESSID=abc123; path=/")], LEAKY_PAGE),
        "/.git/HEAD": Reply(200, [*common, text], "ref: refs/heads/master\n"),
        "/.env": Reply(
            200, [*common, text], "APP_ENV=production\nDB_PASSWORD=hunter2\nAPP_KEY=base64:x\n"
        ),
        "/uploads/": Reply(200, [*common, html], LISTING_PAGE),
        "/go": redirect(METADATA_URL),
    }


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, [("Location", location), ("Content-Type", "text/plain")], "moved")


class HttpServers:
    """Starts servers for one test and stops them all afterwards."""

    def __init__(self) -> None:
        self._servers: list[HttpTestServer] = []

    def start(self, routes: dict[str, Route] | None = None, **options) -> HttpTestServer:
        server = HttpTestServer(routes, **options).start()
        self._servers.append(server)
        return server

    def stop_all(self) -> None:
        for server in self._servers:
            server.stop()


@pytest.fixture
def http_servers() -> Iterator[HttpServers]:
    servers = HttpServers()
    yield servers
    servers.stop_all()
