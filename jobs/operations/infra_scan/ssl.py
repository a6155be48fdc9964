"""The ssl module: the certificate and the protocol versions of the TLS endpoint."""

from __future__ import annotations

import re

from jobs.net.tls import Certificate, TlsReport
from jobs.operations.infra_scan.core import Scan
from jobs.operations.infra_scan.findings import finding

# Versions deprecated by RFC 8996; accepting one is a finding.
OLD_VERSIONS = ("TLSv1.0", "TLSv1.1")
MODERN_VERSIONS = ("TLSv1.2", "TLSv1.3")
EXPIRY_WARNING_DAYS = 30
EXPIRY_URGENT_DAYS = 7
MIN_RSA_BITS = 2048


async def run(scan: Scan) -> tuple[dict, list[dict]]:
    report = await scan.tls_report()
    return report.as_dict(), tls_findings(report)


def tls_findings(report: TlsReport) -> list[dict]:
    found = _protocol_findings(report.protocols)
    cert = report.certificate
    if cert is None:
        return found
    found += _validity_findings(cert)
    if cert.key_type == "RSA" and (cert.key_size or 0) < MIN_RSA_BITS:
        found.append(finding("tls-weak-key", "high", "Weak certificate key",
                             f"RSA keys shorter than {MIN_RSA_BITS} bits can be broken.",
                             f"RSA {cert.key_size} bits"))  # fmt: skip
    if re.search(r"md5|sha1(?!\d)", cert.signature_algorithm, re.IGNORECASE):
        found.append(finding("tls-weak-signature", "high", "Weak certificate signature",
                             "MD5 and SHA-1 signatures can be forged.", cert.signature_algorithm))
    return found


def _protocol_findings(protocols: dict) -> list[dict]:
    found = []
    for version in OLD_VERSIONS:
        if protocols.get(version) is True:
            found.append(finding(f"tls-{version[4:]}-enabled", "medium",
                                 f"{version} accepted", f"{version} is deprecated (RFC 8996) "
                                 "and has known weaknesses.", f"{version} handshake succeeded"))
    if all(protocols.get(version) is False for version in MODERN_VERSIONS):
        found.append(finding("tls-no-modern-version", "high", "No modern TLS version",
                             "Neither TLS 1.2 nor TLS 1.3 is accepted.", str(protocols)))
    return found


def _validity_findings(cert: Certificate) -> list[dict]:
    found = []
    not_after = cert.not_after.strftime("%Y-%m-%d")
    if cert.days_left < 0:
        found.append(finding("tls-expired", "high", "Certificate expired",
                             "Browsers refuse the site; clients that do not are exposed.",
                             f"notAfter {not_after} ({-cert.days_left} days ago)"))  # fmt: skip
    elif cert.days_left <= EXPIRY_WARNING_DAYS:
        severity = "high" if cert.days_left <= EXPIRY_URGENT_DAYS else "medium"
        found.append(finding("tls-expiring", severity, "Certificate expires soon",
                             "Renew it before browsers start refusing the site.",
                             f"notAfter {not_after} ({cert.days_left} days left)"))  # fmt: skip
    if cert.self_signed:
        found.append(finding("tls-self-signed", "high", "Self-signed certificate",
                             "No authority vouches for it; visitors cannot tell it from an "
                             "attacker's.", cert.subject))  # fmt: skip
    elif cert.chain_valid is False and cert.days_left >= 0:
        found.append(finding("tls-untrusted-chain", "high", "Certificate chain not trusted",
                             "The chain does not lead to a trusted authority.",
                             cert.chain_error or ""))  # fmt: skip
    if cert.hostname_match is False:
        found.append(finding("tls-hostname-mismatch", "high", "Certificate does not match host",
                             "The certificate is for other names.", ", ".join(cert.sans)))
    return found
