"""bin/start's supervisor: signals sent to it alone reach every command it runs."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.live import ROOT

# A command that starts a grandchild, writes both pids, records the signals it gets and
# exits 0 on each, except those named in STAY (it stays), or EXIT after 0.5 s.
CHILD = r"""
import os, signal, subprocess, sys, time
out = sys.argv[1]
def record(signum, frame):
    with open(out, "a") as f:
        f.write(signal.Signals(signum).name + "\n")
    if signal.Signals(signum).name not in os.environ.get("STAY", ""):
        sys.exit(0)
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, record)
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(out + ".pids", "w") as f:
    f.write(f"{os.getpid()} {grandchild.pid}")
if os.environ.get("EXIT"):
    time.sleep(0.5)
    sys.exit(int(os.environ["EXIT"]))
while True:
    time.sleep(0.05)
"""


def supervise(tmp_path: Path, *names: str, grace: float = 10, env=None,
              stay=None) -> subprocess.Popen:
    """The supervisor over one CHILD per name; ``stay`` maps a name to signals it outlives."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    stay = stay or {}
    commands = [f"{name}=env STAY={stay.get(name, '-')} {sys.executable} {script} "
                f"{tmp_path / name}" for name in names]
    return subprocess.Popen([sys.executable, "-m", "config.supervise", "--grace", str(grace),
                             *commands], cwd=ROOT, env={**os.environ, **(env or {})},
                            start_new_session=True)


def wait_started(tmp_path: Path, *names: str) -> None:
    deadline = time.monotonic() + 20
    while not all((tmp_path / f"{n}.pids").exists() for n in names):
        assert time.monotonic() < deadline, "commands did not start"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def pids(tmp_path: Path, name: str) -> list[int]:
    return [int(p) for p in (tmp_path / f"{name}.pids").read_text().split()]


@pytest.fixture(autouse=True)
def no_strays(tmp_path):
    yield
    for pid_file in tmp_path.glob("*.pids"):
        for pid in map(int, pid_file.read_text().split()):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(("signum", "received"), [
    (signal.SIGTERM, "SIGTERM"),
    (signal.SIGINT, "SIGTERM"),   # a Ctrl-C: the stop every command takes gracefully
    (signal.SIGHUP, "SIGHUP"),
])
def test_a_signal_to_the_supervisor_reaches_each_command_once(tmp_path, signum, received):
    supervisor = supervise(tmp_path, "web", "worker")
    wait_started(tmp_path, "web", "worker")
    supervisor.send_signal(signum)  # its pid only, not the group
    assert supervisor.wait(timeout=20) == 0
    for name in ("web", "worker"):
        assert (tmp_path / name).read_text().split() == [received]
        assert not any(alive(pid) for pid in pids(tmp_path, name))


def test_a_command_that_ignores_the_signal_is_killed_after_the_grace(tmp_path):
    supervisor = supervise(tmp_path, "stubborn", grace=1, stay={"stubborn": "SIGTERM"})
    wait_started(tmp_path, "stubborn")
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=20) == 0
    assert (tmp_path / "stubborn").read_text().split() == ["SIGTERM"]
    # The command and what it started are gone: the whole process group was killed.
    assert not any(alive(pid) for pid in pids(tmp_path, "stubborn"))


def test_after_a_hup_the_end_of_one_command_stops_one_that_only_reloaded(tmp_path):
    # As gunicorn does, "web" takes HUP as a reload; the worker stops on it.
    supervisor = supervise(tmp_path, "web", "worker", grace=60, stay={"web": "SIGHUP"})
    wait_started(tmp_path, "web", "worker")
    started = time.monotonic()
    supervisor.send_signal(signal.SIGHUP)
    assert supervisor.wait(timeout=30) == 0
    assert time.monotonic() - started < 30  # told to stop, not killed after the grace
    assert (tmp_path / "web").read_text().split() == ["SIGHUP", "SIGTERM"]
    assert (tmp_path / "worker").read_text().split() == ["SIGHUP"]


def test_one_command_ending_stops_the_others_and_fails(tmp_path):
    supervisor = supervise(tmp_path, "web", "worker", env={"EXIT": "3"})
    assert supervisor.wait(timeout=20) == 3
    assert not any(alive(pid) for n in ("web", "worker") for pid in pids(tmp_path, n))


def test_a_malformed_command_is_refused():
    result = subprocess.run([sys.executable, "-m", "config.supervise", "no-equals-sign"],
                            cwd=ROOT, capture_output=True, text=True, timeout=20)
    assert result.returncode == 2 and "expected NAME=COMMAND" in result.stderr
