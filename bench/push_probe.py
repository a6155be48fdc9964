"""The baseline of bench/push.py's delivery latency: bare django-q2 runs a task that
POSTs a plain JSON body with httpx (no outbox, no signing, no target policy)."""

import time

import httpx


def post_probe(url: str, queued_at: float) -> None:
    httpx.post(url, json={"queuedAt": queued_at, "sentAt": time.time()}, timeout=10)
