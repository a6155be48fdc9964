"""Banners: what an open port says first, or answers to one probe (HEAD for HTTP,
PING for Redis, a TLS handshake on TLS ports), classified by ``services``."""

from __future__ import annotations

import asyncio
import ssl

from jobs.net import services
from jobs.net.policy import STRICT, Policy
from jobs.net.streams import close_stream


async def grab_banner(ip: str, port: int, timeout: float = 2.0, *,
                      policy: Policy = STRICT) -> tuple[str | None, str | None]:  # fmt: skip
    """(service, banner) for an open port; (table name, None) when it stays silent."""
    policy.check_address(ip)
    if port in services.TLS_PORTS:
        return await _tls_banner(ip, port, timeout) or (services.service_name(port), None)
    try:
        data = await asyncio.wait_for(_converse(ip, port, timeout), timeout * 0.6 + 0.5)
    except (TimeoutError, OSError):
        data = b""
    if not data:
        # Silent to plaintext and closed on us: TLS servers do exactly that.
        found = await _tls_banner(ip, port, timeout * 0.4)
        return found or (services.service_name(port), None)
    service, banner = services.classify(data, port)
    if service == "ssl":
        return await _tls_banner(ip, port, timeout) or (service, banner)
    if service == "redis" and not data.startswith(b"+PONG") and b"NOAUTH" not in data:
        banner = await _redis_ping(ip, port, timeout) or banner
    return service, banner


async def _tls_banner(ip: str, port: int, timeout: float) -> tuple[str, str] | None:
    """("https", status and Server) or ("ssl", version) if the port speaks TLS."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # identifying the service, not trusting it
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(ip, port, ssl=context, server_hostname=""), timeout
        )
    except (TimeoutError, OSError, ssl.SSLError):
        return None
    version = writer.get_extra_info("ssl_object").version()
    try:
        writer.write(b"HEAD / HTTP/1.0\r\n\r\n")
        await writer.drain()
        data = await _read_some(reader, timeout / 2)
    except (OSError, ssl.SSLError):
        data = b""
    finally:
        await close_stream(writer)
    service, banner = services.classify(data, port) if data else (None, None)
    if service == "http":
        return "https", f"{banner} | {version}"
    return "ssl", version


async def _converse(ip: str, port: int, timeout: float) -> bytes:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(ip, port), timeout)
    try:
        # Services that speak first (SSH, FTP, SMTP) do so at once; HTTP never does.
        # The shares of ``timeout`` (0.3 + 0.3, and 0.4 for a TLS attempt after) keep one
        # port's banner within the timeout whatever the port does.
        passive = 0 if port in services.HTTP_PORTS else timeout * 0.3
        data = await _read_some(reader, passive)
        if not data:
            writer.write(services.probe_for(port))
            await writer.drain()
            data = await _read_some(reader, timeout * 0.3)
        return data
    finally:
        await close_stream(writer)


async def _read_some(reader: asyncio.StreamReader, wait: float) -> bytes:
    if wait <= 0:
        return b""
    try:
        data = await asyncio.wait_for(reader.read(1024), wait)
    except TimeoutError:
        return b""
    # A second short read catches the rest of a banner split across packets.
    try:
        data += await asyncio.wait_for(reader.read(1024), 0.05)
    except (TimeoutError, OSError):
        pass
    return data


async def _redis_ping(ip: str, port: int, timeout: float) -> str | None:
    """Ask a Redis-looking service for PONG: it tells whether it wants a password."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(ip, port), timeout)
    except (TimeoutError, OSError):
        return None
    try:
        writer.write(b"PING\r\n")
        await writer.drain()
        data = await _read_some(reader, timeout)
    except OSError:
        return None
    finally:
        await close_stream(writer)
    return services.printable(data) if data else None
