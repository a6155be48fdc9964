"""API throughput: requests per second of our read and submit endpoints against bare
Django views on the same server.

  read    GET /v1/ops/jobs/{id}   vs  GET /bench/read/{id}  (one row by key -> JsonResponse)
  submit  POST /v1/test/noop      vs  POST /bench/insert    (one INSERT -> JsonResponse)

One gunicorn serves both sides (``/v1`` steps past the dashboard's middleware, ``/bench``
does not): config.wsgi with bench.settings, 2 workers x 4 threads, or with ``--asgi`` as
bin/start runs it, 2 uvicorn workers on config.asgi. The baseline inserts into a plain
table of its own (``bench.baseline.InsertedRow``), as durable as the jobs table.
Load comes from wrk on 127.0.0.1 (2 threads, 4 connections), in interleaved rounds:
baseline, ours, baseline, ours... No worker runs: submitted jobs just queue (for both
brokers).

Run from the checkout root:
    .venv/bin/python bench/api_throughput.py [--quick] [--postgres] [--redis] [--asgi]
        [--profile DIR]

``--profile DIR`` adds one more submit round per side with py-spy sampling every gunicorn
worker (``--nonblocking``, so the workers are not paused), writes each worker's stacks
to DIR/<side> and prints, per side, the functions that hold the most samples.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Bench,
    build_parser,
    load_average,
    median,
    ratio,
    table,
    verdict,
)

SEEDED_JOBS = 200
CONNECTIONS, THREADS = 4, 2
TARGETS = {"read": 0.9, "submit": 0.8}


def seed(bench: Bench) -> tuple[str, list[str]]:
    """An organization, an API key and some finished jobs to read."""
    bench.django_setup()
    from django.db import connections
    from django.utils import timezone

    from bench.baseline import baseline_table_create
    from jobs.models import Job, JobStatus
    from jobs.services import api_key_create, organization_get_or_create

    org = organization_get_or_create(name="bench")
    _key, raw = api_key_create(organization=org, name="bench")
    now = timezone.now()
    jobs = [Job(organization=org, type="test_noop", status=JobStatus.COMPLETED, target=str(i),
                params={"n": i}, metadata={"source": "api"}, result={"n": i},
                progress_message="Done", username="bench", created_at=now, updated_at=now,
                started_at=now, completed_at=now, expires_at=now + timezone.timedelta(days=7))
            for i in range(SEEDED_JOBS)]
    Job.objects.bulk_create(jobs)
    ids = [str(job.pk) for job in jobs]
    baseline_table_create()
    connections.close_all()
    return raw, ids


def lua_scripts(bench: Bench, key: str, ids: list[str]) -> dict[str, Path]:
    auth = f'wrk.headers["Authorization"] = "Bearer {key}"\n'
    id_table = "local ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n"
    cycle = ("local n = 0\n"
             "request = function()\n"
             "  n = n + 1\n"
             "  return wrk.format(\"GET\", prefix .. ids[(n % #ids) + 1])\n"
             "end\n")
    post = ('wrk.method = "POST"\n'
            "wrk.body = '{\"n\": 1}'\n"
            'wrk.headers["Content-Type"] = "application/json"\n')
    scripts = {
        ("read", "baseline"): auth + id_table + 'local prefix = "/bench/read/"\n' + cycle,
        ("read", "ours"): auth + id_table + 'local prefix = "/v1/ops/jobs/"\n' + cycle,
        ("submit", "baseline"): auth + post + 'wrk.path = "/bench/insert"\n',
        ("submit", "ours"): auth + post + 'wrk.path = "/v1/test/noop"\n',
    }
    paths = {}
    for (test, side), text in scripts.items():
        path = bench.tmp / f"{test}-{side}.lua"
        path.write_text(text)
        paths[test, side] = path
    return paths


PATHS = {("read", "baseline"): "/bench/read/", ("read", "ours"): "/v1/ops/jobs/",
         ("submit", "baseline"): "/bench/insert", ("submit", "ours"): "/v1/test/noop"}


def check_endpoints(url: str, key: str, job_id: str) -> None:
    """Each side answers as expected before any load is put on it."""
    for (test, side), path in PATHS.items():
        full = url + path + (job_id if test == "read" else "")
        data = b'{"n": 1}' if test == "submit" else None
        request = urllib.request.Request(full, data=data, headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        expected = 200 if test == "read" else 202
        if status != expected:
            raise SystemExit(f"{side} {test} answered {status}, expected {expected}: "
                             f"{body[:500]!r}")
        if test == "read" and json.loads(body).get("id") != job_id:
            raise SystemExit(f"{side} read did not return the job: {body[:300]!r}")


def run_wrk(url: str, script: Path, seconds: float) -> dict:
    done = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(script), url], capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode:
        raise SystemExit(f"wrk failed: {done.stderr or done.stdout}")
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    return {"rps": rps, "requests": total, "bad": int(bad.group(1)) if bad else 0,
            "socket_errors": sum(map(int, errors.groups())) if errors else 0}


def gunicorn_workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def profile(url: str, script: Path, seconds: float, master: int, out: Path) -> None:
    """py-spy on each worker while wrk drives ``script``; then the top functions."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    out.mkdir(parents=True, exist_ok=True)
    spies = [subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw",
                               "--rate", "250", "--nonblocking", "--duration",
                               str(int(seconds) + 1), "--output", str(out / f"worker-{pid}.txt")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for pid in gunicorn_workers(master)]
    time.sleep(1)   # py-spy attaches
    load = run_wrk(url, script, seconds)
    for spy_proc in spies:
        if spy_proc.wait(timeout=60):
            raise SystemExit(f"py-spy failed: {spy_proc.stderr.read().decode()[:500]}")
    print(f"{load['rps']:.0f} submits/s under py-spy; stacks in {out}")
    print(top_functions(sorted(out.glob("worker-*.txt"))))


