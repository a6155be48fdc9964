"""The ASGI server's PostgreSQL connection pool: waiting requests do not hold connections.

Each web process keeps a pool of ``DB_POOL_SIZE`` connections (config/asgi.py turns it
on). A long-poll or an event stream spends its time waiting, so it gives its connection
back while it waits: more waiters than the pool has connections must not starve the
requests that need one (they would wait for the pool's timeout and fail with 503).
"""

import threading
import time

import httpx
import pytest
from django.db import connection

from tests.factories import OrganizationFactory, api_key_with_raw
from tests.push.helpers import complete, running_job

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the connection pool is PostgreSQL's (SQLite has none)"),
    pytest.mark.live_env(DB_POOL_SIZE="2", JOB_LOST_AFTER_SECONDS="600"),
]


def test_waiters_beyond_the_pool_size_leave_connections_for_other_requests(live_service):
    org = OrganizationFactory(name="pool")
    _, raw = api_key_with_raw(org, name="pool-key")
    job = running_job(org)
    answers: list[int] = []

    def hold(path: str, **params) -> None:
        with httpx.Client(base_url=live_service.url, headers={"x-api-key": raw},
                          timeout=40) as client:
            if path.endswith("/stream"):
                with client.stream("GET", path) as response:
                    answers.append(response.status_code)
                    for _ in response.iter_bytes():
                        pass  # until the server's keep-alive or our timeout
            else:
                answers.append(client.get(path, params=params).status_code)

    # Two web processes with two connections each; eight waiting long-polls and two streams.
    holders = [threading.Thread(target=hold, args=(f"/v1/ops/jobs/{job.pk}",),
                                kwargs={"wait": 6}, daemon=True) for _ in range(8)]
    holders += [threading.Thread(target=hold, args=(f"/v1/ops/jobs/{job.pk}/stream",),
                                 daemon=True) for _ in range(2)]
    for thread in holders:
        thread.start()
    time.sleep(1.5)
    with httpx.Client(base_url=live_service.url, headers={"x-api-key": raw},
                      timeout=40) as client:
        # Starved, each read would wait for the pool's 10 s timeout and fail with 503.
        reads = [client.get(f"/v1/ops/jobs/{job.pk}").status_code for _ in range(6)]
    complete(job)  # ends the long-polls and the streams
    for thread in holders:
        thread.join(30)
    assert reads == [200] * 6
    assert answers == [200] * 10
