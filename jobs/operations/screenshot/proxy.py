"""The browser's only way out: an HTTP/HTTPS forward proxy that applies the target policy.

Chromium resolves names itself, so checking the URLs a page asks for is not enough: a
name could resolve to a refused address when Chromium looks it up. Every context the
capture opens therefore sends ALL of its traffic (loopback included: the bypass list
is ``<-loopback>``) here. For each request the proxy resolves the host once with the
project's DNS client, judges the addresses with ``jobs.net.policy`` and connects to the
address it checked; a refused host gets ``403`` and is listed in ``blocked``.

- ``CONNECT host:port`` (https, wss, and ws through a proxy): tunnelled after the check.
- ``GET http://host/path`` (plain http): forwarded in origin form with
  ``Connection: close``, one request per client connection, so a connection checked for
  one host is never reused for another. (A server that ignores ``Connection: close``
  can at worst be sent more requests itself: the address stays the checked one.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from jobs.net.dns import DnsClient
from jobs.net.errors import TargetNotAllowed, Unresolvable
from jobs.net.policy import STRICT, Policy

HEAD_LIMIT = 64 * 1024
HEAD_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0
CHUNK = 64 * 1024
BLOCKED_LOG_LIMIT = 500
HOP_HEADERS = {"proxy-connection", "proxy-authorization", "connection", "keep-alive", "te",
               "upgrade-insecure-requests-proxy"}


@dataclass
class Verdict:
    address: str | None  # the checked address to connect to, or None
    reason: str = ""  # why not, for people
    refused: bool = False  # True when the target policy (not DNS or the block list) said no


DENIED = Verdict(None, "traffic outside a capture is not allowed", refused=True)


@dataclass
class ProxyLog:
    """What one capture's traffic did: where each host went and what was refused."""

    servers: dict[str, str] = field(default_factory=dict)  # "host:port" -> address
    blocked: list[dict] = field(default_factory=list)
    transferred: int = 0
    over_limit: bool = False


class PolicyProxy:
    """One proxy per capture (its own port), so its log belongs to that capture alone."""

    def __init__(self, dns: DnsClient | None, *, is_blocked: Callable[[str], bool] | None = None,
                 max_bytes: int = 0, deny_all: bool = False, policy: Policy = STRICT):
        self.dns = dns
        self.policy = policy
        self.is_blocked = is_blocked or (lambda host: False)
        self.max_bytes = max_bytes
        self.deny_all = deny_all
        self.log = ProxyLog()
        self._verdicts: dict[str, asyncio.Future] = {}
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self.port = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def verdict(self, host: str) -> Verdict:
        """Resolve and judge ``host`` once per capture; later asks share the answer."""
        if self.deny_all:
            return DENIED
        key = host.lower()
        if key not in self._verdicts:
            self._verdicts[key] = asyncio.ensure_future(self._judge(key))
        return await self._verdicts[key]

    # --- connections -------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                TimeoutError, ValueError):
            pass
        finally:
            self._tasks.discard(task)
            _close(writer)

    async def _serve(self, reader, writer) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
        if len(head) > HEAD_LIMIT:
            return await _answer(writer, 431, "Request Header Fields Too Large")
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = (lines[0].split(" ") + ["", "", ""])[:3]
        if method.upper() == "CONNECT":
            return await self._tunnel(reader, writer, target)
        await self._forward(reader, writer, method, target, version, lines[1:])

    async def _tunnel(self, reader, writer, authority: str) -> None:
        host, port = _split_authority(authority, 443)
        upstream = await self._open(writer, host, port, f"{host}:{port}")
        if upstream is None:
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await self._pipe_both(reader, writer, *upstream)

    async def _forward(self, reader, writer, method, target, version, header_lines) -> None:
        parts = urlsplit(target)
        if parts.scheme.lower() != "http" or not parts.hostname:
            return await _answer(writer, 400, "Bad Request")
        host = parts.hostname
        port = parts.port or 80
        upstream = await self._open(writer, host, port, target)
        if upstream is None:
            return
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [line for line in header_lines
                   if line and line.split(":", 1)[0].strip().lower() not in HOP_HEADERS]
        request = "\r\n".join([f"{method} {path} {version}", *headers, "Connection: close",
                               "", ""])
        upstream[1].write(request.encode("latin-1"))
        await self._pipe_both(reader, writer, *upstream)

    async def _open(self, writer, host: str, port: int, shown: str):
        verdict = await self.verdict(host)
        if verdict.address is None:
            # The browser-wide deny-all proxy lives as long as the worker: it keeps no log.
            if not self.deny_all and len(self.log.blocked) < BLOCKED_LOG_LIMIT:
                self.log.blocked.append({"url": shown, "host": host, "port": port,
                                         "reason": verdict.reason, "refused": verdict.refused})
            await _answer(writer, 403, "Forbidden")
            return None
        try:
            upstream = await asyncio.wait_for(
                asyncio.open_connection(verdict.address, port), CONNECT_TIMEOUT)
        except (OSError, TimeoutError):
            await _answer(writer, 502, "Bad Gateway")
            return None
        self.log.servers.setdefault(f"{host}:{port}", verdict.address)
        return upstream

    async def _judge(self, host: str) -> Verdict:
        if self.is_blocked(host):
            return Verdict(None, f"{host} is on the ad and tracker block list")
        try:
            addresses = await self.policy.resolve_and_check(host, self.dns)
        except TargetNotAllowed as exc:
            return Verdict(None, str(exc), refused=True)
        except Unresolvable as exc:
            return Verdict(None, str(exc))
        return Verdict(str(addresses[0]))

    async def _pipe_both(self, client_reader, client_writer, up_reader, up_writer) -> None:
        try:
            await asyncio.gather(self._pipe(client_reader, up_writer, count=False),
                                 self._pipe(up_reader, client_writer, count=True))
        finally:
            _close(up_writer)

    async def _pipe(self, reader, writer, *, count: bool) -> None:
        try:
            while data := await reader.read(CHUNK):
                if count:
                    self.log.transferred += len(data)
                    if self.max_bytes and self.log.transferred > self.max_bytes:
                        self.log.over_limit = True
                        break
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            # Half the conversation ended: end the other half too (no reuse, no leaks).
            _close(writer)


def _split_authority(authority: str, default_port: int) -> tuple[str, int]:
    if authority.startswith("["):
        host, _, rest = authority[1:].partition("]")
        port = rest.lstrip(":")
    else:
        host, _, port = authority.rpartition(":") if authority.count(":") == 1 else (
            authority, "", "")
    try:
        number = int(port) if port else default_port
    except ValueError:
        raise ValueError(f"bad port in {authority!r}") from None
    if not 0 < number < 65536:
        raise ValueError(f"bad port in {authority!r}")
    return host, number


async def _answer(writer, status: int, reason: str) -> None:
    writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n"
                 f"Connection: close\r\n\r\n".encode())
    with contextlib.suppress(OSError):
        await writer.drain()


def _close(writer) -> None:
    with contextlib.suppress(Exception):
        writer.close()