def top_functions(paths: list[Path], count: int = 12) -> str:
    """From py-spy's collapsed stacks of the web workers (busy threads only: the server's
    own loop and the request threads), the share of the samples: the functions found at
    the top of the stack most often (self), and the project's own functions with what
    they call (inclusive)."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, n = line.rpartition(" ")
            if not n.isdigit():
                continue   # a stack py-spy could not read whole
            frames = [_short(f) for f in stack.split(";") if f and not _plumbing(f)]
            if not frames:
                continue
            samples = int(n)
            total += samples
            for name in set(frames):
                inclusive[name] = inclusive.get(name, 0) + samples
            own[frames[-1]] = own.get(frames[-1], 0) + samples
    if not total:
        return "no samples"

    def rows(counts: dict[str, int], keep=lambda name: True) -> list[list]:
        ranked = sorted(((n, name) for name, n in counts.items() if keep(name)), reverse=True)
        return [[name, f"{100 * n / total:.1f} %"] for n, name in ranked[:count]]

    project = ("(jobs/", "(bench/", "(config/")
    return (f"{total:,} samples\n"
            + table(["at the top of the stack", "self"], rows(own)) + "\n"
            + table(["the project's functions", "inclusive"],
                    rows(inclusive, lambda name: any(p in name for p in project))))


def _plumbing(frame: str) -> bool:
    """The thread machinery under every request: in every sample, telling nothing."""
    return "(threading.py" in frame or "concurrent/futures/" in frame or \
        "ThreadWorker.handle (" in frame


def _short(frame: str) -> str:
    """'execute (django/db/backends/utils.py:122)' -> 'execute (django/db/backends/utils.py)'."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"


def main(argv=None) -> int:
    parser = build_parser(__doc__.splitlines()[0])
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="profile ours under load with py-spy into DIR")
    parser.add_argument("--asgi", action="store_true",
                        help="serve as bin/start does: uvicorn workers on config.asgi")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    # Many short alternating rounds: load from elsewhere on the machine then falls on
    # both sides of a pair alike, and the median of the paired ratios shrugs off the rest.
    rounds, seconds, warm = (2, 2, 1) if args.quick else (8, 3, 2)
    bench = Bench("api", args)
    bench.header("API throughput")
    bench.migrate()
    key, ids = seed(bench)
    url = bench.start_web(workers=2, threads=4, asgi=args.asgi)
    check_endpoints(url, key, ids[0])
    scripts = lua_scripts(bench, key, ids)

    for test in ("read", "submit"):  # warm both sides (imports, connections, caches)
        for side in ("baseline", "ours"):
            run_wrk(url, scripts[test, side], warm)

    results: dict[tuple[str, str], list[dict]] = {k: [] for k in scripts}
    for test in ("read", "submit"):
        for _ in range(rounds):
            for side in ("baseline", "ours"):
                results[test, side].append(run_wrk(url, scripts[test, side], seconds))
    if args.profile:
        web = next(proc for proc in bench.procs if proc.log_path.stem == "web")
        for side in ("baseline", "ours"):
            print(f"\nprofile of the {side} submit:")
            profile(url, scripts["submit", side], max(seconds, 5), web.pid,
                     args.profile / side)

    bench.close()

    print(f"\n{rounds} rounds x {seconds} s per side, wrk -t{THREADS} -c{CONNECTIONS}, "
          + ("gunicorn --workers 2, uvicorn workers on config.asgi (as bin/start)" if args.asgi
             else "gunicorn --workers 2 --threads 4 on config.wsgi")
          + "; no worker running (submitted jobs queue)")
    print("rate limits set very high, but the counter is still written on every /v1 "
          "request (in the database)")
    print(f"load average {bench.load_before} before, {load_average()} after\n")
    rows, ratios = [], {}
    for test in ("read", "submit"):
        base = [r["rps"] for r in results[test, "baseline"]]
        ours = [r["rps"] for r in results[test, "ours"]]
        paired = [o / b for b, o in zip(base, ours, strict=True)]
        ratios[test] = median(paired)
        for side, values in (("baseline", base), ("ours", ours)):
            bad = sum(r["bad"] + r["socket_errors"] for r in results[test, side])
            rows.append([f"{test} {side}", median(values), min(values), max(values), bad,
                         "" if side == "baseline" else ratio(median(ours), median(base)),
                         "" if side == "baseline" else ratios[test],
                         "" if side == "baseline" else f"{min(paired):.2f}-{max(paired):.2f}"])
    print(table(["req/s", "median", "min", "max", "errors", "ratio of medians",
                 "median paired ratio", "paired range"], rows))
    print()
    for test in ("read", "submit"):
        print(f"{test}: {verdict(ratios[test], TARGETS[test], higher_is_better=True)}")
    for test in ("read", "submit"):
        print(f"RATIO api_throughput.{test} {ratios[test]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
