"""One browser per process, reused; a crash fails only the job in hand."""

import os
import signal
import threading
import time

import pytest

from jobs.operations.base import OperationError
from jobs.operations.screenshot.browser import browser_service
from tests.operations.screenshot.conftest import page


def test_browser_is_reused_between_jobs(shot_env, http_servers, capture_job):
    site = http_servers.start({"/": page("x")})
    capture_job({"url": site.url, "options": {"waitTime": 0}})
    launches = browser_service().launches
    pid = browser_service().browser_pid()
    capture_job({"url": site.url, "options": {"waitTime": 0}})
    assert browser_service().launches == launches
    assert browser_service().browser_pid() == pid


def test_a_crash_fails_the_job_in_hand_and_the_next_one_works(shot_env, http_servers,
                                                              capture_job):
    arrived = threading.Event()

    def slow(request):
        arrived.set()
        time.sleep(3)
        return page("slow")

    site = http_servers.start({"/": page("fine", title="Fine"), "/slow": slow})
    capture_job({"url": site.url, "options": {"waitTime": 0}})  # the browser is up
    pid = browser_service().browser_pid()
    assert pid

    def kill_when_loading():
        arrived.wait(10)
        os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_when_loading)
    killer.start()
    with pytest.raises(OperationError) as failure:
        capture_job({"url": f"{site.url}/slow", "options": {"waitTime": 0}})
    killer.join()
    assert failure.value.code == "BROWSER_CRASHED"
    result = capture_job({"url": site.url, "options": {"waitTime": 0}})
    assert result["title"] == "Fine"
    assert browser_service().browser_pid() not in (None, pid)


def _renderers(browser_pid: int) -> list[int]:
    """Renderer processes under the browser (they hang off its zygote, at any depth)."""
    parents, renderers = {}, []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    raw = handle.read()  # renderers rewrite theirs with spaces
                with open(f"/proc/{entry}/stat") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError):
                continue
            if b"--type=renderer" in raw:
                renderers.append(int(entry))

    def under_browser(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == browser_pid:
                return True
        return False

    return [pid for pid in renderers if under_browser(pid)]


def test_a_crashed_page_fails_its_job_and_keeps_the_browser(shot_env, http_servers,
                                                            capture_job):
    arrived = threading.Event()

    def pixel(request):
        arrived.set()
        return page("")

    site = http_servers.start({"/": page("fine", title="Fine"), "/pixel": pixel,
                               "/doomed": page("<img src='/pixel'>", title="Doomed")})
    capture_job({"url": site.url, "options": {"waitTime": 0}})
    pid = browser_service().browser_pid()

    def kill_renderers():
        arrived.wait(10)
        time.sleep(0.5)  # loaded; the capture is in its wait time
        for renderer in _renderers(pid):
            os.kill(renderer, signal.SIGKILL)

    killer = threading.Thread(target=kill_renderers)
    killer.start()
    with pytest.raises(OperationError) as failure:
        capture_job({"url": f"{site.url}/doomed", "options": {"waitTime": 3000}})
    killer.join()
    assert failure.value.code == "CAPTURE_FAILED"
    assert capture_job({"url": site.url, "options": {"waitTime": 0}})["title"] == "Fine"
    assert browser_service().browser_pid() == pid  # the browser itself lived on
