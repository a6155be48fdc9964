"""The operation context: progress readers see only moves forward, and cancellation stops."""

import asyncio
import threading

import pytest

from jobs.operations.base import Context, JobAborted


def recording_context(active=lambda: True):
    written = []

    def report(current, total, message):
        written.append((current, total, message))
        return active()

    return Context(job_id="j", timeout=60, report=report, is_active=active), written


def test_a_step_behind_the_last_one_is_not_written():
    ctx, written = recording_context()
    ctx.progress(0, 8, "Resolving")
    ctx.progress(6, 8, "Checking ports")
    ctx.progress(4, 8, "Checking TLS")  # arrived late
    ctx.progress(6, 8, "Still on ports")
    ctx.progress(8, 8, "Done")
    assert [c for c, _, _ in written] == [0, 6, 6, 8]


def test_a_new_total_starts_a_new_phase():
    ctx, written = recording_context()
    ctx.progress(1, 1, "Generated names")
    ctx.progress(0, 500, "Resolving 0/500")
    assert written == [(1, 1, "Generated names"), (0, 500, "Resolving 0/500")]


def test_a_late_step_still_notices_cancellation():
    state = {"active": True}
    ctx, written = recording_context(active=lambda: state["active"])
    ctx.progress(5, 8, "Halfway")
    state["active"] = False
    with pytest.raises(JobAborted):
        ctx.progress(3, 8, "Late")
    assert len(written) == 1


def test_concurrent_async_reports_reach_the_store_in_order():
    """Reports from worker threads that finish out of order never show a step backwards."""
    release = threading.Event()
    written = []

    def report(current, total, message):
        if current == 1:
            release.wait(2)  # the first write stalls while later ones queue behind it
        written.append(current)
        return True

    ctx = Context(job_id="j", timeout=60, report=report)

    async def main():
        first = asyncio.create_task(ctx.aprogress(1, 4, "one"))
        await asyncio.sleep(0.05)
        rest = [asyncio.create_task(ctx.aprogress(n, 4, str(n))) for n in (3, 2)]
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(first, *rest)

    asyncio.run(main())
    assert written == sorted(written)


def test_the_context_hands_out_clients_configured_from_settings(settings):
    from jobs.operations.base import make_test_context

    settings.ALLOWED_TARGET_NETWORKS = ["127.0.0.0/8"]
    settings.DNS_NAMESERVERS = [("127.0.0.1", 5353)]
    settings.WHOIS_SERVER = "127.0.0.1:4343"
    ctx = make_test_context()
    assert ctx.dns().nameservers == [("127.0.0.1", 5353)]
    assert ctx.http().policy == ctx.tls().policy == ctx.ports().policy == ctx.policy
    assert ctx.policy.literal_refusal("127.0.0.1") is None
    assert ctx.whois().server == "127.0.0.1:4343"
    assert ctx.tls(timeout=3.0).timeout == 3.0
    settings.ALLOWED_TARGET_NETWORKS = []
    assert ctx.ports().policy.literal_refusal("127.0.0.1") == "127.0.0.1 is a loopback address"
