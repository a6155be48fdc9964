"""Load run: pollers following Retry-After plus a steady stream of submissions, against
gunicorn (ASGI, uvicorn workers) and two worker clusters, on loopback.

Phase ``postgres``: a fresh PostgreSQL database and a private redis-server (own port),
200 pollers and 50 submissions per second for 5 minutes (``--quick``: 100 and 20/s for
60 s). Phase ``sqlite``: the embedded default (a SQLite file, the database broker) at
stepped-down loads, 45 s each (``--quick``: 30 s), stopping at the first step that
holds (no error, and the queue at the end no deeper than 5 s of submissions).

The job is ``similar_domains`` (``limit`` 10, no DNS): real work through the whole path
(API, validation, queue, worker, result) that needs no network. The load comes from locust
(``bench/locustfile.py``, headless, in a process of its own, one keep-alive connection per
user): each poller takes the oldest job nobody follows, GETs it, sleeps what
``Retry-After`` says and repeats until the job is terminal; submitters together keep the
submission rate. A sampler counts PENDING and PROCESSING jobs every second.

Writes ``bench/results/load-<date>.txt`` (the report) and ``load-<date>.png`` (queue depth
over time). Not part of the test suite. Run from the checkout root:

    .venv/bin/python bench/load.py [--quick] [--duration 300] [--phase postgres|sqlite]
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, ROOT, Bench, free_port, load_average, table  # noqa: E402
from bench.faults import PrivateRedis, start_asgi  # noqa: E402

SUBMIT = "/v1/ops/enrichment/similar-domains"
BODY = {"domain": "example.com", "limit": 10}
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
RESULTS = ROOT / "bench" / "results"


# --- the client: locust, headless, in a process of its own ------------------------------


def run_locust(base: str, key: str, pollers: int, rate: float, duration: float,
               workdir: Path) -> dict:
    """Runs ``bench/locustfile.py`` for ``duration`` seconds; per-endpoint latency and errors."""
    submitters = max(1, int(rate * 2))
    prefix = workdir / f"locust-{pollers}-{rate:g}"
    followed = workdir / f"followed-{pollers}-{rate:g}"
    users = pollers + submitters
    env = {**os.environ, "LOAD_KEY": key, "LOAD_POLLERS": str(pollers),
           "LOAD_RATE": str(rate), "LOAD_SUBMITTERS": str(submitters),
           "LOAD_FOLLOWED_FILE": str(followed)}
    log = open(f"{prefix}.log", "w")  # noqa: SIM115 - closed below
    try:
        subprocess.run([str(Path(PYTHON).with_name("locust")), "-f",
                        str(ROOT / "bench" / "locustfile.py"), "--headless", "--host", base,
                        "--users", str(users), "--spawn-rate", str(users),
                        "--run-time", f"{int(duration)}s", "--stop-timeout", "5",
                        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
                       env=env, stdout=log, stderr=subprocess.STDOUT, check=False, cwd=ROOT)
    finally:
        log.close()
    latency, errors = {}, collections.Counter()
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] not in ("submit", "poll"):
                continue
            count = int(row["Request Count"])
            latency[row["Name"]] = {
                "n": count, "p50": float(row["50%"]), "p99": float(row["99%"]),
                "max": float(row["Max Response Time"]), "per_s": count / duration}
    with open(f"{prefix}_failures.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            errors[(row["Name"], row["Error"])] += int(row["Occurrences"])
    return {"latency": latency, "errors": errors,
            "followed": int(followed.read_text() or 0) if followed.exists() else 0}


class Sampler(threading.Thread):
    """Counts queued and running jobs once a second (its own database connection)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[tuple[float, int, int]] = []
        self.halt = threading.Event()
        self.t0 = time.monotonic()

    def run(self):
        from django.db import connection
        from django.db.models import Count

        from jobs.models import Job

        while not self.halt.is_set():
            counts = dict(Job.objects.filter(status__in=("PENDING", "PROCESSING"))
                          .values_list("status").annotate(n=Count("id")))
            self.samples.append((round(time.monotonic() - self.t0, 1),
                                 counts.get("PENDING", 0), counts.get("PROCESSING", 0)))
            self.halt.wait(1)
        connection.close()


