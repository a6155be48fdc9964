"""Closing asyncio streams properly, which the clients all need."""

from __future__ import annotations

import asyncio
import contextlib
import ssl


async def close_stream(writer: asyncio.StreamWriter, timeout: float = 1.0) -> None:
    """Close and wait (briefly) until closed.

    ``close()`` alone only schedules the close; a loop that ends right after (every
    ``asyncio.run``) would leave the socket open. A peer that never finishes the TLS
    close is not worth waiting for, hence the short timeout.
    """
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), timeout)
