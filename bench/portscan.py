"""TCP port scan of all 65,535 loopback ports: our scanner against nmap, same run.

    .venv/bin/python bench/portscan.py [--rounds 5] [--listeners 8]

The bench opens its own listeners on 127.0.0.1, then alternates our scanner and
``nmap -sT -T4 -n -Pn -p-`` round by round (who goes first alternates too, so neither
profits from a warm cache or a quiet moment). It prints each round's wall-clock times,
the ratio ours/nmap (target: at most 1.0) and whether both found the same open ports.

Other programs on this machine may open or close loopback ports while the bench runs;
a port that only one side saw is listed so a person can tell such noise from a miss.
The bench's own listeners must be found by both, every round.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["ALLOWED_TARGET_NETWORKS"] = "127.0.0.0/8"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from jobs.net.ports import scan  # noqa: E402

NMAP = ["-sT", "-T4", "-n", "-Pn", "-p-", "-oG", "-", "127.0.0.1"]
BANNER = b"SSH-2.0-bench\r\n"


class Listener:
    """Accepts connections, says hello, hangs up."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=256)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                conn.sendall(BANNER)
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self.sock.close()


def run_ours(banners: bool) -> tuple[float, set[int]]:
    started = time.perf_counter()
    result = asyncio.run(scan("127.0.0.1", range(1, 65536), banners=banners))
    return time.perf_counter() - started, {p.port for p in result.ports}


def run_nmap(nmap: str) -> tuple[float, set[int]]:
    started = time.perf_counter()
    output = subprocess.run([nmap, *NMAP], capture_output=True, text=True, check=True).stdout
    elapsed = time.perf_counter() - started
    return elapsed, _nmap_open_ports(output)


def _nmap_open_ports(grepable: str) -> set[int]:
    ports = set()
    for line in grepable.splitlines():
        if "Ports:" not in line:
            continue
        for entry in line.split("Ports:", 1)[1].split("\t", 1)[0].split(","):
            fields = entry.strip().split("/")
            if len(fields) > 1 and fields[1] == "open":
                ports.add(int(fields[0]))
    return ports


def one_round(index: int, nmap: str, ours_first: bool) -> dict:
    runs = {}
    for who in (("ours", "nmap") if ours_first else ("nmap", "ours")):
        runs[who] = run_ours(banners=False) if who == "ours" else run_nmap(nmap)
    (ours_time, ours_ports), (nmap_time, nmap_ports) = runs["ours"], runs["nmap"]
    return {"round": index, "ours": ours_time, "nmap": nmap_time, "ours_ports": ours_ports,
            "nmap_ports": nmap_ports}  # fmt: skip


def report_round(row: dict, expected: set[int]) -> bool:
    ours, theirs = row["ours_ports"], row["nmap_ports"]
    same = ours == theirs
    found_ours = expected <= ours and expected <= theirs
    note = "same open ports" if same else (
        f"DIFFERENT: only ours {sorted(ours - theirs)}, only nmap {sorted(theirs - ours)}"
    )
    print(f"round {row['round']}: ours {row['ours']:.3f} s  nmap {row['nmap']:.3f} s  "
          f"ratio {row['ours'] / row['nmap']:.2f}  open {len(ours)}/{len(theirs)}  {note}"
          f"{'' if found_ours else '  (bench listeners missed!)'}")  # fmt: skip
    return same and found_ours


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--listeners", type=int, default=8)
    args = parser.parse_args()
    nmap = shutil.which("nmap") or "/usr/bin/nmap"
    if not Path(nmap).exists():
        print("nmap is not installed (apt-get install -y nmap)", file=sys.stderr)
        return 2
    assert settings.ALLOWED_TARGET_NETWORKS, "loopback must be allowed for the bench"
    listeners = [Listener() for _ in range(args.listeners)]
    expected = {lst.port for lst in listeners}
    print(f"bench listeners on 127.0.0.1: {sorted(expected)}")
    run_ours(banners=False)  # warm-up: imports, first thread, rlimit raise
    rows = [one_round(i + 1, nmap, ours_first=i % 2 == 0) for i in range(args.rounds)]
    all_match = all([report_round(row, expected) for row in rows])
    summarise(rows, all_match)
    banner_time, _ = run_ours(banners=True)
    print(f"ours with banner grabbing on the open ports: {banner_time:.3f} s")
    for listener in listeners:
        listener.close()
    return 0


def summarise(rows: list[dict], all_match: bool) -> None:
    ours = [row["ours"] for row in rows]
    theirs = [row["nmap"] for row in rows]
    ratios = [row["ours"] / row["nmap"] for row in rows]
    print(f"median: ours {statistics.median(ours):.3f} s, nmap {statistics.median(theirs):.3f} s")
    print(f"ratio ours/nmap: median of rounds {statistics.median(ratios):.2f}, "
          f"of medians {statistics.median(ours) / statistics.median(theirs):.2f}, "
          f"of totals {sum(ours) / sum(theirs):.2f} (target <= 1.0)")  # fmt: skip
    print(f"open port sets: {'identical in every round' if all_match else 'differed (see above)'}")


if __name__ == "__main__":
    sys.exit(main())