# --- one phase, in a process of its own (Django is configured once per process) ------------


def run_phase(args) -> dict:
    postgres = args.phase == "postgres"
    bench_args = argparse.Namespace(postgres=postgres, redis=False, quick=args.quick,
                                    keep=args.keep)
    bench = Bench(f"load_{args.phase}", bench_args, workers=2, LOG_LEVEL="WARNING")
    if postgres:
        redis = PrivateRedis(bench)
        bench.env["REDIS_URL"] = redis.url
    bench.migrate()
    bench.django_setup()
    from jobs.services import api_key_create, organization_get_or_create

    org = organization_get_or_create(name="load")
    _key, raw_key = api_key_create(organization=org, name="load")
    port = free_port()
    start_asgi(bench, port)
    bench.start_worker()
    bench.start_worker()
    steps = [json.loads(step) for step in args.steps]
    out = {"phase": args.phase, "steps": [], "load_before": bench.load_before}
    sampler = Sampler()
    sampler.start()
    for pollers, rate in steps:
        step = run_step(f"http://127.0.0.1:{port}", raw_key, pollers, rate, args.duration,
                        sampler, bench.tmp)
        out["steps"].append(step)
        print(f"  {args.phase}: {pollers} pollers, {rate}/s -> errors {step['errors']}, "
              f"queue at end {step['queued_end']}, {step['completed_per_s']:.1f} completed/s",
              flush=True)
        if not step["errors"] and step["queued_end"] <= 5 * rate:
            break
        wait_empty(120)
    sampler.halt.set()
    sampler.join()
    out["samples"] = sampler.samples
    out["load_after"] = load_average()
    bench.close()
    return out


def run_step(base, key, pollers, rate, duration, sampler, workdir) -> dict:
    from django.utils import timezone

    from jobs.models import Job

    t_start, wall_start = time.monotonic() - sampler.t0, timezone.now()
    load = run_locust(base, key, pollers, rate, duration, workdir)
    wall_end = wall_start + timezone.timedelta(seconds=duration)
    completed = Job.objects.filter(completed_at__gte=wall_start, completed_at__lt=wall_end,
                                   status="COMPLETED").count()
    # The queue when submissions stopped (locust's stop and this count come later, while
    # the workers drain it): a step holds only if the workers kept up until then.
    stop = t_start + duration
    at_stop = [pending + running for t, pending, running in sampler.samples if t <= stop]
    queued_end = at_stop[-1] if at_stop else 0
    return {
        "pollers": pollers, "rate": rate, "duration": duration,
        "t_start": t_start, "t_end": time.monotonic() - sampler.t0,
        "latency": load["latency"],
        "errors": sum(load["errors"].values()),
        "error_kinds": {f"{name} {kind}": n for (name, kind), n in load["errors"].items()},
        "completed_per_s": completed / duration, "queued_end": queued_end,
        "followed_to_end": load["followed"],
    }


def wait_empty(timeout: float) -> None:
    from jobs.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and Job.objects.filter(
            status__in=("PENDING", "PROCESSING")).exists():
        time.sleep(1)


# --- the report ------------------------------------------------------------------------------


def plot(phases: list[dict], path: Path) -> None:
    """Queue depth (PENDING, PROCESSING) over time, one panel per phase, drawn with Pillow."""
    from PIL import Image, ImageDraw

    width, panel, margin = 900, 260, 50
    image = Image.new("RGB", (width, panel * len(phases) + 20), "white")
    draw = ImageDraw.Draw(image)
    for i, phase in enumerate(phases):
        top = i * panel + 10
        box = (margin + 10, top + 25, width - 20, top + panel - 35)
        samples = phase["samples"] or [(0, 0, 0)]
        t_max = max(s[0] for s in samples) or 1
        y_max = max(max(s[1], s[2]) for s in samples) or 1
        draw.rectangle(box, outline="black")
        draw.text((box[0], top + 5), f"{phase['title']} - queue depth (jobs) over time (s)",
                  fill="black")
        for frac in (0, 0.5, 1):
            y = box[3] - frac * (box[3] - box[1])
            draw.text((5, y - 6), f"{y_max * frac:.0f}", fill="black")
            x = box[0] + frac * (box[2] - box[0])
            draw.text((x - 10, box[3] + 4), f"{t_max * frac:.0f}", fill="black")
        for step in phase.get("steps", []):  # shade each load step and name it
            x0 = box[0] + step["t_start"] / t_max * (box[2] - box[0])
            draw.line([(x0, box[1]), (x0, box[3])], fill=(200, 200, 200))
            draw.text((x0 + 3, box[1] + 3), f"{step['pollers']}p {step['rate']:g}/s",
                      fill=(120, 120, 120))
        for column, colour, label in ((1, (200, 40, 40), "PENDING"),
                                      (2, (40, 90, 200), "PROCESSING")):
            points = [(box[0] + s[0] / t_max * (box[2] - box[0]),
                       box[3] - s[column] / y_max * (box[3] - box[1])) for s in samples]
            if len(points) > 1:
                draw.line(points, fill=colour, width=2)
            draw.text((box[2] - 200 + (column - 1) * 100, top + 5), label, fill=colour)
    image.save(path)


