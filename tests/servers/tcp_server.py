"""Plain TCP listeners for port-scan and policy tests.

Fixture ``tcp_listeners`` (function) is a factory; listeners close when the test ends::

    def test_scan(tcp_listeners):
        ssh = tcp_listeners.start(banner=SSH_BANNER)          # speaks first
        redis = tcp_listeners.start(responder=redis_responder) # answers each line
        quiet = tcp_listeners.start()                          # accepts, says nothing
        trap = tcp_listeners.start(host="127.0.0.2")           # any loopback address works
        assert trap.accepted == 0                              # nobody connected

``accepted`` counts every connection the listener accepted: the policy tests assert it
stays 0. Fixture ``closed_port`` is a port on 127.0.0.1 with nothing listening.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

SSH_BANNER = b"SSH-2.0-OpenSSH_7.4\r\n"
FTP_BANNER = b"220 (vsFTPd 2.3.4)\r\n"
TELNET_BANNER = bytes([255, 251, 1, 255, 251, 3]) + b"\r\nlogin: "

Responder = Callable[[bytes], bytes | None]


def redis_responder(line: bytes) -> bytes:
    """Answers like a Redis server with no password set."""
    command = line.strip().split(b" ", 1)[0].upper()
    if command == b"PING":
        return b"+PONG\r\n"
    return b"-ERR unknown command '" + command + b"', with args beginning with: \r\n"


class TcpListener:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        banner: bytes = b"",
        responder: Responder | None = None,
    ):
        self.host = host
        self.banner = banner
        self.responder = responder
        self.accepted = 0
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(128)
        self.port = self._sock.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def start(self) -> TcpListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(timeout=2)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with conn:
            try:
                if self.banner:
                    conn.sendall(self.banner)
                self._answer_lines(conn)
            except OSError:
                pass

    def _answer_lines(self, conn: socket.socket) -> None:
        buffer = b""
        while chunk := conn.recv(4096):
            buffer += chunk
            while b"\n" in buffer and self.responder:
                line, buffer = buffer.split(b"\n", 1)
                answer = self.responder(line)
                if answer:
                    conn.sendall(answer)


class TcpListeners:
    def __init__(self) -> None:
        self._listeners: list[TcpListener] = []

    def start(self, host: str = "127.0.0.1", **options) -> TcpListener:
        listener = TcpListener(host, **options).start()
        self._listeners.append(listener)
        return listener

    def stop_all(self) -> None:
        for listener in self._listeners:
            listener.stop()


# Sockets behind the closed ports handed out, kept for the life of the test process.
_HELD: list[socket.socket] = []


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port with nothing listening, and nothing that can start listening on it.

    The port stays bound (never listening) for the rest of the test process, so a
    connection to it is refused. Released at once, it could be taken by a server that
    another test, or another process of the run, starts in the meantime: a test that
    expected "refused" then reached that server instead.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind((host, 0))
    _HELD.append(sock)
    return sock.getsockname()[1]


@pytest.fixture
def tcp_listeners() -> Iterator[TcpListeners]:
    listeners = TcpListeners()
    yield listeners
    listeners.stop_all()


@pytest.fixture
def closed_port() -> int:
    return free_port()
