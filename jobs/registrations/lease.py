"""Whether an import is running anywhere: a lock every import holds while it runs.

A bulk import sets the search indexes aside and marks its run "running" until it ends;
a process killed outright does neither part of its cleanup. Every import holds this
lease shared; the repair after a lost import takes it exclusively, only when no import
holds it, and so never mistakes a live import (on any machine) for a dead one.

The lock goes with the process that holds it, however it ends: on PostgreSQL a session
advisory lock on a connection of its own (the server drops it with the connection); on
SQLite ``flock`` on a file beside the database (the kernel drops it with the process).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

log = logging.getLogger(__name__)
# pg_advisory_lock's key space is shared by everything in the database: one fixed key.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"registration-import").digest()[:8], "big",
                              signed=True)


@contextmanager
def import_lease() -> Iterator[None]:
    """Held for the whole of an import; waits, and says so, while a repair rebuilds."""
    with _held(exclusive=False, wait=False) as held:
        if held:
            yield
            return
    log.warning("the search indexes a lost import set aside are being rebuilt; this "
                "import starts when that is done")
    with _held(exclusive=False, wait=True):
        yield


@contextmanager
def repair_lease() -> Iterator[bool]:
    """True (and held until the block ends) when no import is running; else False."""
    with _held(exclusive=True, wait=False) as held:
        yield held


@contextmanager
def _held(*, exclusive: bool, wait: bool) -> Iterator[bool]:
    if connection.vendor == "postgresql":
        with _advisory(exclusive=exclusive, wait=wait) as held:
            yield held
    else:
        with _flocked(exclusive=exclusive, wait=wait) as held:
            yield held


@contextmanager
def _advisory(*, exclusive: bool, wait: bool) -> Iterator[bool]:
    import psycopg

    # Not Django's connection: a pooled one would go back to the pool still locked.
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as own:
        verb = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        function = verb if exclusive else f"{verb}_shared"
        held = own.execute(f"SELECT {function}(%s)", [ADVISORY_KEY]).fetchone()[0]
        yield held is not False     # pg_advisory_lock returns void (None)


@contextmanager
def _flocked(*, exclusive: bool, wait: bool) -> Iterator[bool]:
    mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB)
    with open(lock_path(), "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), mode)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def lock_path() -> Path:
    """SQLite: the lock file, beside the database file (one per process in memory)."""
    name = str(connection.settings_dict["NAME"])
    if name and name != ":memory:" and "mode=memory" not in name:
        return Path(f"{name}.import-lock")
    digest = hashlib.sha256(f"{os.getpid()}|{name}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"registration-import-{digest}.lock"
