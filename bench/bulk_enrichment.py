"""Bulk enrichment: 10,000 indicators offline, DNS lookups beside bare dnspython, worker memory.

1. offline: one ``bulk_enrichment`` job of 10,000 mixed indicators (IPv4, IPv6, networks,
   domains, URLs, e-mails, hashes, some defanged) with ``routing``, ``ip_intelligence``
   and ``reputation`` (four block lists loaded from files, the sizes of the public ones:
   a 50,000-name hosts file, a DROP-like 1,500 networks, a FireHOL-like 4,500 addresses
   and networks, 10,000 hashes), run by a real worker; time = the job's started_at to
   completed_at (target <= 10 s). The first job of the worker also pays for loading the
   IP data, so one warm-up job runs first and its time is shown too.
2. dns: N names, each asked A, AAAA, MX, NS, TXT and CNAME, against a dnslib server in a
   process of its own. Baseline: a bare dnspython asyncio loop in this process (the same
   questions, 100 names in flight, no cache); ours: a ``bulk_enrichment`` job with
   ``include: ["dns"]`` run by the worker (started_at to completed_at). Rounds alternate;
   RATIO = ours lookups/s over the baseline's (medians; target >= 0.8).
3. memory: the peak resident size (VmHWM) of every process of the worker cluster
   (Q_WORKERS=1), after all jobs (target <= 150 MB).

    .venv/bin/python bench/bulk_enrichment.py [--quick] [--keep]
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    PYTHON,
    ROOT,
    Bench,
    load_average,
    median,
    parse_args,
    ratio,
    table,
    verdict,
)

TYPES = ("A", "AAAA", "MX", "NS", "TXT", "CNAME")
IN_FLIGHT = 100  # names, as the operation's pool
QUESTIONS_IN_FLIGHT = 100  # as the operation's DNS client (pool.DNS_CONCURRENCY)
SERVE_DNS = """
import sys, time
sys.path.insert(0, {root!r})
from tests.servers.dns_server import DnsTestServer
server = DnsTestServer().start()
for i in range({names}):
    name = f"host{{i}}.bench.test"
    server.zone.add(name, "A", f"8.8.{{i % 250}}.{{i // 250 % 250 + 1}}")
    server.zone.add(name, "AAAA", "2001:4860:4860::8888")
    server.zone.add(name, "MX", f"10 mx.{{name}}.")
    server.zone.add(name, "NS", "ns1.bench.test.")
    server.zone.add(name, "TXT", "v=spf1 -all")
print(server.port, flush=True)
while True:
    time.sleep(3600)
