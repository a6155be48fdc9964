"""Being told instead of polling.

1. Delivery latency: a test_noop job ends -> its signed webhook reaches a receiver on
   127.0.0.1 (ours: ``completed_at`` to arrival, through the outbox, a worker task,
   signing and the policy-checked client). Baseline: bare django-q2 queues a task that
   POSTs to the same receiver (queue time to arrival). One at a time, alternating.
2. Event streams: N concurrent ``/v1/ops/jobs/{id}/stream`` on ONE web process
   (gunicorn + uvicorn worker, as bin/start runs it), database broker or Redis: the web
   process's memory and CPU while the streams wait, then every job completes and we count
   the streams that received their final ``result`` event. No baseline (absolute figures).

Run from the checkout root:
    .venv/bin/python bench/push.py [--quick] [--redis] [--postgres]
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    PYTHON,
    Bench,
    free_port,
    load_average,
    parse_args,
    percentile,
    ratio,
    table,
)


class Receiver:
    def __init__(self):
        self.arrivals: dict[str, float] = {}
        self.event = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                data = json.loads(body)
                key = data.get("jobId") or str(data.get("queuedAt"))
                receiver.arrivals[key] = time.time()
                receiver.event.set()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait(self, key: str, timeout: float = 15) -> float:
        deadline = time.monotonic() + timeout
        while key not in self.arrivals:
            if time.monotonic() > deadline:
                raise SystemExit(f"no delivery for {key} within {timeout} s")
            self.event.wait(0.002)
            self.event.clear()
        return self.arrivals[key]


def delivery_latency(bench: Bench, pairs: int) -> dict[str, list[float]]:
    from django_q.brokers import get_broker
    from django_q.tasks import async_task

    from jobs.lifecycle import job_submit
    from jobs.models import Job, Organization
    from jobs.push import services

    receiver = Receiver()
    org = Organization.objects.create(name="bench")
    services.endpoint_create(organization=org, url=receiver.url)
    broker = get_broker()
    bench.start_worker()

    def ours() -> float:
        job, _ = job_submit(organization=org, job_type="test_noop", params={"n": 1})
        arrived = receiver.wait(str(job.pk))
        completed = Job.objects.filter(pk=job.pk).values_list("completed_at", flat=True)[0]
        return arrived - completed.timestamp()

    def baseline() -> float:
        queued = time.time()
        async_task("bench.push_probe.post_probe", receiver.url, queued, broker=broker,
                   save=False)
        return receiver.wait(str(queued)) - queued

    for side in (baseline, ours, baseline, ours, baseline, ours):  # warm up
        side()
    samples = {"baseline": [], "ours": []}
    for _ in range(pairs):
        samples["baseline"].append(baseline() * 1000)
        time.sleep(0.03)
        samples["ours"].append(ours() * 1000)
        time.sleep(0.03)
    receiver.server.shutdown()
    return samples


def process_tree_stats(pid: int) -> tuple[float, float]:
    """(RSS MiB, CPU seconds) of ``pid`` and its children."""
    pids = [pid]
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = path.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            pids.append(int(path.parent.name))
    rss = cpu = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in pids:
        try:
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        cpu += (int(stat[11]) + int(stat[12])) / tick
        rss += int(next(line.split()[1] for line in status.splitlines()
                        if line.startswith("VmRSS"))) / 1024
    return rss, cpu


async def _streams(base: str, key: str, job_ids: list[str], opened: asyncio.Event,
                   results: dict[str, bool]):
    import httpx

    limits = httpx.Limits(max_connections=len(job_ids) + 10)
    async with httpx.AsyncClient(base_url=base, headers={"x-api-key": key},
                                 timeout=httpx.Timeout(120, connect=60), limits=limits) as c:
        ready = 0

        async def one(job_id):
            nonlocal ready
            async with c.stream("GET", f"/v1/ops/jobs/{job_id}/stream") as response:
                if response.status_code != 200:
                    results[job_id] = False
                    ready += 1
                    return
                counted = False
                async for line in response.aiter_lines():
                    if line.startswith("event: progress") and not counted:
                        counted = True
                        ready += 1
                        if ready == len(job_ids):
                            opened.set()
                    if line == "event: result":
                        results[job_id] = True
                        return
            results.setdefault(job_id, False)

        await asyncio.gather(*(one(j) for j in job_ids), return_exceptions=True)


def streams(bench: Bench, count: int) -> dict:
    from django.utils import timezone

    from jobs import lifecycle
    from jobs.models import Job, JobStatus, Organization
    from jobs.services import api_key_create

    org = Organization.objects.create(name="streams")
    _key, raw = api_key_create(organization=org, name="bench")
    now = timezone.now()
    jobs = Job.objects.bulk_create([
        Job(organization=org, type="test_noop", status=JobStatus.PROCESSING, worker="bench",
            params={"n": 1}, started_at=now, heartbeat_at=now, updated_at=now)
        for _ in range(count)])
    port = free_port()
    web = bench.spawn("web-asgi", [PYTHON, "-m", "gunicorn", "config.asgi", "-k",
                                   "uvicorn_worker.UvicornWorker", "--bind",
                                   f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120",
                                   "--log-level", "warning", "--backlog", "4096"])
    base = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    idle_rss, _ = process_tree_stats(web.pid)
    ids = [str(j.pk) for j in jobs]
    opened, results = asyncio.Event(), {}
    figures = {"streams": count, "idle_rss": idle_rss}

    def drive(loop):
        asyncio.run_coroutine_threadsafe(_wait_open(opened), loop).result(timeout=120)
        figures["open_seconds"] = time.monotonic() - started
        rss0, cpu0 = process_tree_stats(web.pid)
        time.sleep(5)
        rss1, cpu1 = process_tree_stats(web.pid)
        figures.update(open_rss=rss1, idle_cpu=(cpu1 - cpu0) / 5)
        ended = time.monotonic()
        for job in jobs:
            lifecycle.job_complete(job_id=job.pk, worker="bench", result={"n": 1})
        figures["complete_seconds"] = time.monotonic() - ended

    loop = asyncio.new_event_loop()
    started = time.monotonic()
    driver = threading.Thread(target=drive, args=(loop,))
    driver.start()
    loop.run_until_complete(asyncio.wait_for(_streams(base, raw, ids, opened, results), 300))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
    _rss, cpu_total = process_tree_stats(web.pid)
    figures["cpu_total"] = cpu_total
    figures["all_seconds"] = time.monotonic() - started
    driver.join()
    figures["received_result"] = sum(results.values())
    bench.stop(web)
    return figures


async def _wait_open(event: asyncio.Event):
    await event.wait()


def main(argv=None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    pairs = 15 if args.quick else 60
    count = 1000
    bench = Bench("push", args, workers=2, ALLOWED_TARGET_NETWORKS="127.0.0.0/8")
    bench.header("Push: webhook delivery latency and event streams")
    bench.migrate()
    os.environ["ALLOWED_TARGET_NETWORKS"] = "127.0.0.0/8"
    bench.django_setup()
    samples = delivery_latency(bench, pairs)
    figures = streams(bench, count)
    bench.close()

    stats = {side: [percentile(v, 50), percentile(v, 90), percentile(v, 99), max(v)]
             for side, v in samples.items()}
    rows = [[side, len(samples[side]), *s] for side, s in stats.items()]
    rows.append(["ours/base", "", *[ratio(o, b) for o, b in zip(stats["ours"],
                                                                 stats["baseline"],
                                                                 strict=True)]])
    print(f"\nDelivery latency, {pairs} samples per side; load average {bench.load_before} "
          f"before, {load_average()} after\n")
    print(table(["ms", "n", "p50", "p90", "p99", "max"], rows))
    print(f"\n{count} concurrent event streams on one web process:\n")
    print(table(["figure", "value"], [
        ["web RSS before (MiB)", figures["idle_rss"]],
        ["web RSS with all open (MiB)", figures["open_rss"]],
        ["per stream (KiB)", (figures["open_rss"] - figures["idle_rss"]) * 1024 / count],
        ["all open after (s)", figures["open_seconds"]],
        ["CPU while waiting (cores)", figures["idle_cpu"]],
        ["web CPU total (s)", figures["cpu_total"]],
        ["jobs completed in (s)", figures["complete_seconds"]],
        ["received their result", f"{figures['received_result']}/{count}"],
    ]))
    broker = "redis" if args.redis else "orm"
    print(f"RATIO push.delivery.{broker}.p50 {ratio(stats['ours'][0], stats['baseline'][0]):.3f}")
    print(f"RATIO push.delivery.{broker}.p99 {ratio(stats['ours'][2], stats['baseline'][2]):.3f}")
    return 0 if figures["received_result"] == count else 1


if __name__ == "__main__":
    sys.exit(main())
