"""Infrastructure map, depth 3, against a generated zone of ~5,000 names on loopback DNS.

The zone (served by the test suite's dnslib server on 127.0.0.1):

    corp.bench        A x70 (127.1.0.1..70)   NS ns1.corp.bench   MX 10 mx.corp.bench
    127.1.0.k         PTR x70 -> h<k>-<j>.corp.bench   (4,900 names)
    h<k>-<j>.corp.bench   A 127.2.x.y   NS ns1.corp.bench   MX 10 mx.corp.bench

Depth 1 finds the 70 addresses, depth 2 their 4,900 PTR names, depth 3 looks every one
of those up (CNAME, NS, MX, A, AAAA, and a TLS connection to 127.2.x.y on a closed port).
Each round runs:

- ours: the ``infra_map`` operation in-process (``call_run``), the job's wall time;
- baseline: a bare dnspython asyncio loop (``dns.asyncresolver``, the same concurrency)
  issuing exactly the DNS questions the server saw during our run, to the same server.

Lookups per second = DNS questions the server answered / wall time of each side. Rounds
alternate which side goes first. Prints a table and RATIO lines.

    .venv/bin/python bench/infra_map.py [--rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import dns.asyncresolver  # noqa: E402
import dns.exception  # noqa: E402
import dns.nameserver  # noqa: E402
import dns.resolver  # noqa: E402
from django.conf import settings  # noqa: E402

from bench.common import load_average, median, ratio, table, verdict  # noqa: E402
from jobs.operations.base import make_test_context  # noqa: E402
from jobs.operations.infra_map.operation import Params, run  # noqa: E402
from jobs.runner import call_run  # noqa: E402
from tests.servers.dns_server import DnsTestServer, Zone  # noqa: E402
from tests.servers.tcp_server import free_port  # noqa: E402

ADDRESSES = 70
NAMES_PER_ADDRESS = 70
# DNS questions in flight, the map's client and the baseline alike. The Python test
# server answers a few thousand a second at best; more in flight only queues and times out.
CONCURRENCY = 64
TARGET_RATIO = 0.8
TARGET_SECONDS = 10.0


def build_zone() -> Zone:
    zone = Zone()
    zone.add("corp.bench", "NS", "ns1.corp.bench.")
    zone.add("corp.bench", "MX", "10 mx.corp.bench.")
    zone.add("ns1.corp.bench", "A", "127.0.0.53")
    zone.add("mx.corp.bench", "A", "127.0.0.25")
    n = 0
    for k in range(1, ADDRESSES + 1):
        zone.add("corp.bench", "A", f"127.1.0.{k}")
        for j in range(NAMES_PER_ADDRESS):
            name = f"h{k}-{j}.corp.bench"
            zone.add(f"{k}.0.1.127.in-addr.arpa", "PTR", f"{name}.")
            zone.add(name, "A", f"127.2.{n // 250}.{n % 250 + 1}")
            zone.add(name, "NS", "ns1.corp.bench.")
            zone.add(name, "MX", "10 mx.corp.bench.")
            n += 1
    return zone


class ServerProcess:
    """The DNS server in a process of its own, so neither side's Python competes with it
    for one interpreter lock (on the Internet the server is elsewhere too)."""

    def __init__(self):
        self._conn, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        self.port = self._conn.recv()

    def take_queries(self) -> list[tuple[str, str]]:
        self._conn.send("take")
        return self._conn.recv()

    def stop(self) -> None:
        self._conn.send("stop")
        self._process.join(timeout=5)


def _serve(conn) -> None:
    server = DnsTestServer(build_zone()).start()
    conn.send(server.port)
    while (command := conn.recv()) != "stop":
        if command == "take":
            taken, server.queries[:] = list(server.queries), []
            conn.send(taken)
    server.stop()


def configure(port: int) -> None:
    settings.DNS_NAMESERVERS = [("127.0.0.1", port)]
    settings.ALLOWED_TARGET_NETWORKS = ["127.0.0.0/8"]
    settings.WHOIS_SERVER = f"127.0.0.1:{free_port()}"  # nothing listens: refused at once
    settings.MAP_TLS_PORT = free_port()
    settings.MAP_MAX_NODES = 20000
    settings.MAP_CONCURRENCY = CONCURRENCY // 4


def ours(server: ServerProcess) -> tuple[float, list[tuple[str, str]], dict]:
    server.take_queries()
    started, cpu = time.perf_counter(), time.process_time()
    result = call_run(run, Params(startPoint="corp.bench", depth=3), make_test_context(600))
    elapsed = time.perf_counter() - started
    result["stats"]["cpu"] = time.process_time() - cpu
    return elapsed, server.take_queries(), result["stats"]


async def _bare(server: ServerProcess, questions: list[tuple[str, str]]) -> int:
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver("127.0.0.1", server.port)]
    resolver.timeout, resolver.lifetime = 1.0, 2.0
    limit = asyncio.Semaphore(CONCURRENCY)
    lost: list[str] = []

    async def ask(name: str, rtype: str) -> None:
        async with limit:
            try:
                await resolver.resolve(name, rtype, raise_on_no_answer=False, search=False)
            except dns.resolver.NXDOMAIN:
                pass
            except dns.exception.Timeout:
                lost.append(name)

    await asyncio.gather(*(ask(name, rtype) for name, rtype in questions))
    return len(lost)


def baseline(server: ServerProcess, questions: list[tuple[str, str]]) -> tuple[float, int, float]:
    started, cpu = time.perf_counter(), time.process_time()
    lost = asyncio.run(_bare(server, questions))
    elapsed = time.perf_counter() - started
    server.take_queries()
    return elapsed, lost, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one round")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    server = ServerProcess()
    configure(server.port)
    questions: list[tuple[str, str]] = []
    print(f"infra_map depth 3, {ADDRESSES * NAMES_PER_ADDRESS + ADDRESSES + 3} names in the "
          f"zone, {rounds} round(s), load {load_average()}")
    rows, walls, rates, base_rates = [], [], [], []
    try:
        for round_ in range(rounds):
            first_ours = round_ % 2 == 0
            if not first_ours:
                baseline(server, questions)  # warm the server's path the same way
            wall, questions, stats = ours(server)
            base, lost, base_cpu = baseline(server, questions)
            rate, base_rate = len(questions) / wall, len(questions) / base
            walls.append(wall)
            rates.append(rate)
            base_rates.append(base_rate)
            rows.append([round_ + 1, stats["nodeCount"], stats["edgeCount"], len(questions),
                         stats["unanswered"], lost, wall, base, stats["cpu"], base_cpu,
                         base_rate, rate, ratio(rate, base_rate)])
    finally:
        server.stop()
    print(table(["round", "nodes", "edges", "DNS questions", "map lost", "bare lost", "map s",
                 "bare s", "map cpu s", "bare cpu s", "bare q/s", "map q/s", "ratio"], rows))
    lookups_ratio = median([ratio(r, b) for r, b in zip(rates, base_rates, strict=True)])
    wall = median(walls)
    print(f"RATIO infra_map_lookups_per_second {lookups_ratio:.2f} "
          f"({verdict(lookups_ratio, TARGET_RATIO, higher_is_better=True)})")
    print(f"WALL infra_map_depth3_seconds {wall:.2f} "
          f"({verdict(wall, TARGET_SECONDS, higher_is_better=False)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
