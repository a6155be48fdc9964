"""How an operation's own routes and periodic tasks start jobs.

Operations may not import the layers that submit and run jobs (the import contracts in
pyproject.toml), yet a recurring capture must start one. The app hands the submission
service in at start-up (``jobs.apps``), and operations call it through here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class StartRefused(Exception):
    """The request was not valid: ``details`` maps fields to messages, as in a 400."""

    def __init__(self, message: str, details: dict[str, list[str]], error: str):
        super().__init__(message)
        self.message = message
        self.details = details
        self.error = error


_start: Callable[..., Any] | None = None
_invalid: type[Exception] = Exception


def install(start: Callable[..., Any], invalid: type[Exception]) -> None:
    global _start, _invalid
    _start, _invalid = start, invalid


def job_start(**kwargs: Any):
    """``jobs.submission.job_start``; raises StartRefused for an invalid body."""
    if _start is None:
        raise RuntimeError("the jobs app has not installed its submission service")
    try:
        return _start(**kwargs)
    except _invalid as exc:
        raise StartRefused(exc.message, exc.details, exc.error) from None
