"""Dispatch latency: submit -> PROCESSING for one job at a time on an idle queue, against
bare django-q2's dispatch on the same running cluster and the same broker.

  ours      job_submit(test_noop) from this process; latency = Job.started_at - created_at
            (the worker's claim stamps started_at).
  baseline  async_task("bench.baseline.dispatch_probe", time.time(), broker=<one reused
            broker>); the task returns time.time() - its argument, read from the saved result.

Each sample waits for the previous one to finish, then a random pause (20-80 ms) so that
samples fall at every phase of the database broker's 50 ms poll. Samples alternate
baseline, ours, baseline, ours... (so load from elsewhere falls on both alike); p50/p99
are over all samples of a side.

Run from the checkout root:
    .venv/bin/python bench/dispatch_latency.py [--quick] [--redis] [--postgres]
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Bench, load_average, parse_args, percentile, ratio, table, verdict  # noqa: E402

TARGET = 1.5
POLL = 0.005
SAMPLE_TIMEOUT = 10.0


class Sides:
    def __init__(self, bench: Bench):
        from django_q.brokers import get_broker

        from jobs.models import Organization

        self.broker = get_broker()
        self.org = Organization.objects.create(name="bench")
        self.worker = bench.start_worker()

    def _poll(self, read):
        deadline = time.monotonic() + SAMPLE_TIMEOUT
        while (value := read()) is None:
            if time.monotonic() > deadline or self.worker.poll() is not None:
                raise SystemExit(f"a sample did not finish; see {self.worker.log_path}")
            time.sleep(POLL)
        return value

    def baseline(self) -> float:
        from django_q.models import Task
        from django_q.tasks import async_task

        task_id = async_task("bench.baseline.dispatch_probe", time.time(),
                             broker=self.broker, save=True)
        rows = Task.objects.filter(id=task_id).values_list("success", "result")
        success, result = self._poll(rows.first)
        if not success:
            raise SystemExit(f"the baseline task failed: {result}")
        return float(result)

    def ours(self) -> float:
        from jobs.lifecycle import job_submit
        from jobs.models import Job, JobStatus

        job, _ = job_submit(organization=self.org, job_type="test_noop", params={"n": 1})
        rows = (Job.objects.filter(pk=job.pk)
                .exclude(status__in=[JobStatus.PENDING, JobStatus.PROCESSING])
                .values_list("status", "created_at", "started_at"))
        status, created, started = self._poll(rows.first)
        if status != JobStatus.COMPLETED:
            raise SystemExit(f"job {job.pk} ended {status}")
        return (started - created).total_seconds()


def main(argv=None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    pairs = 30 if args.quick else 200
    bench = Bench("dispatch", args, workers=2)
    bench.header("Dispatch latency")
    bench.migrate()
    bench.django_setup()
    sides = Sides(bench)
    rng = random.Random(1)
    for side in ("baseline", "ours"):  # warm up: cluster start, imports, connections
        for _ in range(8):
            getattr(sides, side)()
            time.sleep(0.05)
    samples = {"baseline": [], "ours": []}
    for _ in range(pairs):
        for side in ("baseline", "ours"):
            time.sleep(0.02 + rng.uniform(0, 0.06))
            samples[side].append(getattr(sides, side)() * 1000)
    bench.close()

    stats = {side: {"p50": percentile(v, 50), "p90": percentile(v, 90),
                    "p99": percentile(v, 99), "max": max(v), "mean": sum(v) / len(v)}
             for side, v in samples.items()}
    r50 = ratio(stats["ours"]["p50"], stats["baseline"]["p50"])
    r99 = ratio(stats["ours"]["p99"], stats["baseline"]["p99"])
    print(f"\n{pairs} samples per side, alternating, one job at a time, Q_WORKERS=2; "
          f"load average {bench.load_before} before, {load_average()} after\n")
    rows = [[side, len(samples[side]), s["p50"], s["p90"], s["p99"], s["max"], s["mean"]]
            for side, s in stats.items()]
    rows.append(["ours/base", ""] + [ratio(stats["ours"][k], stats["baseline"][k])
                                     for k in ("p50", "p90", "p99", "max", "mean")])
    print(table(["ms", "n", "p50", "p90", "p99", "max", "mean"], rows))
    print(f"\np50: {verdict(r50, TARGET, higher_is_better=False)}; "
          f"p99: {verdict(r99, TARGET, higher_is_better=False)}")
    broker = "redis" if args.redis else "orm"
    print(f"RATIO dispatch_latency.{broker}.p50 {r50:.3f}")
    print(f"RATIO dispatch_latency.{broker}.p99 {r99:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
