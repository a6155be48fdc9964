"""A TCP connect scanner, fast enough to sweep all 65,535 ports in well under a second.

Why not one asyncio coroutine per port: on loopback a refused connect costs a few
microseconds of kernel time, and a coroutine, a future and two selector registrations
per port cost ten times that in Python. The connect loop therefore runs in a worker
thread on a raw epoll set (exposed to callers as a coroutine, cancellable), in two
steps per batch:

1. start non-blocking connects for a batch of ports;
2. read each socket's pending error right away: a refusal that already arrived settles
   the port with no epoll round trip (this is nearly every port on a LAN or loopback);
   the rest wait in the epoll set, at most ``concurrency`` at a time, each for at most
   ``timeout`` seconds (no answer = filtered, reported as not open).

Only then, on the few open ports, banners are read: a short wait for services that
speak first (SSH, FTP, SMTP, ...), else one probe (HEAD for HTTP, PING for Redis).

A connection from a local port to the same local port can "succeed" on its own (TCP
simultaneous open) when scanning loopback; such self-connections are discarded.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import resource
import select
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from jobs.net import services
from jobs.net.banners import grab_banner
from jobs.net.errors import ClientError
from jobs.net.policy import STRICT, Policy, parse_literal_ip
from jobs.net.services import COMMON_PORTS

__all__ = ["COMMON_PORTS", "PortResult", "PortScan", "PortScanner", "parse_ports", "scan"]

MAX_SPEC_ITEMS = 1000
BATCH = 128
BANNER_CONCURRENCY = 50
MAX_BANNERS = 256
MAX_STALLS = 300  # x 10 ms
_RESERVED_FDS = 64
_RETRY_LATER = {errno.EMFILE, errno.ENFILE, errno.EADDRNOTAVAIL, errno.ENOBUFS, errno.EAGAIN}
_FATAL = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EACCES, errno.EPERM}


@dataclass
class PortResult:
    port: int
    protocol: str = "tcp"
    state: str = "open"
    service: str | None = None
    banner: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class PortScan:
    address: str
    ports: list[PortResult]
    scanned: int
    seconds: float
    complete: bool = True


# --- the port list ---------------------------------------------------------------------


def parse_ports(spec: Iterable[int | str] | None) -> list[int]:
    """Sorted unique ports from ints and "a-b" ranges; the common list when empty.

    Raises ValueError with a message fit for a validation error.
    """
    if spec is None:
        return list(COMMON_PORTS)
    items = list(spec)
    if not items:
        return list(COMMON_PORTS)
    if len(items) > MAX_SPEC_ITEMS:
        raise ValueError(f"at most {MAX_SPEC_ITEMS} ports or ranges")
    ports: set[int] = set()
    for item in items:
        low, high = _parse_item(item)
        ports.update(range(low, high + 1))
    return sorted(ports)


def _parse_item(item: int | str) -> tuple[int, int]:
    if isinstance(item, bool):  # True is an int to Python, never a port to a person
        raise ValueError(f"{item!r} is not a port")
    if isinstance(item, int):
        return _checked(item, item)
    if not isinstance(item, str):
        raise ValueError(f"{item!r} is not a port or range")
    low, sep, high = item.strip().partition("-")
    try:
        return _checked(int(low), int(high) if sep else int(low))
    except ValueError:
        raise ValueError(f"{item!r} is not a port or range (like 443 or \"8000-8100\")") from None


def _checked(low: int, high: int) -> tuple[int, int]:
    if not (1 <= low <= 65535 and 1 <= high <= 65535):
        raise ValueError(f"ports must be between 1 and 65535, got {low}-{high}")
    if low > high:
        raise ValueError(f"range {low}-{high} runs backwards")
    return low, high


# --- the scan --------------------------------------------------------------------------


async def scan(
    address: str,
    ports: Sequence[int] | None = None,
    *,
    timeout: float = 1.0,
    concurrency: int = 2000,
    banners: bool = True,
    banner_timeout: float = 2.0,
    deadline: float | None = None,
    policy: Policy = STRICT,
) -> PortScan:
    """Connect-scan ``address`` (an IP literal, checked by policy) and read banners.

    ``deadline`` is a ``time.monotonic()`` value; a scan that reaches it stops and
    returns what it found with ``complete=False``.
    """
    ip = _approved(address, policy)
    wanted = list(COMMON_PORTS if ports is None else ports)
    started = time.monotonic()
    found, complete = await _connect_in_thread(ip, wanted, timeout, concurrency, deadline)
    results = [PortResult(port, service=services.service_name(port)) for port in found]
    if banners and results:
        await _read_banners(ip, results, banner_timeout, deadline, policy)
    return PortScan(ip, results, len(wanted), time.monotonic() - started, complete)


def _approved(address: str, policy: Policy) -> str:
    ip = parse_literal_ip(address)
    if ip is None:
        raise ClientError(f"{address!r} is not an IP address")
    return str(policy.check_address(ip))


@dataclass
class PortScanner:
    """``scan`` with its settings bound: what the job context hands to operations."""

    policy: Policy = STRICT
    timeout: float = 1.0
    concurrency: int = 2000
    banners: bool = True
    banner_timeout: float = 2.0

    async def scan(self, address: str, ports: Sequence[int] | None = None, *,
                   deadline: float | None = None) -> PortScan:  # fmt: skip
        return await scan(address, ports, timeout=self.timeout, concurrency=self.concurrency,
                          banners=self.banners, banner_timeout=self.banner_timeout,
                          deadline=deadline, policy=self.policy)


async def _connect_in_thread(ip, ports, timeout, concurrency, deadline) -> tuple[list[int], bool]:
    stop = threading.Event()
    try:
        return await asyncio.to_thread(
            _scan_with_status, ip, ports, timeout, concurrency, stop, deadline
        )
    except asyncio.CancelledError:
        stop.set()  # the thread keeps running otherwise; it checks this between batches
        raise


def _scan_with_status(ip, ports, timeout, concurrency, stop, deadline) -> tuple[list[int], bool]:
    scanner = _ConnectScanner(ip, timeout, concurrency)
    found = scanner.run(ports, stop, deadline)
    return found, scanner.complete


class _ConnectScanner:
    def __init__(self, address: str, timeout: float, concurrency: int):
        ip = ipaddress.ip_address(address)
        self.family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
        self.target = (str(ip), 0) if ip.version == 4 else (str(ip), 0, 0, 0)
        self.timeout = timeout
        self.window = max(1, min(concurrency, _fd_budget()))
        self.complete = True
        self.open: list[int] = []
        # fd -> (socket, port, started); dicts keep insertion order, which is start
        # order, so the oldest (first to time out) are always at the front.
        self.pending: dict[int, tuple[socket.socket, int, float]] = {}
        self.retry: list[int] = []
        self.stalls = 0

    def run(self, ports: Sequence[int], stop: threading.Event | None, deadline: float | None):
        self.epoll = select.epoll()
        try:
            self._loop(list(ports), stop, deadline)
        finally:
            self._abandon_pending()
            self.epoll.close()
        return sorted(self.open)

    def _loop(self, ports: list[int], stop, deadline) -> None:
        position = 0
        while position < len(ports) or self.pending or self.retry:
            if (stop is not None and stop.is_set()) or (deadline and time.monotonic() > deadline):
                self.complete = False
                return
            room = self.window - len(self.pending)
            if room > 0 and (self.retry or position < len(ports)):
                batch = self._take_retries(room)
                take = min(room - len(batch), BATCH)
                batch += ports[position : position + take]
                position += take
                self._launch(batch)
                self._wait(0)
                self._note_stall()
            else:
                # Short naps so a cancel or the deadline is noticed within 0.1 s.
                self._wait(min(self._next_expiry(), 0.1))
            self._expire()

    def _note_stall(self) -> None:
        """Ports waiting for a free socket while none is held: the machine is out of them."""
        if not self.retry or self.pending:
            self.stalls = 0
            return
        self.stalls += 1
        if self.stalls > MAX_STALLS:
            raise ClientError("cannot open connections: out of sockets or local ports")
        time.sleep(0.01)

    def _take_retries(self, room: int) -> list[int]:
        batch, self.retry = self.retry[:room], self.retry[room:]
        return batch

    def _launch(self, batch: list[int]) -> None:
        """Connect a batch, then settle every port whose answer is already in."""
        # The hottest loop of the scanner: names are bound locally on purpose.
        started = time.monotonic()
        in_flight = []
        new_socket, family = socket.socket, self.family
        stype = socket.SOCK_STREAM | socket.SOCK_NONBLOCK
        address, extra = self.target[0], self.target[2:]
        in_progress = errno.EINPROGRESS
        for port in batch:
            try:
                sock = new_socket(family, stype)
            except OSError as exc:
                self._socket_failed(exc, port)
                continue
            code = sock.connect_ex((address, port, *extra) if extra else (address, port))
            if code == in_progress or code == 0:
                in_flight.append((sock, port))
            else:
                sock.close()
                self._connect_failed(code, port)
        sol, so_error = socket.SOL_SOCKET, socket.SO_ERROR
        register, pending = self.epoll.register, self.pending
        for sock, port in in_flight:
            code = sock.getsockopt(sol, so_error)
            if code:
                sock.close()
                self._connect_failed(code, port)
            else:
                # Connected already, or still waiting for the other side: let epoll tell.
                fd = sock.fileno()
                pending[fd] = (sock, port, started)
                register(fd, select.EPOLLOUT)

    def _socket_failed(self, exc: OSError, port: int) -> None:
        if exc.errno in _RETRY_LATER and self.pending:
            self.retry.append(port)
            return
        raise ClientError(f"cannot open a socket: {exc.strerror}")

    def _connect_failed(self, code: int, port: int) -> None:
        if code in _RETRY_LATER:
            self.retry.append(port)
        elif code in _FATAL:
            raise ClientError(f"cannot reach {self.target[0]}: {errno.errorcode.get(code, code)}")

    def _wait(self, wait: float) -> None:
        for fd, _events in self.epoll.poll(wait):
            sock, port, _started = self.pending.pop(fd)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 and _is_real(sock):
                self.open.append(port)
                _reset(sock)
            sock.close()  # closing also removes it from the epoll set

    def _next_expiry(self) -> float:
        if not self.pending:
            return 0
        _sock, _port, started = next(iter(self.pending.values()))
        return max(0.0, started + self.timeout - time.monotonic())

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.timeout
        while self.pending:
            fd, (sock, _port, started) = next(iter(self.pending.items()))
            if started > cutoff:
                return
            del self.pending[fd]
            sock.close()

    def _abandon_pending(self) -> None:
        for sock, _port, _started in self.pending.values():
            sock.close()
        self.pending.clear()


def _is_real(sock: socket.socket) -> bool:
    """False for a TCP simultaneous-open with ourselves (source port == target port)."""
    try:
        return sock.getsockname() != sock.getpeername()
    except OSError:
        return False


def _reset(sock: socket.socket) -> None:
    # Close with RST: no TIME_WAIT left on our side, and the service sees no half session.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def _fd_budget() -> int:
    """How many sockets we may hold at once, raising the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            target = 65536 if hard == resource.RLIM_INFINITY else hard
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return max(16, soft - _RESERVED_FDS - BATCH)


# --- banners ---------------------------------------------------------------------------


async def _read_banners(ip: str, results: list[PortResult], timeout: float, deadline,
                        policy: Policy) -> None:  # fmt: skip
    limit = asyncio.Semaphore(BANNER_CONCURRENCY)
    if deadline:
        timeout = max(0.1, min(timeout, deadline - time.monotonic()))

    async def one(result: PortResult) -> None:
        async with limit:
            service, banner = await grab_banner(ip, result.port, timeout, policy=policy)
            result.service = service or result.service
            result.banner = banner

    # A host that answers on every port would otherwise cost 65,535 banner reads.
    await asyncio.gather(*(one(r) for r in results[:MAX_BANNERS]))


