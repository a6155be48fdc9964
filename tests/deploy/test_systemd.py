"""The systemd units in deploy/systemd/ parse, and stop and restart as the service needs.

CI also runs `systemd-analyze verify` on them where systemd is installed (.ci/run).
"""

import configparser
import re
import shlex

import pytest
from django.conf import settings

from jobs import cluster
from tests.support.live import ROOT

UNITS = ROOT / "deploy" / "systemd"


def unit(name: str) -> configparser.ConfigParser:
    # systemd's syntax: case-sensitive keys, repeatable keys, no interpolation.
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",),
                                       comment_prefixes=("#", ";"))
    parser.optionxform = str
    parser.read_string((UNITS / name).read_text())
    return parser


def seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s|min)?", value)
    assert match, f"unexpected time span {value!r}"
    return int(match[1]) * (60 if match[2] == "min" else 1)


@pytest.mark.parametrize("name", ["secops-web.service", "secops-worker.service"])
def test_units_stop_through_the_main_process_and_come_back(name):
    parsed = unit(name)
    assert parsed.sections() == ["Unit", "Service", "Install"]
    service = parsed["Service"]
    # mixed: TERM to the main process alone (it stops its children in order), and
    # KILL to everything left in the unit when TimeoutStopSec runs out.
    assert service["KillMode"] == "mixed" and service["KillSignal"] == "SIGTERM"
    assert service["Restart"] in {"always", "on-failure"}
    assert seconds(service["RestartSec"]) <= 5
    command = shlex.split(service["ExecStart"])
    assert command[0] == f"{service['WorkingDirectory']}/.venv/bin/python"
    assert parsed["Install"]["WantedBy"] == "multi-user.target"


def test_the_worker_unit_waits_for_jobs_to_be_handed_back():
    service = unit("secops-worker.service")["Service"]
    assert shlex.split(service["ExecStart"])[1:] == ["manage.py", "qcluster"]
    assert service["Restart"] == "always"
    # The grace of a running job, then the pusher and the monitor's bounded stops.
    needed = settings.JOB_STOP_GRACE_SECONDS + 3 * cluster.AUX_STOP_SECONDS
    assert seconds(service["TimeoutStopSec"]) >= needed


def test_the_web_unit_outlasts_the_servers_own_graceful_timeout():
    service = unit("secops-web.service")["Service"]
    command = shlex.split(service["ExecStart"])
    graceful = int(command[command.index("--graceful-timeout") + 1])
    assert seconds(service["TimeoutStopSec"]) > graceful


def test_the_web_unit_runs_the_server_bin_start_runs():
    """The ASGI app (event streams cost no thread) with idle connections kept past the
    pollers' Retry-After, as bin/start serves it."""
    command = shlex.split(unit("secops-web.service")["Service"]["ExecStart"])
    start = (ROOT / "bin" / "start").read_text()
    assert command[1:5] == ["-m", "gunicorn", "config.asgi", "-k"]
    assert "uvicorn_worker.UvicornWorker" in command and "uvicorn_worker.UvicornWorker" in start
    assert command[command.index("--keep-alive") + 1] == "20" and "--keep-alive 20" in start
