"""What every operation sees: the error type it raises and the context it runs in."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async

from jobs import clients
from jobs.net.dns import DnsAnswer, DnsClient
from jobs.net.http import HttpClient
from jobs.net.policy import Policy
from jobs.net.ports import PortScanner
from jobs.net.rdap import RdapClient
from jobs.net.tls import TlsClient
from jobs.net.whois import WhoisClient


class OperationError(Exception):
    """The one error an operation raises to fail its job with a code users can act on.

    ``code`` is an upper-case constant (``TARGET_UNREACHABLE``, ``TARGET_NOT_ALLOWED``),
    ``message`` a sentence for people, ``details`` an optional plain string.
    """

    def __init__(self, code: str, message: str, details: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class JobAborted(Exception):
    """Raised inside an operation when its job was cancelled or taken from this worker."""


class JobTimedOut(OperationError):
    def __init__(self, seconds: float):
        super().__init__("TIMEOUT", f"The job ran past its time limit of {seconds:.0f} seconds.")


@dataclass
class Context:
    """Handed to ``run(params, ctx)``: progress, cancellation, deadline, network settings.

    ``report`` writes progress and returns False when the job is no longer ours to run
    (cancelled, or given to another worker); ``is_active`` answers the same question
    without writing. Both are supplied by the task runner; tests can pass plain callables.
    """

    job_id: str
    timeout: float
    report: Callable[[int, int, str], bool]
    is_active: Callable[[], bool] = lambda: True
    started: float = field(default_factory=time.monotonic)
    # Sees every DNS answer the job's clients get (the organization's observation store).
    recorder: Callable[[DnsAnswer], None] | None = None
    # Read access to that store (jobs.observations.ObservationReader), when there is one.
    observations: Any = None
    # Sees every WHOIS answer the job's clients get (the registration store's recorder).
    whois_recorder: Callable[[Any], None] | None = None
    # Sees every RDAP domain object the job's clients get (the same store's recorder).
    rdap_recorder: Callable[[dict], None] | None = None
    # The organization the job runs for (None in unit tests without one).
    organization_id: int | None = None
    _last: tuple[int, int] = field(default=(-1, -1), init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def deadline(self) -> float:
        return self.started + self.timeout

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def progress(self, current: int, total: int, message: str) -> None:
        """Record a step; stops the operation if the job was cancelled or ran out of time.

        Async operations report from several threads at once, so two writes can arrive
        out of order. Readers must never see progress move backwards: a step behind the
        last one written for the same total is not written, only checked.
        """
        self._check_time()
        with self._lock:
            behind = total == self._last[1] and current < self._last[0]
            if not behind:
                self._last = (current, total)
                active = self.report(current, total, message)
        if behind:
            active = self.is_active()
        if not active:
            raise JobAborted(self.job_id)

    def check(self) -> None:
        """Stop here if the job was cancelled or ran out of time (no write)."""
        self._check_time()
        if not self.is_active():
            raise JobAborted(self.job_id)

    async def aprogress(self, current: int, total: int, message: str) -> None:
        await sync_to_async(self.progress, thread_sensitive=True)(current, total, message)

    async def acheck(self) -> None:
        await sync_to_async(self.check, thread_sensitive=True)()

    # --- configured network clients: operations get them here, never build their own ---
    # (jobs.clients reads the settings; every client shares the job's target policy and
    # reports its DNS answers to the recorder.)

    @property
    def policy(self) -> Policy:
        return clients.target_policy()

    def dns(self, **options: Any) -> DnsClient:
        return clients.dns(observer=self.recorder, **options)

    def http(self, **options: Any) -> HttpClient:
        options.setdefault("dns", self.dns())
        return clients.http(**options)

    def whois(self, **options: Any) -> WhoisClient:
        options.setdefault("dns", self.dns())
        options.setdefault("observer", self.whois_recorder)
        return clients.whois(**options)

    def rdap(self, **options: Any) -> RdapClient:
        options.setdefault("dns", self.dns())
        options.setdefault("observer", self.rdap_recorder)
        return clients.rdap(**options)

    def tls(self, **options: Any) -> TlsClient:
        options.setdefault("dns", self.dns())
        return clients.tls(**options)

    def ports(self, **options: Any) -> PortScanner:
        return clients.ports(**options)

    def _check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise JobTimedOut(self.timeout)


def make_test_context(timeout: float = 60.0, **kwargs: Any) -> Context:
    """A context that records progress in memory, for operation unit tests."""
    steps: list[tuple[int, int, str]] = []

    def report(current: int, total: int, message: str) -> bool:
        steps.append((current, total, message))
        return True

    ctx = Context(job_id="test", timeout=timeout, report=report, **kwargs)
    ctx.steps = steps  # type: ignore[attr-defined]
    return ctx
