"""One client per process, even when threads race to build it.

``functools.cache`` lets two threads that miss at once both build the value and keeps
only one. For a Redis client that is harmful, not just wasteful: the client dropped is
garbage-collected and closes its connection pool, under the thread still using it
("I/O operation on closed file" on the first requests after a web process starts).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def built_once(func: Callable[..., T]) -> Callable[..., T]:
    """Like ``functools.cache`` (positional, hashable arguments), built under a lock."""
    lock = threading.Lock()
    built: dict[tuple, T] = {}

    @functools.wraps(func)
    def wrapper(*args):
        try:
            return built[args]
        except KeyError:
            with lock:
                if args not in built:
                    built[args] = func(*args)
                return built[args]

    wrapper.cache_clear = built.clear  # type: ignore[attr-defined]
    return wrapper
