"""TLS inspection: accepted protocol versions and the certificate a server presents.

One connection per question, each to the address the policy approved, with SNI set to
the host name:

- one handshake that accepts anything, to read the certificate and chain the server
  sends (even expired or self-signed ones, which are what we are looking for);
- one handshake that verifies the chain against the system trust store (plus an
  optional extra CA bundle), which is what ``chain_valid`` means;
- one handshake per protocol version, pinned with minimum = maximum version.

Old versions need OpenSSL's security level 0 to be offered at all. When the local
OpenSSL cannot offer a version, the answer is ``"unsupported_by_client"`` instead of
``False``, so "the server refuses TLS 1.0" is never confused with "we could not ask".

The chain the server presents is read through pyOpenSSL (``get_peer_cert_chain``): the
standard library publishes it only from Python 3.13 (``get_unverified_chain``), and
pyOpenSSL is PyCA's maintained binding, released together with ``cryptography``.
Certificates are read and matched to the host in ``certificates.py``.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
import threading
import time
import warnings
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL

from jobs.net.certificates import Certificate, hostname_matches, parse_certificate, subject
from jobs.net.dns import DnsClient
from jobs.net.errors import ClientError
from jobs.net.policy import STRICT, Policy, parse_literal_ip
from jobs.net.streams import close_stream

UNSUPPORTED_BY_CLIENT = "unsupported_by_client"

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # naming old versions warns
    PROTOCOLS: dict[str, ssl.TLSVersion] = {
        "TLSv1.0": ssl.TLSVersion.TLSv1,
        "TLSv1.1": ssl.TLSVersion.TLSv1_1,
        "TLSv1.2": ssl.TLSVersion.TLSv1_2,
        "TLSv1.3": ssl.TLSVersion.TLSv1_3,
    }
_HAS = {"TLSv1.0": ssl.HAS_TLSv1, "TLSv1.1": ssl.HAS_TLSv1_1,
        "TLSv1.2": ssl.HAS_TLSv1_2, "TLSv1.3": ssl.HAS_TLSv1_3}  # fmt: skip


@dataclass
class TlsReport:
    host: str
    address: str
    port: int
    protocols: dict[str, bool | str]
    negotiated: str | None
    cipher: str | None
    certificate: Certificate | None

    def as_dict(self) -> dict:
        return {
            "host": self.host, "address": self.address, "port": self.port,
            "protocols": self.protocols, "negotiatedProtocol": self.negotiated,
            "cipher": self.cipher,
            "certificate": self.certificate.as_dict() if self.certificate else None,
        }  # fmt: skip


async def inspect(
    host: str,
    port: int = 443,
    *,
    address: str | None = None,
    dns: DnsClient | None = None,
    timeout: float = 5.0,
    ca_file: str | None = None,
    policy: Policy = STRICT,
) -> TlsReport:
    """Probe ``host:port``. ``address`` pins the IP (checked by policy); otherwise the
    host is resolved and checked. Raises ClientError if no TLS handshake succeeds."""
    ip = await _approved_address(host, address, dns, policy)
    sni = None if parse_literal_ip(host) else host.rstrip(".")
    first = await _presented(ip, port, sni, timeout)
    if isinstance(first, Exception):
        raise ClientError(_describe(first, ip, port))
    version, cipher, chain_der = first
    protocols, chain_check = await asyncio.gather(
        _probe_protocols(ip, port, sni, timeout), _verify_chain(ip, port, sni, timeout, ca_file)
    )
    certificate = _certificate(chain_der, host, chain_check)
    return TlsReport(host, ip, port, protocols, version, cipher, certificate)


@dataclass
class TlsClient:
    """``inspect`` with its settings bound: what the job context hands to operations."""

    dns: DnsClient | None = None
    policy: Policy = STRICT
    timeout: float = 5.0
    ca_file: str | None = None

    async def inspect(self, host: str, port: int = 443, *, address: str | None = None,
                      timeout: float | None = None) -> TlsReport:  # fmt: skip
        return await inspect(host, port, address=address, dns=self.dns, policy=self.policy,
                             timeout=timeout or self.timeout, ca_file=self.ca_file)


async def _approved_address(host: str, address: str | None, dns: DnsClient | None,
                            policy: Policy) -> str:  # fmt: skip
    if address is not None:
        return str(policy.check_address(address))
    return str((await policy.resolve_and_check(host, dns or DnsClient()))[0])


# --- handshakes --------------------------------------------------------------------------


def _context(version: ssl.TLSVersion | None, *, verify: bool, ca_file: str | None = None):
    if verify:
        context = ssl.create_default_context()
        if ca_file:
            context.load_verify_locations(cafile=ca_file)
        context.check_hostname = False  # hostname is judged on its own (hostname_match)
        return context
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        # Level 0 lets OpenSSL offer TLS 1.0/1.1 and weak ciphers: we are measuring the
        # server, not protecting a session.
        context.set_ciphers("ALL:@SECLEVEL=0")
        context.minimum_version = version or ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = version or ssl.TLSVersion.MAXIMUM_SUPPORTED
    return context


async def _presented(ip: str, port: int, sni: str | None, timeout: float):
    """(version, cipher, DER chain) of a handshake that accepts anything; or the error.

    The connection is made here; pyOpenSSL's handshake runs in a thread that gives up
    at the deadline or as soon as the caller stops waiting (``stop``).
    """
    deadline = time.monotonic() + timeout
    try:
        sock = await asyncio.wait_for(_connect(ip, port), timeout)
    except (OSError, TimeoutError) as exc:
        return exc
    stop = threading.Event()
    try:
        return await asyncio.to_thread(_presented_blocking, sock, sni, deadline, stop)
    finally:
        stop.set()


async def _connect(ip: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (ip, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _presented_blocking(sock: socket.socket, sni: str | None, deadline: float,
                        stop: threading.Event):  # fmt: skip
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_verify(SSL.VERIFY_NONE)
    context.set_min_proto_version(0)  # the lowest this OpenSSL can speak
    context.set_cipher_list(b"ALL:@SECLEVEL=0")
    connection = SSL.Connection(context, sock)
    try:
        if sni:
            connection.set_tlsext_host_name(sni.encode("ascii"))
        connection.set_connect_state()
        _drive_handshake(connection, sock, deadline, stop)
        chain = connection.get_peer_cert_chain(as_cryptography=True) or []
        return (connection.get_protocol_version_name(), connection.get_cipher_name(),
                [cert.public_bytes(Encoding.DER) for cert in chain])
    except (OSError, SSL.Error, TimeoutError) as exc:
        return exc
    finally:
        sock.close()


def _drive_handshake(connection: SSL.Connection, sock: socket.socket, deadline: float,
                     stop: threading.Event) -> None:  # fmt: skip
    # The socket is non-blocking: wait for it in short slices so a caller that gave up
    # (``stop``) frees this thread at once.
    while True:
        try:
            connection.do_handshake()
            return
        except (SSL.WantReadError, SSL.WantWriteError) as exc:
            left = deadline - time.monotonic()
            if left <= 0 or stop.is_set():
                raise TimeoutError("handshake timed out") from None
            reading = isinstance(exc, SSL.WantReadError)
            select.select([sock] if reading else [], [] if reading else [sock], [],
                          min(left, 0.1))


async def _handshake(ip: str, port: int, sni: str | None, context, timeout: float):
    """(version, cipher) on success; the exception on failure."""
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                ip, port, ssl=context, server_hostname=sni or "", ssl_handshake_timeout=timeout
            ),
            timeout,
        )
    except (TimeoutError, OSError, ssl.SSLError, EOFError) as exc:
        return exc
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        cipher = ssl_object.cipher()
        return ssl_object.version(), cipher[0] if cipher else None
    finally:
        await close_stream(writer)


async def _probe_protocols(ip: str, port: int, sni: str | None, timeout: float) -> dict:
    names = list(PROTOCOLS)
    results = await asyncio.gather(*(_probe_one(ip, port, sni, n, timeout) for n in names))
    return dict(zip(names, results, strict=True))


async def _probe_one(ip: str, port: int, sni: str | None, name: str, timeout: float):
    if not _HAS[name]:
        return UNSUPPORTED_BY_CLIENT
    try:
        context = _context(PROTOCOLS[name], verify=False)
    except (ssl.SSLError, ValueError):
        return UNSUPPORTED_BY_CLIENT
    result = await _handshake(ip, port, sni, context, timeout)
    if not isinstance(result, Exception):
        return result[0] == _openssl_name(name)
    # A local refusal happens before a byte is sent; a server's refusal is an alert.
    return UNSUPPORTED_BY_CLIENT if _refused_locally(result) else False


def _openssl_name(name: str) -> str:
    return "TLSv1" if name == "TLSv1.0" else name


def _refused_locally(error: BaseException) -> bool:
    text = str(error)
    return isinstance(error, ssl.SSLError) and (
        "NO_PROTOCOLS_AVAILABLE" in text or "no protocols available" in text
    )


async def _verify_chain(ip, port, sni, timeout, ca_file) -> tuple[bool | None, str | None]:
    result = await _handshake(ip, port, sni, _context(None, verify=True, ca_file=ca_file), timeout)
    if isinstance(result, ssl.SSLCertVerificationError):
        return False, result.verify_message or str(result)
    if isinstance(result, Exception):
        return None, _describe(result, ip, port)
    return True, None


def _describe(exc: BaseException, ip: str, port: int) -> str:
    if isinstance(exc, TimeoutError):
        return f"TLS handshake with {ip}:{port} timed out"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection to {ip}:{port} refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake with {ip}:{port} failed: {exc.reason or exc}"
    if isinstance(exc, SSL.Error):
        return f"TLS handshake with {ip}:{port} failed: {_openssl_reason(exc)}"
    if isinstance(exc, OSError):
        return f"cannot connect to {ip}:{port}: {exc.strerror or exc}"
    return f"TLS handshake with {ip}:{port} failed: {exc or type(exc).__name__}"


def _openssl_reason(exc: SSL.Error) -> str:
    # pyOpenSSL errors carry [(library, function, reason)]; a closed socket carries
    # (-1, "Unexpected EOF").
    details = exc.args[0] if exc.args else None
    if isinstance(details, list) and details and isinstance(details[0], tuple):
        return str(details[0][-1])
    if isinstance(exc, SSL.SysCallError) and len(exc.args) == 2:
        return str(exc.args[1])
    return str(exc) or type(exc).__name__


# --- certificates ------------------------------------------------------------------------


def _certificate(chain_der: list[bytes], host: str, chain_check) -> Certificate | None:
    if not chain_der:
        return None
    certificate = parse_certificate(chain_der[0])
    certificate.chain = [subject(x509.load_der_x509_certificate(d)) for d in chain_der]
    certificate.chain_valid, certificate.chain_error = chain_check
    certificate.hostname_match = hostname_matches(host, x509.load_der_x509_certificate(
        chain_der[0]))
    return certificate


__all__ = ["UNSUPPORTED_BY_CLIENT", "Certificate", "TlsClient", "TlsReport", "hostname_matches",
           "inspect", "parse_certificate"]
