"""Throwaway certificates for the TLS test servers (trustme, plus a self-signed one).

Fixture ``test_certs`` (session) is a ``TestCertificates``:

- ``valid``: issued by the test CA for ``example.test``, ``*.example.test``,
  ``secure.test``, ``localhost`` and 127.0.0.1 / ::1;
- ``expired``: same names, expired a month ago;
- ``wrong_host``: valid, but only for ``other.invalid``;
- ``self_signed``: RSA 2048, signed by its own key, for ``example.test``.

``ca_file`` is a PEM bundle holding only the test CA, for ``ca_file=`` parameters or
the ``SSL_CERT_FILE`` environment variable (which OpenSSL's default trust store obeys).
``server_context(cert, minimum=..., maximum=...)`` builds the server-side SSLContext.
"""

from __future__ import annotations

import datetime as dt
import ssl
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

NAMES = ("example.test", "*.example.test", "secure.test", "localhost", "127.0.0.1", "::1")


@dataclass
class CertFiles:
    """A certificate chain and its key as PEM files."""

    chain: Path
    key: Path


@dataclass
class TestCertificates:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    ca: trustme.CA
    ca_file: Path
    valid: CertFiles
    expired: CertFiles
    wrong_host: CertFiles
    self_signed: CertFiles


def build_certificates(directory: Path) -> TestCertificates:
    ca = trustme.CA()
    ca_file = directory / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    now = dt.datetime.now(dt.UTC)
    long_ago, last_month = now - dt.timedelta(days=400), now - dt.timedelta(days=30)
    return TestCertificates(
        ca=ca,
        ca_file=ca_file,
        valid=_write(directory, "valid", ca.issue_cert(*NAMES)),
        expired=_write(
            directory, "expired", ca.issue_cert(*NAMES, not_before=long_ago, not_after=last_month)
        ),
        wrong_host=_write(directory, "wrong-host", ca.issue_cert("other.invalid")),
        self_signed=_self_signed(directory, "example.test"),
    )


def _write(directory: Path, stem: str, leaf: trustme.LeafCert) -> CertFiles:
    files = CertFiles(directory / f"{stem}.pem", directory / f"{stem}.key")
    files.chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    files.key.write_bytes(leaf.private_key_pem.bytes())
    return files


def _self_signed(directory: Path, name: str) -> CertFiles:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    files = CertFiles(directory / "self-signed.pem", directory / "self-signed.key")
    files.chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def server_context(
    cert: CertFiles,
    *,
    minimum: ssl.TLSVersion | None = None,
    maximum: ssl.TLSVersion | None = None,
) -> ssl.SSLContext:
    """A server context; ``minimum=TLSVersion.TLSv1`` makes a legacy server."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert.chain), str(cert.key))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            # Old versions need security level 0 to be offered by OpenSSL 3.
            context.set_ciphers("ALL:@SECLEVEL=0")
            context.minimum_version = minimum
        if maximum is not None:
            context.maximum_version = maximum
    return context


@pytest.fixture(scope="session")
def test_certs(tmp_path_factory) -> Iterator[TestCertificates]:
    yield build_certificates(tmp_path_factory.mktemp("certs"))
