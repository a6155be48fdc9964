"""A real service for end-to-end and browser tests: gunicorn and a qcluster worker,
started as separate processes against the test database.

Use the ``live_service`` fixture (function scope, needs committed data, so it pulls in
``transactional_db``). ``live_service.url`` is the base URL; ``start_worker()`` and
``kill_worker()`` let a test take the worker away and bring one back.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    auth = f"{user}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{db['NAME']}"


class LiveService:
    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.web: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                start_new_session=True)

    def start_web(self) -> None:
        # The server bin/start runs: gunicorn with uvicorn workers on the ASGI app.
        self.web = self._spawn("web", [sys.executable, "-m", "gunicorn", "config.asgi",
                                       "-k", "uvicorn_worker.UvicornWorker",
                                       "-b", f"127.0.0.1:{self.port}", "-w", "2",
                                       "--timeout", "60", "--keep-alive", "20"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.web.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz/web", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"web server did not start; see {self.log_dir / 'web.log'}")

    def start_worker(self) -> subprocess.Popen:
        worker = self._spawn("worker", [sys.executable, "manage.py", "qcluster"])
        self.workers.append(worker)
        return worker

    def kill_worker(self) -> None:
        """SIGKILL the whole process group: no chance to clean up, as in a crash."""
        for worker in self.workers:
            _kill_group(worker, signal.SIGKILL)
        self.workers.clear()

    def stop(self) -> None:
        # Nothing to save at the end of a test: no graceful shutdown to wait for.
        self.kill_worker()
        if self.web:
            _kill_group(self.web, signal.SIGKILL)


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    if sig == signal.SIGKILL:
        proc.wait(timeout=10)


def service_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "TEST_Q_SYNC": "0",
        "Q_CLUSTER_NAME": f"test-{uuid.uuid4().hex[:10]}",
        "Q_WORKERS": "2",
        "JOB_HEARTBEAT_SECONDS": "1",
        "JOB_LOST_AFTER_SECONDS": "4",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
    }
    if settings.ALLOWED_TARGET_NETWORKS:
        env["ALLOWED_TARGET_NETWORKS"] = ",".join(map(str, settings.ALLOWED_TARGET_NETWORKS))
    if settings.DNS_NAMESERVERS:
        env["DNS_NAMESERVERS"] = ",".join(
            f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in settings.DNS_NAMESERVERS)
    env.update(extra)
    return env


@pytest.fixture
def live_service(transactional_db, tmp_path, request):
    """gunicorn + one qcluster against the test database; torn down after the test."""
    marker = request.node.get_closest_marker("live_env")
    service = LiveService(service_env(**(marker.kwargs if marker else {})), tmp_path)
    try:
        service.start_web()
        service.start_worker()
        yield service
    finally:
        service.stop()
