"""Shared harness for the benchmark scripts.

Each script gets a fresh database of its own (a SQLite file in a temporary folder, or a
PostgreSQL database it creates and drops), an optional Redis broker under a cluster name
of its own, and starts and stops its own server and worker processes.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS_URL = "redis://127.0.0.1:6379/0"
HIGH_RATE_LIMITS = ",".join(
    f"{category}=100000000/60" for category in ("reads", "scans", "bulk", "screenshots", "other"))


def parse_args(description: str, argv=None) -> argparse.Namespace:
    return build_parser(description).parse_args(argv)


def build_parser(description: str) -> argparse.ArgumentParser:
    """The options every benchmark takes; a script may add its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a short run (about 30 s)")
    parser.add_argument("--postgres", action="store_true",
                        help="a fresh PostgreSQL database on 127.0.0.1:5432 instead of SQLite")
    parser.add_argument("--redis", action="store_true",
                        help=f"the Redis broker ({REDIS_URL}) instead of the database broker")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (logs, SQLite file) afterwards")
    return parser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Bench:
    """One benchmark run's database, environment and child processes."""

    def __init__(self, name: str, args: argparse.Namespace, *, workers: int = 2,
                 database: str | None = None, **extra_env):
        """``database``: a PostgreSQL database name (or SQLite file) to use and keep,
        created when missing, instead of a fresh one dropped at the end."""
        self.name = name
        self.args = args
        self.tag = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{self.tag}-"))
        self.procs: list[subprocess.Popen] = []
        self.pg_database = None   # dropped at the end
        if args.postgres:
            p = POSTGRES
            if database:
                if not _pg_exists(database):
                    _pg_admin(f'CREATE DATABASE "{database}"')
            else:
                self.pg_database = database = self.tag
                _pg_admin(f'CREATE DATABASE "{database}"')
            database_url = f"postgres://{p['user']}@{p['host']}:{p['port']}/{database}"
        else:
            path = Path(database).resolve() if database else self.tmp / "db.sqlite3"
            database_url = f"sqlite:///{path}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url,
            "VAR_DIR": str(self.tmp / "var"),
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "Q_CLUSTER_NAME": self.tag,
            "Q_WORKERS": str(workers),
            "TEST_Q_SYNC": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "RATE_LIMITS": HIGH_RATE_LIMITS,
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("REDIS_URL", None)
        if args.redis:
            self.env["REDIS_URL"] = REDIS_URL
        self.env.update(extra_env)
        self._closed = False
        self.load_before = load_average()
        atexit.register(self.close)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    # --- description ------------------------------------------------------------------

    @property
    def database_label(self) -> str:
        return "PostgreSQL" if self.args.postgres else "SQLite"

    @property
    def broker_label(self) -> str:
        return "Redis" if self.args.redis else "database (ORM)"

    def header(self, what: str) -> None:
        print(f"{what}: database {self.database_label}, broker {self.broker_label}, "
              f"{os.cpu_count()} CPUs{', quick run' if self.args.quick else ''}", flush=True)

    # --- setup ------------------------------------------------------------------------

    def migrate(self) -> None:
        # --skip-checks: system checks import every URL module, which has nothing to do
        # with creating tables.
        self.run_manage("migrate", "--noinput", "-v0", "--skip-checks")

    def run_manage(self, *args: str) -> str:
        done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def django_setup(self) -> None:
        """Configure Django in this process against the same database and broker."""
        for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "VAR_DIR", "SECRET_KEY",
                    "Q_CLUSTER_NAME", "Q_WORKERS", "TEST_Q_SYNC", "ALLOWED_HOSTS",
                    "RATE_LIMITS", "REDIS_URL"):
            if key in self.env:
                os.environ[key] = self.env[key]
            else:
                os.environ.pop(key, None)
        # This process only submits and reads: keep its per-task INFO lines quiet (the
        # server and worker processes log as configured, into their log files).
        os.environ["LOG_LEVEL"] = "WARNING"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()

    # --- processes --------------------------------------------------------------------

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - lives with the process
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                start_new_session=True)
        proc.log_path = self.tmp / f"{name}.log"
        self.procs.append(proc)
        return proc

    def start_web(self, *, workers: int = 2, threads: int = 4, asgi: bool = False) -> str:
        """gunicorn on the WSGI application (``threads`` per worker), or with ``asgi`` as
        ``bin/start`` serves the site: uvicorn workers on ``config.asgi``."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = (["config.asgi", "-k", "uvicorn_worker.UvicornWorker", "--keep-alive", "20"]
                  if asgi else ["config.wsgi", "--threads", str(threads)])
        web = self.spawn("web", [PYTHON, "-m", "gunicorn", *server,
                                 "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                                 "--timeout", "60", "--log-level", "warning"])
        # A 500 here usually means a URL module does not import (an edit in progress
        # elsewhere in the project): Django retries the import on each request, so wait.
        deadline = time.monotonic() + 180
        said = False
        while time.monotonic() < deadline:
            if web.poll() is not None:
                raise SystemExit(f"the web server exited; see {web.log_path}:\n"
                                 + _tail(web.log_path))
            try:
                with urllib.request.urlopen(f"{url}/healthz/web", timeout=2) as answer:
                    if answer.status == 200:
                        return url
            except urllib.error.HTTPError as exc:
                if not said:
                    print(f"web server answers /healthz/web with {exc.code}; waiting (up to "
                          f"3 min) for the project's URL modules to import", flush=True)
                    said = True
                time.sleep(2)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise SystemExit(f"the web server did not answer; see {web.log_path}:\n"
                         + _tail(web.log_path))

    def start_worker(self) -> subprocess.Popen:
        # --skip-checks as for migrate: the worker never loads the URL modules.
        return self.spawn("worker", [PYTHON, "manage.py", "qcluster", "--skip-checks"])

    def stop(self, proc: subprocess.Popen, timeout: float = 15) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        else:
            # The leader is gone; make sure nothing it forked lingers.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if proc in self.procs:
            self.procs.remove(proc)

    # --- teardown ---------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for proc in list(self.procs):
            try:
                self.stop(proc)
            except Exception as exc:  # keep tearing down the rest
                print(f"could not stop {proc.args[:3]}: {exc}", file=sys.stderr)
        if "django" in sys.modules:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:
                pass
        if self.pg_database:
            try:
                _pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')
            except Exception as exc:
                print(f"could not drop database {self.pg_database}: {exc}", file=sys.stderr)
        if self.args.redis:
            try:
                import redis

                client = redis.Redis.from_url(REDIS_URL)
                keys = list(client.scan_iter(match=f"*{self.tag}*", count=1000))
                for start in range(0, len(keys), 500):
                    client.delete(*keys[start:start + 500])
            except Exception as exc:
                print(f"could not clean Redis keys of {self.tag}: {exc}", file=sys.stderr)
        if self.args.keep:
            print(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **POSTGRES) as conn:
        conn.execute(sql)


def _pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **POSTGRES) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [name]).fetchone() is not None


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


# --- numbers and tables -------------------------------------------------------------


def load_average() -> str:
    """The 1-minute load average: other work on the machine makes every number noisier."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values, q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def ratio(ours: float, baseline: float) -> float:
    return ours / baseline if baseline else float("nan")


def table(header: list[str], rows: list[list]) -> str:
    cells = [header] + [[_cell(value) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(value.rjust(widths[i]) if i else value.ljust(widths[i])
                               for i, value in enumerate(row)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, float):
        if value != value:
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def verdict(value: float, target: float, *, higher_is_better: bool) -> str:
    ok = value >= target if higher_is_better else value <= target
    sign = "≥" if higher_is_better else "≤"
    return f"target {sign} {target:g}: {'met' if ok else 'MISSED'}"
