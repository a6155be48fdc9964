"""Worker throughput: trivial jobs completed per second against bare django-q2 running a
no-op task, on the same running cluster and the same broker.

  ours      N x jobs.lifecycle.job_submit(test_noop) from this process; a round lasts from
            the first submit to the last job's completed_at.
  baseline  N x async_task("bench.baseline.noop", broker=<one reused broker>, save=True)
            (django-q2's default of saving results; no pruning); a round lasts from the
            first async_task() to the last saved result's ``stopped``.

One qcluster (Q_WORKERS=2) runs for the whole benchmark; rounds alternate baseline, ours,
baseline, ours... and each starts with the queue empty. RATIO is the median of the
per-round ratios ours/baseline.

Run from the checkout root:
    .venv/bin/python bench/worker_throughput.py [--quick] [--redis] [--postgres]
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Bench, load_average, median, parse_args, ratio, table, verdict  # noqa: E402

TARGET = 0.8
POLL = 0.1


class Sides:
    def __init__(self, bench: Bench):
        from django_q.brokers import get_broker

        from jobs.models import Organization

        self.broker = get_broker()
        self.org = Organization.objects.create(name="bench")
        self.worker = bench.start_worker()
        self.bench = bench

    def _wait(self, count, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (done := count()) < n:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {done} of {n} finished in {timeout:.0f} s; see "
                                 f"{self.worker.log_path}")
            if self.worker.poll() is not None:
                raise SystemExit(f"the worker exited; see {self.worker.log_path}")
            time.sleep(POLL)

    def baseline(self, n: int) -> dict:
        from django.db.models import Max
        from django_q.models import Task
        from django_q.tasks import async_task

        group = f"bench-{uuid.uuid4().hex[:12]}"
        t0 = time.time()
        for i in range(n):
            async_task("bench.baseline.noop", i, broker=self.broker, group=group, save=True)
        submitted = time.time() - t0
        tasks = Task.objects.filter(group=group)
        self._wait(tasks.count, n, timeout=30 + n / 10)
        if tasks.filter(success=False).exists():
            raise SystemExit("a baseline task failed; see the worker log")
        last = tasks.aggregate(last=Max("stopped"))["last"].timestamp()
        return {"elapsed": last - t0, "submit": submitted, "rate": n / (last - t0)}

    def ours(self, n: int) -> dict:
        from django.db.models import Max

        from jobs.lifecycle import job_submit
        from jobs.models import Job, JobStatus

        target = f"bench-{uuid.uuid4().hex[:12]}"
        t0 = time.time()
        for i in range(n):
            job_submit(organization=self.org, job_type="test_noop", params={"n": i},
                       target=target)
        submitted = time.time() - t0
        jobs = Job.objects.filter(target=target)
        self._wait(jobs.exclude(status__in=[JobStatus.PENDING, JobStatus.PROCESSING]).count,
                   n, timeout=30 + n / 10)
        if jobs.exclude(status=JobStatus.COMPLETED).exists():
            raise SystemExit("a job did not complete; see the worker log")
        last = jobs.aggregate(last=Max("completed_at"))["last"].timestamp()
        return {"elapsed": last - t0, "submit": submitted, "rate": n / (last - t0)}


def main(argv=None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    rounds, n = (3, 150) if args.quick else (6, 400)
    bench = Bench("worker", args, workers=2)
    bench.header("Worker throughput")
    bench.migrate()
    bench.django_setup()
    sides = Sides(bench)
    sides.baseline(40)  # warm up: the cluster starts, workers import, connections open
    sides.ours(40)
    results = {"baseline": [], "ours": []}
    for _ in range(rounds):
        for side in ("baseline", "ours"):
            results[side].append(getattr(sides, side)(n))
    bench.close()

    base = [r["rate"] for r in results["baseline"]]
    ours = [r["rate"] for r in results["ours"]]
    paired = [o / b for b, o in zip(base, ours, strict=True)]
    value = median(paired)
    print(f"\n{rounds} rounds x {n} tasks per side, Q_WORKERS=2, one qcluster; "
          f"load average {bench.load_before} before, {load_average()} after\n")
    rows = []
    for side, rates in (("baseline", base), ("ours", ours)):
        rows.append([
            side, median(rates), min(rates), max(rates),
            median([r["submit"] for r in results[side]]) * 1000 / n,
            "" if side == "baseline" else ratio(median(ours), median(base)),
            "" if side == "baseline" else value,
            "" if side == "baseline" else f"{min(paired):.2f}-{max(paired):.2f}",
        ])
    print(table(["tasks/s", "median", "min", "max", "submit ms/task", "ratio of medians",
                 "median paired ratio", "paired range"], rows))
    print(f"\n{verdict(value, TARGET, higher_is_better=True)}")
    broker = "redis" if args.redis else "orm"
    print(f"RATIO worker_throughput.{broker} {value:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
