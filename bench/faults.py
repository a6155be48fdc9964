"""Pieces shared by the soak and load runs: loopback target servers, a private Redis,
an ASGI web server on a fixed port, and the /proc process tree.

The private Redis (``--save "" --appendonly no``, a free loopback port) exists so a run
can shut its broker down and start it again without touching the machine's shared Redis:
whatever was queued in it is gone after the restart, as after a real broker crash.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.common import PYTHON, ROOT, Bench, _tail, free_port

# One process serves every target the jobs reach: DNS (dnslib zone), a web page and WHOIS.
SERVE_TARGETS = """
import json, sys, time
sys.path.insert(0, {root!r})
from tests.servers.dns_server import DnsTestServer
from tests.servers.http_server import HttpTestServer, hardened_site
from tests.servers.whois_server import WhoisTestServer
dns = DnsTestServer().start()
for name in ("example.com", "soak.example.com", "www.example.com"):
    dns.zone.add(name, "A", "127.0.0.1")
    dns.zone.add(name, "MX", "10 mail.example.com.")
    dns.zone.add(name, "NS", "ns1.example.com.")
    dns.zone.add(name, "TXT", "v=spf1 -all")
dns.zone.add("mail.example.com", "A", "127.0.0.2")
dns.zone.add("ns1.example.com", "A", "127.0.0.3")
dns.zone.add("1.0.0.127.in-addr.arpa", "PTR", "www.example.com.")
web = HttpTestServer(hardened_site()).start()
whois = WhoisTestServer({{"example.com": "Domain Name: EXAMPLE.COM\\r\\nRegistrar: Bench\\r\\n"}})
whois.start()
print(json.dumps({{"dns": dns.port, "http": web.url, "whois": whois.server}}), flush=True)
while True:
    time.sleep(3600)
"""


def start_targets(bench: Bench) -> dict:
    proc = subprocess.Popen([PYTHON, "-c", SERVE_TARGETS.format(root=str(ROOT))],
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    bench.procs.append(proc)
    return json.loads(proc.stdout.readline())


def target_env(targets: dict) -> dict[str, str]:
    return {"DNS_NAMESERVERS": f"127.0.0.1:{targets['dns']}",
            "ALLOWED_TARGET_NETWORKS": "127.0.0.0/8",
            "WHOIS_SERVER": targets["whois"]}


class PrivateRedis:
    """A redis-server of this run's own, which it may stop and start again."""

    def __init__(self, bench: Bench):
        self.bench = bench
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None
        self.start()

    def start(self) -> None:
        self.proc = self.bench.spawn("redis", [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no"])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                                  capture_output=True, text=True)
            if done.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise SystemExit(f"private redis did not start; see {self.proc.log_path}")

    def restart(self, down_for: float = 2.0) -> None:
        # SHUTDOWN NOSAVE on our own port only; nothing was saved, so the queue is empty after.
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
                       capture_output=True)
        self.proc.wait(timeout=15)
        self.bench.procs.remove(self.proc)
        time.sleep(down_for)
        self.start()


def start_asgi(bench: Bench, port: int, *, workers: int = 2) -> subprocess.Popen:
    """gunicorn + uvicorn workers as bin/start runs them, on a given port (kept across
    restarts so clients simply reconnect)."""
    web = bench.spawn("web", [PYTHON, "-m", "gunicorn", "config.asgi", "-k",
                              "uvicorn_worker.UvicornWorker", "--bind", f"127.0.0.1:{port}",
                              "--workers", str(workers), "--timeout", "60",
                              "--keep-alive", "20",
                              "--log-level", "warning"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise SystemExit(f"the web server exited:\n{_tail(web.log_path)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/web",
                                        timeout=2) as answer:
                if answer.status == 200:
                    return web
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.2)
    raise SystemExit(f"the web server did not answer:\n{_tail(web.log_path)}")


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, read from /proc (no psutil here)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def kill(pid: int) -> bool:
    try:
        os.kill(pid, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False
