"""Long-poll and event streams end to end: the ASGI server bin/start runs, a worker, and
job moves made here, with the database broker and with Redis."""

import threading
import time
import uuid

import httpx
import pytest
from django.utils import timezone

from jobs import lifecycle
from tests.factories import OrganizationFactory, api_key_with_raw
from tests.push.helpers import complete, running_job
from tests.push.sse import events

# These tests move hand-made "running" jobs themselves; the live worker's reaper must not
# take them back as lost while a slow machine answers.
QUIET_REAPER = {"JOB_LOST_AFTER_SECONDS": "600"}
pytestmark = [pytest.mark.e2e, pytest.mark.live_env(**QUIET_REAPER)]
REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_CLUSTER = f"test-push-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def caller(live_service):
    org = OrganizationFactory(name="push")
    _, raw = api_key_with_raw(org, name="push-key")
    with httpx.Client(base_url=live_service.url, headers={"x-api-key": raw},
                      timeout=40) as client:
        client.org = org
        yield client


@pytest.fixture
def redis_moves(settings):
    """Moves made by this test process publish where the service listens."""
    settings.REDIS_URL = REDIS_URL
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "name": REDIS_CLUSTER}


def step(job, n):
    assert lifecycle.job_report_progress(job_id=job.pk, worker="w", current=n, total=10,
                                         message=f"step {n}")


def long_poll_latencies(caller, rounds=5):
    """Seconds from a move to the waiting request's answer, one per round.

    The request may reach a loaded server after the first move (it then waits for the
    next change), so the job keeps moving every half second until the answer comes;
    the latency counts from the last move before it.
    """
    job = running_job(caller.org)
    latencies, current = [], 0
    for _ in range(rounds):
        answer = {}

        def poll():
            answer["response"] = caller.get(f"/v1/ops/jobs/{job.pk}", params={"wait": 10})
            answer["at"] = time.monotonic()

        thread = threading.Thread(target=poll)
        thread.start()
        time.sleep(0.4)  # the request is most likely waiting by now
        while thread.is_alive():
            current += 1
            moved_at = time.monotonic()
            step(job, current)
            thread.join(0.5)
        response = answer["response"]
        assert response.status_code == 200
        assert response.json()["progress"]["current"] >= 1  # it saw a move, not the limit
        latencies.append(answer["at"] - moved_at)
    return latencies


def woke_promptly(latencies):
    # Every wait ended by the move (the answer carries the new step), long before its
    # 10 s limit. How fast (the 100 ms target) is measured by bench/push.py, not here:
    # a timed assertion fails on a loaded machine for reasons that are not bugs.
    return max(latencies) < 5


def test_long_poll_wakes_on_a_move_database_broker(caller):
    latencies = long_poll_latencies(caller)
    assert woke_promptly(latencies), latencies


@pytest.mark.live_env(REDIS_URL=REDIS_URL, Q_CLUSTER_NAME=REDIS_CLUSTER, **QUIET_REAPER)
def test_long_poll_wakes_on_a_move_redis(caller, redis_moves):
    latencies = long_poll_latencies(caller)
    assert woke_promptly(latencies), latencies


def test_long_poll_times_out_with_the_current_state(caller):
    job = running_job(caller.org)
    started = time.monotonic()
    response = caller.get(f"/v1/ops/jobs/{job.pk}", params={"wait": 1})
    assert response.status_code == 200 and response.json()["status"] == "PROCESSING"
    assert time.monotonic() - started >= 1
    assert response.headers["Retry-After"] == "2"


def test_long_poll_on_an_ended_job_answers_at_once(caller):
    job = running_job(caller.org)
    complete(job)
    response = caller.get(f"/v1/ops/jobs/{job.pk}", params={"wait": 30}, timeout=5)
    assert response.json()["status"] == "COMPLETED"


