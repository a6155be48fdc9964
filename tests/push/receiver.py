"""A webhook receiver on loopback: records every request and answers as told."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    # Each request takes the next answer: (status, headers, delay seconds); the last repeats.
    answers: list[tuple[int, dict[str, str], float]] = field(default_factory=lambda: [(200, {}, 0)])
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def answer(self, *answers: tuple[int, dict[str, str], float]) -> None:
        self.answers = list(answers)

    def wait(self, count: int = 1, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            self.arrived.wait(0.05)
            self.arrived.clear()
        return self.requests


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            index = min(len(receiver.requests), len(receiver.answers) - 1)
            status, headers, delay = receiver.answers[index]
            receiver.requests.append(Received(self.path, {k.lower(): v for k, v in
                                                          self.headers.items()},
                                              body, time.monotonic()))
            receiver.arrived.set()
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "7")
                self.end_headers()
                self.wfile.write(b"thanks!")
            except OSError:
                pass  # the sender gave up waiting

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    recv = Receiver(server)
    server.RequestHandlerClass = _handler(recv)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield recv
    server.shutdown()
    server.server_close()
