"""X.509 certificates: the facts a report needs, and host-name matching.

Host names are matched by ``service_identity`` (RFC 6125 / RFC 9525, as browsers do:
the subject's common name is not a host name).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID
from service_identity import CertificateError, VerificationError
from service_identity.cryptography import (
    verify_certificate_hostname,
    verify_certificate_ip_address,
)

from jobs.net.policy import parse_literal_ip


@dataclass
class Certificate:
    subject: str
    issuer: str
    subject_cn: str | None
    issuer_cn: str | None
    sans: list[str]
    not_before: dt.datetime
    not_after: dt.datetime
    days_left: int
    key_type: str
    key_size: int | None
    signature_algorithm: str
    serial: str
    sha256: str
    self_signed: bool
    chain: list[str] = field(default_factory=list)
    chain_valid: bool | None = None
    chain_error: str | None = None
    hostname_match: bool | None = None

    def as_dict(self) -> dict:
        return {
            "subject": self.subject, "issuer": self.issuer,
            "subjectCommonName": self.subject_cn, "issuerCommonName": self.issuer_cn,
            "notBefore": _iso(self.not_before), "notAfter": _iso(self.not_after),
            "daysLeft": self.days_left, "sans": self.sans,
            "keyType": self.key_type, "keySize": self.key_size,
            "signatureAlgorithm": self.signature_algorithm,
            "serialNumber": self.serial, "sha256": self.sha256,
            "selfSigned": self.self_signed, "chainValid": self.chain_valid,
            "chainError": self.chain_error, "hostnameMatch": self.hostname_match,
            "chain": self.chain,
        }  # fmt: skip


def parse_certificate(der: bytes, now: dt.datetime | None = None) -> Certificate:
    """The facts about one DER certificate that a report needs."""
    cert = x509.load_der_x509_certificate(der)
    now = now or dt.datetime.now(dt.UTC)
    key_type, key_size = _key_facts(cert.public_key())
    not_after = cert.not_valid_after_utc
    return Certificate(
        subject=subject(cert),
        issuer=cert.issuer.rfc4514_string(),
        subject_cn=_common_name(cert.subject),
        issuer_cn=_common_name(cert.issuer),
        sans=_sans(cert),
        not_before=cert.not_valid_before_utc,
        not_after=not_after,
        days_left=(not_after - now).days,
        key_type=key_type,
        key_size=key_size,
        signature_algorithm=_signature_name(cert),
        serial=format(cert.serial_number, "x"),
        sha256=hashlib.sha256(der).hexdigest(),
        self_signed=_self_signed(cert),
    )


def subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _common_name(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def _sans(cert: x509.Certificate) -> list[str]:
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    names = extension.value.get_values_for_type(x509.DNSName)
    addresses = [str(ip) for ip in extension.value.get_values_for_type(x509.IPAddress)]
    return [*names, *addresses]


def _key_facts(key) -> tuple[str, int | None]:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC ({key.curve.name})", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, None


def _signature_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # any failure (bad signature, odd key type): not self-issued
        return False
    return True


def hostname_matches(host: str, certificate: x509.Certificate) -> bool:
    """RFC 6125 matching of the host (a name or an IP literal) against the SANs."""
    literal = parse_literal_ip(host)
    try:
        if literal is not None:
            verify_certificate_ip_address(certificate, str(literal))
        else:
            verify_certificate_hostname(certificate, host.lower().rstrip("."))
    except (VerificationError, CertificateError):
        return False
    return True


def _iso(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with milliseconds, like every other timestamp of the API."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