def report(phases: list[dict], args, date: str) -> str:
    lines = [f"Load run {date} ({'quick' if args.quick else 'full'}), gunicorn config.asgi "
             f"(2 uvicorn workers) + 2 qclusters x Q_WORKERS=2, job similar_domains limit 10"]
    rows = []
    for phase in phases:
        lines.append(f"{phase['title']}: load average {phase['load_before']} before, "
                     f"{phase['load_after']} after")
        for step in phase["steps"]:
            for name, lat in sorted(step["latency"].items()):
                rows.append([phase["title"], f"{step['pollers']} / {step['rate']:g}", name,
                             lat["n"], lat["per_s"], lat["p50"], lat["p99"], lat["max"],
                             step["errors"] if name == "submit" else "",
                             step["completed_per_s"] if name == "submit" else "",
                             step["queued_end"] if name == "submit" else ""])
            if step["error_kinds"]:
                lines.append(f"  errors at {step['pollers']} / {step['rate']:g}: "
                             f"{step['error_kinds']}")
    lines.append("")
    lines.append(table(["setup", "pollers / submit/s", "endpoint", "requests", "req/s",
                        "p50 ms", "p99 ms", "max ms", "errors", "completed/s",
                        "queue at end"], rows))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 s at lower rates")
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--phase", choices=("postgres", "sqlite"), default=None,
                        help="run one phase only")
    parser.add_argument("--keep", action="store_true", help="keep the logs")
    parser.add_argument("--steps", nargs="*", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.out:  # a child process running one phase
        Path(args.out).write_text(json.dumps(run_phase(args)))
        return 0
    plans = {
        "postgres": ("PostgreSQL + Redis", (60 if args.quick else 300),
                     [(100, 20)] if args.quick else [(200, 50)]),
        "sqlite": ("SQLite + database broker", (30 if args.quick else 45),
                   [(100, 20), (50, 10), (25, 5)] if args.quick
                   else [(200, 50), (200, 25), (100, 10), (50, 5)]),
    }
    phases = []
    for name in ([args.phase] if args.phase else ["postgres", "sqlite"]):
        title, duration, steps = plans[name]
        duration = args.duration or duration
        out = RESULTS / f".load-{name}-{uuid.uuid4().hex[:6]}.json"
        RESULTS.mkdir(exist_ok=True)
        print(f"{title}: {steps} (pollers, submissions/s), {duration:g} s per step; "
              f"load average {load_average()}", flush=True)
        cmd = [PYTHON, __file__, "--phase", name, "--duration", str(duration), "--out", str(out),
               "--steps", *[json.dumps(list(step)) for step in steps]]
        cmd += ["--quick"] * args.quick + ["--keep"] * args.keep
        subprocess.run(cmd, check=True, cwd=ROOT)
        phase = json.loads(out.read_text())
        out.unlink()
        phase["title"] = title
        phases.append(phase)
    date = time.strftime("%Y-%m-%d")
    text = report(phases, args, date)
    stem = f"load-{date}{'-quick' if args.quick else ''}"
    (RESULTS / f"{stem}.txt").write_text(text + "\n")
    plot(phases, RESULTS / f"{stem}.png")
    print("\n" + text)
    print(f"\nwrote bench/results/{stem}.txt and {stem}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
