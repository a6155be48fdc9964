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
