"""Clients shared by a process's threads are built once, however the threads race."""

import threading
import time

from jobs.once import built_once


def test_racing_threads_build_one_client_and_all_get_it():
    builds = []

    @built_once
    def client(url):
        builds.append(url)
        time.sleep(0.05)  # long enough for every thread to miss at once
        return object()

    start = threading.Barrier(8)
    got = []

    def call():
        start.wait()
        got.append(client("redis://x"))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == ["redis://x"]
    assert len({id(value) for value in got}) == 1
    assert client("redis://y") is not got[0]
    client.cache_clear()
    assert client("redis://x") is not got[0]
