"""The load of ``bench/load.py``, as locust users (run headless by load.py, one process).

- ``Poller`` (``LOAD_POLLERS`` of them): takes the oldest submitted job nobody follows,
  GETs it, sleeps what ``Retry-After`` says and repeats until the job is terminal.
- ``Submitter``: ``LOAD_SUBMITTERS`` users that together submit ``LOAD_RATE`` jobs per
  second (each at a constant throughput of its share).

Environment: ``LOAD_KEY`` (API key), ``LOAD_POLLERS``, ``LOAD_RATE``, ``LOAD_SUBMITTERS``.
Jobs are handed from submitters to pollers through an in-process queue, so run it as one
process (the default of ``locust --headless``). Request names: ``submit`` and ``poll``.
"""

from __future__ import annotations

import os
import uuid
from collections import deque

import gevent
from locust import FastHttpUser, constant, constant_throughput, events, task

SUBMIT = "/v1/ops/enrichment/similar-domains"
BODY = {"domain": "example.com", "limit": 10}
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
KEY = os.environ.get("LOAD_KEY", "")
POLLERS = int(os.environ.get("LOAD_POLLERS", "200"))
RATE = float(os.environ.get("LOAD_RATE", "50"))
SUBMITTERS = int(os.environ.get("LOAD_SUBMITTERS", str(max(1, int(RATE * 2)))))

TODO: deque[str] = deque()
FOLLOWED = {"to_end": 0}


class Base(FastHttpUser):
    abstract = True
    # Each user holds one keep-alive connection; a request that hangs counts as an error.
    connection_timeout = 30.0
    network_timeout = 30.0

    def on_start(self):
        self.headers = {"Authorization": f"Bearer {KEY}"}


class Submitter(Base):
    fixed_count = SUBMITTERS
    wait_time = constant_throughput(RATE / SUBMITTERS)

    @task
    def submit(self):
        with self.client.post(SUBMIT, json=BODY, name="submit", catch_response=True,
                              headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex},
                              ) as answer:
            if answer.status_code == 202:
                TODO.append(answer.json()["jobId"])
                answer.success()
            else:
                answer.failure(_failure(answer))


class Poller(Base):
    fixed_count = POLLERS
    wait_time = constant(0)

    @task
    def follow(self):
        if not TODO:
            gevent.sleep(0.2)
            return
        job_id = TODO.popleft()
        while True:
            with self.client.get(f"/v1/ops/jobs/{job_id}", name="poll", headers=self.headers,
                                 catch_response=True) as answer:
                if answer.status_code != 200:
                    answer.failure(_failure(answer))
                    gevent.sleep(1)
                    continue
                answer.success()
                if answer.json().get("status") in TERMINAL:
                    FOLLOWED["to_end"] += 1
                    return
                wait = float(answer.headers.get("Retry-After") or 1)
            gevent.sleep(wait)


def _failure(answer) -> str:
    if answer.status_code:
        return f"status {answer.status_code}"
    return f"no answer: {type(answer.error).__name__}: {answer.error}"


@events.quitting.add_listener
def _report_followed(environment, **_kwargs):
    path = os.environ.get("LOAD_FOLLOWED_FILE")
    if path:
        with open(path, "w") as out:
            out.write(str(FOLLOWED["to_end"]))
