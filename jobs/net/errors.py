"""The errors every protocol client raises: one type, a short message people can read."""

from __future__ import annotations


class ClientError(Exception):
    """A network operation failed (refused, timed out, unparseable answer, ...)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TargetNotAllowed(ClientError):
    """The target policy refused an address (loopback, private, metadata, ...)."""


class Unresolvable(ClientError):
    """A name has no address, or no DNS server answered (``timed_out`` tells which)."""

    def __init__(self, message: str, *, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out