@pytest.mark.live_env(PUSH_MAX_WAITERS="1", **QUIET_REAPER)
def test_waiting_requests_are_bounded(caller, live_service):
    # Two web processes, one waiter each: of eight waits sent at once (none can end
    # before its 3 s), at most two wait and the rest are refused, whichever process
    # each one reaches. (Holding one waiter per process and then sending one more
    # depended on how the kernel spread the holders' connections over the two.)
    job = running_job(caller.org)
    answers = []

    def wait():
        answers.append(caller.get(f"/v1/ops/jobs/{job.pk}", params={"wait": 3}, timeout=10))

    threads = [threading.Thread(target=wait) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    refused = [r for r in answers if r.status_code == 429]
    assert len(answers) == 8 and len(refused) >= 6
    assert all(r.status_code == 200 for r in answers if r not in refused)
    for response in refused:
        assert response.headers["Retry-After"] == "2"
        assert response.json()["error"] == "rate_limited"


def test_stream_sends_progress_status_and_result_then_closes(caller):
    job = running_job(caller.org)
    seen = []

    def drive():
        for n in (1, 2):
            step(job, n)
            time.sleep(0.2)
        complete(job, {"n": 7})

    with caller.stream("GET", f"/v1/ops/jobs/{job.pk}/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response)
        seen = [next(stream), next(stream)]  # the state as it is now
        threading.Thread(target=drive).start()
        seen += list(stream)  # ends when the server closes the stream
    names = [name for _id, name, _data in seen]
    assert names[:2] == ["status", "progress"] and names[-1] == "result"
    assert seen[0][2] == {"jobId": str(job.pk), "status": "PROCESSING"}
    # Each change the stream notices is sent; steps closer together than it looks may
    # arrive as one (the state is what is sent), never out of order.
    currents = [d["current"] for _i, n, d in seen if n == "progress"]
    assert currents[0] == 0 and len(currents) >= 2 and currents == sorted(currents)
    assert ("status", {"jobId": str(job.pk), "status": "COMPLETED"}) in [
        (n, d) for _i, n, d in seen]
    assert seen[-1][2]["result"] == {"n": 7} and seen[-1][2]["status"] == "COMPLETED"


def test_stream_resumes_after_last_event_id(caller):
    job = running_job(caller.org)
    with caller.stream("GET", f"/v1/ops/jobs/{job.pk}/stream") as response:
        stream = events(response)
        first = [next(stream), next(stream)]  # status + progress of the current state
    last_id = first[-1][0]
    step(job, 5)
    complete(job)
    with caller.stream("GET", f"/v1/ops/jobs/{job.pk}/stream",
                       headers={"Last-Event-ID": last_id}) as response:
        resumed = list(events(response))
    assert all(event_id != last_id for event_id, _n, _d in resumed)
    assert [n for _i, n, _d in resumed] == ["status", "progress", "result"]
    final_id = resumed[-1][0]
    again = caller.get(f"/v1/ops/jobs/{job.pk}/stream", headers={"Last-Event-ID": final_id})
    assert again.status_code == 204  # it saw the end already: stop reconnecting
    same = caller.get(f"/v1/ops/jobs/{job.pk}/stream", headers={"Last-Event-ID": last_id})
    assert same.status_code == 200 and "event: result" in same.text


@pytest.mark.live_env(REDIS_URL=REDIS_URL, Q_CLUSTER_NAME=REDIS_CLUSTER, **QUIET_REAPER)
def test_stream_with_redis(caller, redis_moves):
    job = running_job(caller.org)
    threading.Timer(0.5, lambda: complete(job)).start()
    started = time.monotonic()
    with caller.stream("GET", f"/v1/ops/jobs/{job.pk}/stream") as response:
        names = [n for _i, n, _d in events(response)]
    assert names[-1] == "result" and time.monotonic() - started < 5


def test_stream_of_another_organizations_job_is_404(caller, live_service):
    other = running_job(OrganizationFactory(name="globex"))
    assert caller.get(f"/v1/ops/jobs/{other.pk}/stream").status_code == 404
    assert caller.get(f"/v1/ops/jobs/{other.pk}", params={"wait": 1}).status_code == 404
    assert caller.get("/v1/ops/jobs/not-a-uuid/stream").status_code == 404
    no_key = httpx.get(f"{live_service.url}/v1/ops/jobs/{other.pk}/stream")
    assert no_key.status_code == 401


def test_the_rest_of_the_site_works_under_the_same_server(caller, live_service):
    assert httpx.get(f"{live_service.url}/login/").status_code == 200
    assert httpx.get(f"{live_service.url}/static/js/htmx.min.js").status_code == 200
    assert timezone.now()
