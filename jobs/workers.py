"""Who runs a job: worker tokens, and whether the process a token names still lives.

A token is ``<host>/<namespace>:<pid>:<nonce>``. The namespace part is a digest of the
kernel's boot id and the process-id namespace, so two containers that share a host
name (or one container restarted with the same one) never read each other's pids:
only a process in the same namespace as the token's may judge that pid dead.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path

PROC = Path("/proc")
# A process that started this long after its job was claimed cannot be the claimer.
START_SLACK_SECONDS = 1.0


def worker_token() -> str:
    return f"{host_id()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@cache
def host_id() -> str:
    namespace = _pid_namespace()
    return f"{socket.gethostname()[:24]}/{namespace}" if namespace else socket.gethostname()[:30]


def _pid_namespace() -> str:
    """A short digest naming this kernel boot and process-id namespace; '' if unknown."""
    try:
        boot = (PROC / "sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink(PROC / "self/ns/pid")
    except OSError:
        return ""
    return hashlib.sha256(f"{boot}/{namespace}".encode()).hexdigest()[:6]


def local_pid(token: str) -> int | None:
    """The pid in ``token`` if it names a process of this namespace, else None."""
    prefix = f"{host_id()}:"
    if "/" not in host_id() or not token.startswith(prefix):
        return None  # another machine or container, or a namespace this one cannot tell
    pid = token[len(prefix):].split(":", 1)[0]
    return int(pid) if pid.isdigit() else None


def process_running_since(pid: int, claimed_at: datetime | None) -> bool:
    """Whether ``pid`` is a live process that was already running at ``claimed_at``.

    A zombie counts as dead, and so does a process that started after the claim: its
    pid was reused after the claimer died.
    """
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    except OSError:
        return True  # can't tell: never call a job lost on a guess
    fields = stat.rpartition(")")[2].split()
    if fields[0] in ("Z", "X"):
        return False
    if claimed_at is None:
        return True
    started = _boot_time() + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return started <= claimed_at.timestamp() + START_SLACK_SECONDS


@cache
def _boot_time() -> float:
    for line in (PROC / "stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0