"""


# --- inputs ------------------------------------------------------------------------------


def mixed_indicators(count: int, rng: random.Random) -> list[str]:
    makers = [
        (40, lambda i: f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
                       f"{rng.randint(1, 254)}"),
        (10, lambda i: f"2001:4860:{rng.randint(0, 0xffff):x}::{rng.randint(1, 0xffff):x}"),
        (5, lambda i: f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0/24"),
        (15, lambda i: f"host{i}.example{i % 97}.com"),
        (10, lambda i: f"hxxp://evil{i}[.]example.net/path/{i}"),
        (5, lambda i: f"user{i}[@]mail{i % 50}.example.org"),
        (10, lambda i: f"{rng.getrandbits(256):064x}"),
        (5, lambda i: f"bad{i}.blocked[.]example"),
    ]
    out: list[str] = []
    for weight, make in makers:
        out += [make(len(out) + j) for j in range(count * weight // 100)]
    while len(out) < count:
        out.append(f"8.8.{len(out) % 250}.{len(out) % 200 + 1}")
    rng.shuffle(out)
    return out


def write_lists(folder: Path, rng: random.Random) -> list[str]:
    hosts = folder / "hosts.txt"
    hosts.write_text("".join(f"0.0.0.0 bad{i}.blocked.example\n" for i in range(50_000)))
    drop = folder / "drop.txt"
    drop.write_text("".join(f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{i % 256}.0/24 ; SBL{i}\n"
                            for i in range(1_500)))
    firehol = folder / "firehol_level1.netset"
    firehol.write_text("".join(f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{i % 256}."
                               f"{'0/24' if i % 3 else rng.randint(1, 254)}\n"
                               for i in range(4_500)))
    hashes = folder / "hashes.txt"
    hashes.write_text("".join(f"{rng.getrandbits(256):064x}\n" for _ in range(10_000)))
    return [f"hosts={hosts}", f"drop={drop}", f"firehol={firehol}", f"hashes={hashes}"]


# --- jobs -------------------------------------------------------------------------------


def run_job(org, indicators: list[str], include: list[str], timeout: float = 300) -> dict:
    from jobs.lifecycle import job_submit
    from jobs.models import Job, JobStatus

    job, _ = job_submit(organization=org, job_type="bulk_enrichment",
                        params={"indicators": indicators, "include": include},
                        target=f"{len(indicators)} indicators")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job.pk)
        if job.status not in (JobStatus.PENDING, JobStatus.PROCESSING):
            break
        # Times come from the job's own stamps; polling slowly keeps this process from
        # taking CPU from the worker and the DNS server while the job runs.
        time.sleep(0.5)
    if job.status != JobStatus.COMPLETED:
        raise SystemExit(f"job ended {job.status}: {job.error_code} {job.error_message}")
    return {"seconds": (job.completed_at - job.started_at).total_seconds(),
            "result": job.result}


# --- the bare baseline ------------------------------------------------------------------


async def bare_dnspython(names: list[str], port: int) -> float:
    import dns.asyncresolver
    import dns.exception
    import dns.nameserver

    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver("127.0.0.1", port)]
    # The operation's client: 2 s per question, a second try after 1 s, no cache.
    resolver.timeout, resolver.lifetime, resolver.cache = 1.0, 2.0, None
    pending = iter(names)
    limit = asyncio.Semaphore(QUESTIONS_IN_FLIGHT)
    failures = 0

    async def ask(name: str, rtype: str) -> None:
        nonlocal failures
        async with limit:
            try:
                await resolver.resolve(name, rtype, raise_on_no_answer=False, search=False)
            except dns.exception.DNSException:
                failures += 1

    async def worker():
        for name in pending:
            await asyncio.gather(*(ask(name, t) for t in TYPES))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    if failures:
        print(f"baseline: {failures} questions failed", flush=True)
    return time.perf_counter() - start


# --- memory -----------------------------------------------------------------------------


def cluster_peaks(leader_pid: int) -> list[tuple[int, float]]:
    """(pid, VmHWM MB) of every process in the worker's process group."""
    peaks = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != leader_pid:  # field 5 (pgrp), after the name
                continue
            text = (status.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        hwm = next(line for line in text.splitlines() if line.startswith("VmHWM:"))
        peaks.append((int(status.parent.name), int(hwm.split()[1]) / 1024))
    return peaks


# --- main -------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    rng = random.Random(7)
    names = 500 if args.quick else 2000
    rounds = 2 if args.quick else 3
    dns_proc = subprocess.Popen([PYTHON, "-c", SERVE_DNS.format(root=str(ROOT), names=names)],
                                stdout=subprocess.PIPE, text=True, start_new_session=True)
    port = int(dns_proc.stdout.readline())
    bench = Bench("bulk_enrichment", args, workers=1,
                  DNS_NAMESERVERS=f"127.0.0.1:{port}", JOB_TIMEOUTS="bulk_enrichment=600")
    bench.procs.append(dns_proc)
    bench.tmp.mkdir(exist_ok=True)
    bench.env["REPUTATION_LISTS"] = ",".join(write_lists(bench.tmp, rng))
    bench.header("bulk enrichment")
    bench.migrate()
    bench.django_setup()
    from django.conf import settings

    from jobs.models import Organization
    from jobs.operations.bulk_enrichment import datasets
    settings.REPUTATION_LISTS = bench.env["REPUTATION_LISTS"].split(",")
    loaded = datasets.datasets_refresh()
    print("block lists:", ", ".join(f"{k} {v}" for k, v in loaded.items()), flush=True)
    org = Organization.objects.create(name="bench")
    worker = bench.start_worker()

    offline = ["routing", "ip_intelligence", "reputation"]
    warm = run_job(org, mixed_indicators(200, rng), offline)
    indicators = mixed_indicators(10_000, rng)
    job = run_job(org, indicators, offline)
    result = job["result"]
    print(f"offline: warm-up job (200) {warm['seconds']:.2f} s; 10,000 indicators "
          f"{job['seconds']:.2f} s; processed {result['totalProcessed']}, failed "
          f"{result['totalFailed']}, listed "
          f"{sum(1 for r in result['results'] if r['summary']['listed'])}", flush=True)

    dns_names = [f"host{i}.bench.test" for i in range(names)]
    lookups = names * len(TYPES)
    base_rates, our_rates = [], []
    for round_ in range(rounds):
        sides = ["base", "ours"] if round_ % 2 == 0 else ["ours", "base"]
        for side in sides:
            if side == "base":
                base_rates.append(lookups / asyncio.run(bare_dnspython(dns_names, port)))
            else:
                our_rates.append(lookups / run_job(org, dns_names, ["dns"])["seconds"])
    peaks = cluster_peaks(worker.pid)
    bench.stop(worker)

    dns_ratio = ratio(median(our_rates), median(base_rates))
    top = max(mb for _, mb in peaks)
    print(table(["what", "ours", "baseline", "ratio", "target"], [
        ["10,000 offline indicators (s)", job["seconds"], "-", "-",
         verdict(job["seconds"], 10, higher_is_better=False)],
        [f"dns lookups/s ({lookups} per round)", median(our_rates), median(base_rates),
         dns_ratio, verdict(dns_ratio, 0.8, higher_is_better=True)],
        ["worker peak RSS (MB)", top, "-", "-", verdict(top, 150, higher_is_better=False)],
    ]))
    print("worker processes (pid, peak MB):", ", ".join(f"{p} {mb:.0f}" for p, mb in peaks))
    print(f"dns rounds, lookups/s: ours {[round(r) for r in our_rates]}, "
          f"baseline {[round(r) for r in base_rates]}")
    print(f"load average: {bench.load_before} before, {load_average()} after")
    print(f"RATIO bulk_dns_lookups {dns_ratio:.2f}")
    print(f"SECONDS bulk_offline_10000 {job['seconds']:.2f}")
    print(f"MB bulk_worker_peak_rss {top:.0f}")
    bench.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
