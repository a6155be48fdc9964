"""Website screenshots against a bare Playwright script: captures per minute, and memory.

Both capture the same local page (a small styled page with an image and a script,
served on 127.0.0.1), one capture at a time, in interleaved rounds:

- ours: the whole ``screenshot`` operation as a worker runs it (``call_run`` with a real
  job row): the target check, the policy proxy, a fresh context, the cookie-banner
  search, PNG out, pHash, storage through the artifact storage and the capture row;
- baseline: a bare Playwright script with its own Chromium (same binary), a fresh
  context per capture, ``goto`` and a PNG screenshot, nothing else.

Then the worker's memory with its browser warm: this process (PSS) plus the Playwright
driver and Chromium processes it runs (PSS, so shared pages are not counted twice).

    .venv/bin/python bench/screenshot.py [--rounds 5] [--captures 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_RATIO = 0.8
PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>Bench page</title>
<style>body{font-family:sans-serif;margin:0;background:#eef2ff}header{background:#1e3a8a;
color:#fff;padding:20px}main{max-width:600px;margin:40px auto;background:#fff;padding:24px}
</style></head><body><header>Example Corp</header><main><h1>Sign in</h1>
<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p><img src="/logo.svg" alt="">
<script>document.querySelector('h1').textContent += ' now';</script></main></body></html>"""
LOGO = (b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
        b'<rect width="120" height="40" fill="#1d4ed8"/></svg>')


def setup_django(folder: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["VAR_DIR"] = str(folder)
    os.environ["ALLOWED_TARGET_NETWORKS"] = "127.0.0.1/32"
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def serve() -> str:
    from tests.servers.http_server import HttpTestServer, Reply

    html = [("Content-Type", "text/html; charset=utf-8")]
    server = HttpTestServer({"/": Reply(200, html, PAGE),
                             "/logo.svg": Reply(200, [("Content-Type", "image/svg+xml")], LOGO)})
    return server.start().url + "/"


class Ours:
    def __init__(self, url: str):
        from jobs.models import Organization
        from jobs.operations import get_operation

        self.spec = get_operation("screenshot")
        self.org = Organization.objects.create(name="bench")
        self.params = self.spec.params.model_validate({"url": url, "options": {
            "width": 1280, "height": 800, "waitTime": 0}})

    def capture(self) -> None:
        from jobs.models import Job, JobStatus
        from jobs.operations.base import Context
        from jobs.runner import call_run

        job = Job.objects.create(organization=self.org, type=self.spec.type,
                                 status=JobStatus.PROCESSING, params={}, target="bench")
        result = call_run(self.spec.run, self.params,
                          Context(job_id=str(job.pk), timeout=60, report=lambda *a: True))
        assert result["httpStatus"] == 200, result


class Bare:
    def __init__(self, url: str):
        from playwright.sync_api import sync_playwright

        from jobs.operations.screenshot.browser import CHROMIUM_FLAGS

        self.url = url
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)

    def capture(self) -> None:
        context = self.browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(self.url, wait_until="load")
        assert page.screenshot(type="png")
        context.close()

    def close(self) -> None:
        self.browser.close()
        self.playwright.stop()


def per_minute(capture, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        capture()
    return count / (time.perf_counter() - start) * 60


def pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def ours_memory_mib() -> tuple[float, float]:
    """(this process, our Playwright driver + Chromium tree), in MiB of PSS."""
    from jobs.operations.screenshot.browser import browser_service

    browser_pid = browser_service().browser_pid()
    with open(f"/proc/{browser_pid}/stat") as handle:
        driver = int(handle.read().rsplit(")", 1)[1].split()[1])
    tree = [driver, *descendants(driver)]
    return pss_kib(os.getpid()) / 1024, sum(pss_kib(p) for p in tree) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--captures", type=int, default=8, help="captures per round and side")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-screenshot-") as folder:
        setup_django(Path(folder))
        from jobs.operations.screenshot.browser import browser_service_stop

        url = serve()
        ours, bare = Ours(url), Bare(url)
        ours.capture(), bare.capture()  # warm both browsers
        rates: dict[str, list[float]] = {"baseline": [], "ours": []}
        for round_number in range(args.rounds):
            order = [("baseline", bare), ("ours", ours)]
            for name, side in order if round_number % 2 == 0 else reversed(order):
                rates[name].append(per_minute(side.capture, args.captures))
        python_mib, browser_mib = ours_memory_mib()
        bare.close()
        browser_service_stop()
    base, mine = statistics.median(rates["baseline"]), statistics.median(rates["ours"])
    ratio = mine / base
    print(f"{'side':<10} {'captures/min (median)':>22}  rounds")
    for name, values in rates.items():
        print(f"{name:<10} {statistics.median(values):>22.1f}  "
              + " ".join(f"{v:.0f}" for v in values))
    print(f"worker memory (PSS): python {python_mib:.0f} MiB + playwright driver and "
          f"chromium {browser_mib:.0f} MiB = {python_mib + browser_mib:.0f} MiB")
    print(f"RATIO screenshot_captures_per_min {ratio:.2f} (target >= {TARGET_RATIO})")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
