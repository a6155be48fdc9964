"""Recovery time: from a worker's death to its job's next claim, with the default settings
(JOB_HEARTBEAT_SECONDS, JOB_LOST_AFTER_SECONDS, JOB_REAP_SECONDS).

  process   SIGKILL the worker process running a slow job (its pid is in the job's worker
            token); its cluster lives on and sees the process gone.
  cluster   SIGKILL the whole cluster running the job, then start a new one at once (a
            container replaced by its runtime); the time includes the new cluster's start.
  silence   SIGSTOP the worker process: alive to a pid check but silent, as a worker on
            another host that hangs or loses its network. Only the missing heartbeats
            tell, after JOB_LOST_AFTER_SECONDS. (Then SIGKILLed.)

Time = the second claim's Job.started_at (stamped by the claiming worker) minus the time
of the kill, both from this host's clock. Each sample is a fresh job, cancelled once
claimed again. Baseline: before this change a job was lost after 90 s of silence and
the reaper ran once a minute, so 90-150 s, whatever the way the worker died.

Run from the checkout root:
    .venv/bin/python bench/recovery.py [--quick] [--postgres] [--redis]
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Bench, load_average, parse_args, percentile, table  # noqa: E402

SLOW = {"seconds": 100, "steps": 1000}  # a progress step every 0.1 s
POLL = 0.02
BASELINE = (90.0, 150.0)


class Recovery:
    def __init__(self, bench: Bench):
        from jobs.models import Organization

        self.bench = bench
        self.org = Organization.objects.create(name="bench")
        self.cluster = bench.start_worker()

    def running_job(self):
        """A fresh slow job, once a worker has claimed it: (job id, worker pid)."""
        from jobs.lifecycle import job_submit
        from jobs.models import Job, JobStatus

        job, _ = job_submit(organization=self.org, job_type="test_sleep", params=SLOW)
        rows = Job.objects.filter(pk=job.pk, attempts=1, status=JobStatus.PROCESSING).exclude(
            worker="")
        token = self._wait(lambda: rows.values_list("worker", flat=True).first(), 60)
        return job.pk, int(token.split(":")[1])

    def next_claim(self, job_id, killed_at: float) -> float:
        from jobs.lifecycle import job_cancel
        from jobs.models import Job, JobStatus

        rows = Job.objects.filter(pk=job_id, attempts=2, status=JobStatus.PROCESSING).exclude(
            worker="")
        started = self._wait(lambda: rows.values_list("started_at", flat=True).first(), 120)
        job_cancel(job_id=job_id, organization=self.org)  # frees the worker for the next
        return started.timestamp() - killed_at

    def process(self) -> float:
        job_id, pid = self.running_job()
        os.kill(pid, signal.SIGKILL)
        return self.next_claim(job_id, time.time())

    def cluster_restart(self) -> float:
        job_id, _ = self.running_job()
        os.killpg(self.cluster.pid, signal.SIGKILL)
        killed_at = time.time()
        self.cluster.wait()
        self.bench.procs.remove(self.cluster)
        self.cluster = self.bench.start_worker()
        return self.next_claim(job_id, killed_at)

    def silence(self) -> float:
        job_id, pid = self.running_job()
        os.kill(pid, signal.SIGSTOP)
        stopped_at = time.time()
        try:
            return self.next_claim(job_id, stopped_at)
        finally:
            os.kill(pid, signal.SIGKILL)

    def _wait(self, read, timeout: float):
        deadline = time.monotonic() + timeout
        while (value := read()) is None:
            if time.monotonic() > deadline or self.cluster.poll() is not None:
                raise SystemExit(f"no claim in {timeout} s; see {self.cluster.log_path}")
            time.sleep(POLL)
        return value


def main(argv=None) -> int:
    args = parse_args(__doc__.splitlines()[0], argv)
    counts = {"process": 20, "cluster": 5 if args.quick else 10, "silence": 2 if args.quick else 5}
    bench = Bench("recovery", args, workers=2)
    bench.header("Recovery after a worker dies")
    bench.migrate()
    bench.django_setup()
    from django.conf import settings

    recovery = Recovery(bench)
    recovery.running_job()  # warm up: the cluster's start, imports, connections
    samples = {
        "process": [recovery.process() for _ in range(counts["process"])],
        "cluster": [recovery.cluster_restart() for _ in range(counts["cluster"])],
        "silence": [recovery.silence() for _ in range(counts["silence"])],
    }
    bench.close()

    print(f"\nJOB_HEARTBEAT_SECONDS={settings.JOB_HEARTBEAT_SECONDS}, "
          f"JOB_LOST_AFTER_SECONDS={settings.JOB_LOST_AFTER_SECONDS}, "
          f"JOB_REAP_SECONDS={settings.JOB_REAP_SECONDS}, Q_WORKERS=2; "
          f"load average {bench.load_before} before, {load_average()} after\n")
    rows = [[name, len(values), percentile(values, 50), max(values),
             f"{BASELINE[0]:.0f}-{BASELINE[1]:.0f}",
             BASELINE[0] / percentile(values, 50)]
            for name, values in samples.items()]
    print(table(["kill -> next claim (s)", "n", "p50", "max", "baseline", "speed-up"], rows))
    broker = "redis" if args.redis else "orm"
    for name, values in samples.items():
        print(f"RECOVERY {broker}.{name}.p50 {percentile(values, 50):.2f}")
        print(f"RECOVERY {broker}.{name}.max {max(values):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
