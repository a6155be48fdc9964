"""Runs the web server and the worker side by side, as one service (``bin/start``).

    python -m config.supervise [--grace SECONDS] NAME=COMMAND [NAME=COMMAND ...]

A service manager or container runtime signals only the main process: ``TERM``,
``INT`` and ``HUP`` received here are passed on to every command, and this process
exits once all of them have. ``INT`` (a Ctrl-C) goes on as ``TERM``, the stop every
command takes gracefully: gunicorn's master with uvicorn workers takes ``INT`` as a
quick shutdown that still waits out its whole graceful timeout (30 s by default). Any
command still running ``--grace`` seconds after the first signal is killed together
with its children. Once one command has ended, the
others get TERM (even after a HUP, which a web server may take as "reload"); one that
ends by itself makes this process exit with its status, so whatever watches it restarts
the service.

Each command runs in its own process group: a Ctrl-C in the terminal reaches only
this process, which passes it on, and so each command gets each signal once.
Standard library only: it must work before anything else does.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Supervisor:
    def __init__(self, commands: dict[str, list[str]], grace: float):
        self.commands = commands
        self.grace = grace
        self.children: dict[str, subprocess.Popen] = {}
        self.stop_deadline: float | None = None
        self.forwarded: set[int] = set()
        self.pending: list[int] = []

    def run(self) -> int:
        for signum in FORWARDED:
            signal.signal(signum, lambda signum, frame: self.pending.append(signum))
        for name, argv in self.commands.items():
            self.children[name] = subprocess.Popen(argv, process_group=0)
            say(f"{name}: started (pid {self.children[name].pid})")
        first_exit: int | None = None
        while True:
            while self.pending:
                self.forward(self.pending.pop(0))
            ended = [n for n, c in self.children.items() if c.poll() is not None]
            if ended and self.stop_deadline is None:
                first_exit = self.children[ended[0]].returncode
                say(f"{ended[0]}: exited with {first_exit}; stopping the others")
                self.forward(signal.SIGTERM)
            elif ended and signal.SIGTERM not in self.forwarded:
                # A stop is under way and one command is done: the others stop too, even
                # those for which the signal means something else (HUP reloads gunicorn).
                self.forward(signal.SIGTERM)
            if len(ended) == len(self.children):
                break
            if self.stop_deadline is not None and time.monotonic() > self.stop_deadline:
                self.kill_all()
            time.sleep(0.1)
        self.kill_all()  # whatever a command left behind in its group
        if first_exit is not None:
            return first_exit or 1  # a command ended unasked: a failure to whoever watches
        return 0

    def forward(self, signum: int) -> None:
        self.forwarded.add(signum)
        if self.stop_deadline is None:
            self.stop_deadline = time.monotonic() + self.grace
            say(f"{signal.Signals(signum).name}: stopping (up to {self.grace:.0f} s)")
        sent = signal.SIGTERM if signum == signal.SIGINT else signum
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(sent)

    def kill_all(self) -> None:
        for name, child in self.children.items():
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                continue
            if child.returncode is None:
                say(f"{name}: still running after {self.grace:.0f} s; killed")
        for child in self.children.values():
            child.wait()


def say(message: str) -> None:
    print(f"  supervise: {message}", file=sys.stderr, flush=True)


def parse(argv: list[str]) -> tuple[dict[str, list[str]], float]:
    parser = argparse.ArgumentParser(prog="python -m config.supervise", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grace", type=float, default=30.0,
                        help="seconds between the first stop signal and killing (default 30)")
    parser.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = parser.parse_args(argv)
    commands = {}
    for spec in args.commands:
        name, sep, command = spec.partition("=")
        if not sep or not name or not command.strip():
            parser.error(f"expected NAME=COMMAND, got {spec!r}")
        commands[name] = shlex.split(command)
    return commands, args.grace


def main(argv: list[str] | None = None) -> int:
    commands, grace = parse(sys.argv[1:] if argv is None else argv)
    return Supervisor(commands, grace).run()


if __name__ == "__main__":
    sys.exit(main())
