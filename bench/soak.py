"""Fault soak: jobs of every type through the API while workers are SIGKILLed, the web
server and the broker restart, and a cluster stops gracefully; then every job is checked.

Setup: a fresh PostgreSQL database, a private redis-server (its own loopback port, no
persistence), gunicorn ``config.asgi`` with uvicorn workers, two ``manage.py qcluster``
processes (``Q_WORKERS=2`` each), and one process serving every target on loopback (the
test suite's dnslib DNS zone, HTTP page and WHOIS servers).

Submitters POST jobs (each with an ``Idempotency-Key``, retried until ``202``) at a steady
rate. Meanwhile a driver SIGKILLs the worker process running a random PROCESSING job (its
pid is in the job's worker token, checked to be below one of our clusters) every few
seconds (``--kill-idle``: idle workers too), restarts the web server once, shuts Redis
down (SHUTDOWN NOSAVE: the queued tasks are gone) and starts it again once, and stops
one cluster with SIGTERM to its main process (its jobs are handed back) and starts it
again. Then it waits for the queue to drain and checks:
every job terminal, none lost, no duplicate, none completed twice (``completed`` events
per job), ``WORKER_LOST`` only after ``JOB_MAX_ATTEMPTS`` claims.

``JOB_PENDING_RESEND_SECONDS=20`` (default 900) so the tasks Redis lost are queued again
within the run. Not part of the test suite. Run from the checkout root:

    .venv/bin/python bench/soak.py [--jobs 2000] [--quick] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Bench, free_port, load_average, table  # noqa: E402
from bench.faults import (  # noqa: E402
    PrivateRedis,
    descendants,
    kill,
    start_asgi,
    start_targets,
    target_env,
)

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")


def job_mix(http_url: str) -> list[tuple[str, str, dict, int]]:
    """(job type, endpoint, body, weight): small, fast parameters; screenshots are rare."""
    return [
        ("infra_scan", "/v1/ops/scans/infrastructure",
         {"domain": "example.com", "type": "dns"}, 24),
        ("infra_map", "/v1/ops/scans/map", {"startPoint": "example.com", "depth": 1}, 22),
        ("similar_domains", "/v1/ops/enrichment/similar-domains",
         {"domain": "example.com", "limit": 50}, 24),
        ("bulk_enrichment", "/v1/ops/enrichment/bulk",
         {"indicators": ["8.8.8.8", "1.1.1.0/24", "soak.example.com",
                         "d41d8cd98f00b204e9800998ecf8427e"],
          "include": ["dns", "routing", "ip_intelligence"]}, 24),
        ("screenshot", "/v1/ops/screenshots/capture",
         {"url": http_url, "options": {"width": 320, "height": 240, "wait_time": 0}}, 6),
    ]


class Submitter:
    """Threads posting the planned jobs at ``rate`` per second, retrying each until 202."""

    def __init__(self, base: str, key: str, plan: list, rate: float, deadline: float):
        self.base, self.key, self.plan, self.rate = base, key, plan, rate
        self.deadline = deadline
        self.accepted: dict[str, str] = {}  # idempotency key -> job id
        self.retries: Counter = Counter()
        self.lock = threading.Lock()
        self.next = 0
        self.started = time.monotonic()
        self.threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(4)]

    def start(self):
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()

    def done(self) -> bool:
        return not any(thread.is_alive() for thread in self.threads)

    def _take(self):
        with self.lock:
            if self.next >= len(self.plan):
                return None
            n, self.next = self.next, self.next + 1
        wait = self.started + n / self.rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return self.plan[n]

    def _loop(self):
        while (item := self._take()) is not None:
            key, path, body = item
            while time.monotonic() < self.deadline:
                status, job_id = self._post(path, body, key)
                if status == 202:
                    with self.lock:
                        self.accepted[key] = job_id
                    break
                with self.lock:
                    self.retries[status] += 1
                time.sleep(0.5)

    def _post(self, path, body, key):
        request = urllib.request.Request(
            self.base + path, data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.key}", "Idempotency-Key": key,
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=15) as answer:
                return answer.status, json.loads(answer.read())["jobId"]
        except urllib.error.HTTPError as exc:
            return exc.code, None
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return "connection", None


class Driver:
    """The faults: kills on a clock, and three one-off restarts at fixed points."""

    def __init__(self, bench: Bench, redis: PrivateRedis, web_port: int, rng: random.Random,
                 kill_idle: bool = False):
        self.bench, self.redis, self.web_port, self.rng = bench, redis, web_port, rng
        self.kill_idle = kill_idle
        self.web = start_asgi(bench, web_port)
        self.clusters = [bench.start_worker(), bench.start_worker()]
        self.kills: list[tuple[float, str]] = []
        self.log: list[str] = []

    def kill_one(self) -> bool:
        """SIGKILL the worker process running a random PROCESSING job, if it is ours.

        With ``--kill-idle``, half the kills hit any live worker that claimed a job lately,
        busy or idle. An idle django-q2 worker waits in ``task_queue.get()`` holding the
        queue's read lock; killed there, it takes the lock with it and every other worker
        of its cluster blocks for good (measured: see bench/README.md)."""
        from django.utils import timezone

        from jobs.models import Job, JobEvent, JobStatus

        ours = set()
        for cluster in self.clusters:
            ours |= descendants(cluster.pid)
        running = list(Job.objects.filter(status=JobStatus.PROCESSING).exclude(worker="")
                       .values_list("worker", "type"))
        recent = JobEvent.objects.filter(
            type="claimed", at__gte=timezone.now() - timezone.timedelta(seconds=60))
        by_pid = {int(token.split(":")[1]): job_type for token, job_type in running}
        if self.kill_idle and self.rng.random() < 0.5:
            for data in recent.values_list("data", flat=True):
                pid = int(data.get("worker", "x:0:").split(":")[1])
                by_pid.setdefault(pid, "(idle or other)")
        pids = [pid for pid in by_pid if pid in ours]
        self.rng.shuffle(pids)
        for pid in pids:
            if kill(pid):
                self.kills.append((time.time(), by_pid[pid]))
                return True
        return False

    def restart_web(self):
        started = time.monotonic()
        self.bench.stop(self.web)
        self.web = start_asgi(self.bench, self.web_port)
        self._note(f"web server restarted ({time.monotonic() - started:.1f} s down)")

    def restart_redis(self):
        started = time.monotonic()
        self.redis.restart()
        self._note(f"redis shut down (nosave) and started again "
                   f"({time.monotonic() - started:.1f} s down)")

    def restart_cluster(self):
        started = time.monotonic()
        cluster = self.clusters[1]
        # SIGTERM to the main process only, as the supervisor and systemd (KillMode=mixed)
        # send it: its workers hand their jobs back, then it exits.
        os.kill(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._note("cluster 2 did not stop within 60 s of SIGTERM")
        self.bench.stop(cluster)
        self.clusters[1] = self.bench.start_worker()
        self._note(f"cluster 2 stopped gracefully and started again "
                   f"({time.monotonic() - started:.1f} s)")

    def _note(self, text):
        self.log.append(f"{time.strftime('%H:%M:%S')} {text}")
        print(f"  {text}", flush=True)


def parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=8.0, help="submissions per second")
    parser.add_argument("--kill-every", type=float, default=3.0, help="seconds between kills")
    parser.add_argument("--quick", action="store_true", help="300 jobs, a kill every 2 s")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--kill-idle", action="store_true",
                        help="also kill idle workers (wedges django-q2's task queue)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    if args.quick:
        args.jobs, args.rate, args.kill_every = 300, 5.0, 2.0
    args.postgres, args.redis = True, False  # our own Redis, not the shared one
    return args


def plan_jobs(rng, mix, count):
    weights = [weight for *_, weight in mix]
    plan, types = [], {}
    for _ in range(count):
        job_type, path, body, _ = rng.choices(mix, weights)[0]
        key = uuid.uuid4().hex
        plan.append((key, path, body))
        types[key] = job_type
    return plan, types


def main(argv=None) -> int:
    args = parse(argv)
    rng = random.Random(args.seed)
    started = time.time()
    bench = Bench("soak", args, workers=2, JOB_PENDING_RESEND_SECONDS="20",
                  LOG_LEVEL="WARNING")
    targets = start_targets(bench)
    bench.env.update(target_env(targets))
    redis = PrivateRedis(bench)
    bench.env["REDIS_URL"] = redis.url
    print(f"Fault soak: {args.jobs} jobs at {args.rate:g}/s, PostgreSQL, private Redis on "
          f"port {redis.port}, 2 clusters x Q_WORKERS=2, a kill every {args.kill_every:g} s"
          f"{', quick run' if args.quick else ''}; load average {bench.load_before}", flush=True)
    bench.migrate()
    bench.django_setup()
    from django.conf import settings

    from jobs.services import api_key_create, organization_get_or_create

    org = organization_get_or_create(name="soak")
    _key, raw_key = api_key_create(organization=org, name="soak")
    web_port = free_port()
    driver = Driver(bench, redis, web_port, rng, args.kill_idle)
    plan, types = plan_jobs(rng, job_mix(targets["http"]), args.jobs)
    submit_time = args.jobs / args.rate
    hard_deadline = time.monotonic() + submit_time + 300
    submitter = Submitter(f"http://127.0.0.1:{web_port}", raw_key, plan, args.rate,
                          hard_deadline)
    submitter.start()
    # The one-off faults run beside the kills, which go on during the restarts.
    faults = threading.Thread(target=one_off_faults, args=(driver, submitter, submit_time))
    faults.start()
    next_kill = time.monotonic() + args.kill_every
    while not submitter.done() or faults.is_alive():
        if time.monotonic() >= next_kill:
            if driver.kill_one():
                next_kill = time.monotonic() + rng.uniform(0.5, 1.5) * args.kill_every
            else:
                next_kill = time.monotonic() + 0.02  # no job running just now
        time.sleep(0.02)
    submitted_at = time.monotonic()
    print(f"  {len(submitter.accepted)} jobs accepted in {submitted_at - submitter.started:.0f} s, "
          f"{len(driver.kills)} kills; draining", flush=True)
    drained = drain(set(submitter.accepted.values()), hard_deadline)
    drain_time = time.monotonic() - submitted_at
    report = collect(org, submitter, types, settings.JOB_MAX_ATTEMPTS)
    load_after = load_average()
    bench.close()
    print_report(args, report, driver, submitter, drained, drain_time, bench.load_before,
                 load_after, time.time() - started, settings)
    return 0 if report["ok"] and drained else 1


def one_off_faults(driver: Driver, submitter: Submitter, submit_time: float) -> None:
    for point, fault in ((0.3, driver.restart_web), (0.5, driver.restart_redis),
                         (0.7, driver.restart_cluster)):
        while time.monotonic() - submitter.started < point * submit_time:
            time.sleep(0.1)
        fault()


def drain(job_ids: set, deadline: float) -> bool:
    from jobs.models import Job

    while time.monotonic() < deadline:
        open_jobs = Job.objects.filter(pk__in=job_ids).exclude(status__in=TERMINAL).count()
        if not open_jobs:
            return True
        time.sleep(1)
    return False


def collect(org, submitter: Submitter, types: dict, max_attempts: int) -> dict:
    from django.db.models import Count

    from jobs.models import Job, JobEvent

    jobs = {str(pk): row for pk, *row in Job.objects.filter(organization=org).values_list(
        "pk", "type", "status", "error_code", "attempts")}
    accepted = set(submitter.accepted.values())
    events: dict[str, Counter] = {}
    for job_id, kind, n in (JobEvent.objects.filter(job__organization=org)
                            .values_list("job_id", "type").annotate(n=Count("id"))):
        events.setdefault(str(job_id), Counter())[kind] = n
    totals = Counter()
    for counts in events.values():
        totals.update(counts)
    by_type = Counter((row[0], row[1]) for row in jobs.values())
    errors = Counter((row[0], row[2]) for row in jobs.values() if row[2])
    twice = [j for j, c in events.items() if c["completed"] > 1]
    completed_without = [j for j, row in jobs.items()
                         if row[1] == "COMPLETED" and events.get(j, Counter())["completed"] != 1]
    lost_early = [j for j, row in jobs.items() if row[2] == "WORKER_LOST"
                  and (events[j]["claimed"] - events[j]["handed_back"] < max_attempts
                       or row[3] < max_attempts)]
    checks = {
        "every submitted job exists (none lost)": len(accepted - set(jobs)) == 0,
        "no job beyond those accepted (no duplicate)": len(set(jobs) - accepted) == 0,
        "one job per idempotency key": len(set(submitter.accepted.values()))
        == len(submitter.accepted),
        "every job terminal (none stuck)": all(row[1] in TERMINAL for row in jobs.values()),
        "no job completed twice": not twice and not completed_without,
        "WORKER_LOST only after JOB_MAX_ATTEMPTS claims": not lost_early,
        "every planned job accepted": len(submitter.accepted) == len(types),
    }
    return {"jobs": jobs, "events": totals, "by_type": by_type, "errors": errors,
            "checks": checks, "ok": all(checks.values()), "twice": twice,
            "lost_early": lost_early, "missing": accepted - set(jobs),
            "stuck": [j for j, row in jobs.items() if row[1] not in TERMINAL]}


def print_report(args, report, driver, submitter, drained, drain_time, load_before,
                 load_after, wall, settings):
    print(f"\nFault soak, {time.strftime('%Y-%m-%d')}: {len(report['jobs'])} jobs, "
          f"wall {wall:.0f} s, drain {drain_time:.0f} s{' (DEADLINE HIT)' if not drained else ''}"
          f"; load average {load_before} before, {load_after} after; "
          f"JOB_MAX_ATTEMPTS={settings.JOB_MAX_ATTEMPTS}, "
          f"JOB_LOST_AFTER_SECONDS={settings.JOB_LOST_AFTER_SECONDS}\n")
    statuses = ("COMPLETED", "FAILED", "CANCELLED", "PENDING", "PROCESSING")
    kinds = sorted({t for t, _ in report["by_type"]})
    rows = [[kind, *[report["by_type"][(kind, s)] for s in statuses],
             sum(1 for _, t in driver.kills if t == kind)] for kind in kinds]
    rows.append(["(idle or other)", *[""] * len(statuses),
                 sum(1 for _, t in driver.kills if t == "(idle or other)")])
    rows.append(["all", *[sum(report["by_type"][(k, s)] for k in kinds) for s in statuses],
                 len(driver.kills)])
    print(table(["job type", *statuses, "kills"], rows))
    print()
    print(table(["job type", "error code", "jobs"],
                [[t, code, n] for (t, code), n in sorted(report["errors"].items())] or
                [["-", "-", 0]]))
    events = report["events"]
    print()
    print(table(["event", "count"], [[kind, events[kind]] for kind in (
        "claimed", "completed", "failed", "handed_back", "reaped", "retried", "cancelled")]))
    retries = ", ".join(f"{k}: {v}" for k, v in sorted(submitter.retries.items(), key=str))
    print(f"\nworker processes SIGKILLed: {len(driver.kills)}; submit attempts retried: "
          f"{sum(submitter.retries.values())} ({retries or 'none'})")
    for line in driver.log:
        print(f"  {line}")
    print()
    for name, ok in report["checks"].items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    for name in ("missing", "stuck", "twice", "lost_early"):
        if report[name]:
            print(f"  {name}: {sorted(report[name])[:10]}")
    print(f"SOAK kills {len(driver.kills)}")
    print(f"SOAK ok {int(report['ok'] and drained)}")


if __name__ == "__main__":
    sys.exit(main())
