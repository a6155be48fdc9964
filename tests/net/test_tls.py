import asyncio
import datetime as dt
import ipaddress
import re
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jobs import clients
from jobs.net import tls
from jobs.net.errors import ClientError, TargetNotAllowed
from jobs.net.tls import UNSUPPORTED_BY_CLIENT, hostname_matches
from tests.net.targets import LOOPBACK_SPELLINGS
from tests.servers.certs import CertFiles, server_context
from tests.servers.tcp_server import SSH_BANNER, free_port


def run(coro):
    return asyncio.run(coro)


def inspect(host, port=443, **options):
    # The configured resolver and policy (the fixtures point settings at the test servers).
    return tls.inspect(host, port, dns=clients.dns(), policy=clients.target_policy(), **options)


@pytest.fixture
def secure_zone(dns_zone):
    dns_zone.add("secure.test", "A", "127.0.0.1")
    return dns_zone


def test_valid_certificate_with_the_test_ca(secure_zone, http_servers, test_certs):
    server = http_servers.start(tls=server_context(test_certs.valid))
    report = run(inspect("secure.test", server.port, ca_file=str(test_certs.ca_file)))

    assert (report.host, report.address, report.port) == ("secure.test", "127.0.0.1", server.port)
    cert = report.certificate
    assert cert.chain_valid is True and cert.chain_error is None
    assert cert.hostname_match is True
    assert cert.self_signed is False
    assert {"example.test", "*.example.test", "secure.test", "127.0.0.1"} <= set(cert.sans)
    assert cert.days_left > 300  # trustme certificates last for centuries
    assert cert.key_type == "EC (secp256r1)" and cert.key_size == 256
    assert cert.signature_algorithm == "ecdsa-with-SHA256"
    assert "O=trustme" in cert.issuer
    assert len(cert.chain) >= 1 and len(cert.sha256) == 64
    assert report.negotiated == "TLSv1.3"
    assert server.sni[-1] == "secure.test"


def test_default_protocols_of_a_modern_server(secure_zone, http_servers, test_certs):
    server = http_servers.start(tls=server_context(test_certs.valid))
    report = run(inspect("secure.test", server.port))
    assert report.protocols == {
        "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True,
    }  # fmt: skip


def test_legacy_server_accepts_old_versions(secure_zone, http_servers, test_certs):
    legacy = server_context(test_certs.valid, minimum=ssl.TLSVersion.TLSv1)
    server = http_servers.start(tls=legacy)
    report = run(inspect("secure.test", server.port))
    assert report.protocols["TLSv1.0"] is True and report.protocols["TLSv1.1"] is True
    assert report.protocols["TLSv1.2"] is True


def test_tls13_only_server(secure_zone, http_servers, test_certs):
    modern = server_context(test_certs.valid, minimum=ssl.TLSVersion.TLSv1_3)
    server = http_servers.start(tls=modern)
    report = run(inspect("secure.test", server.port))
    assert report.protocols == {
        "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": False, "TLSv1.3": True,
    }  # fmt: skip


def test_versions_the_client_cannot_offer_are_named(secure_zone, http_servers, test_certs,
                                                     monkeypatch):
    monkeypatch.setitem(tls._HAS, "TLSv1.0", False)
    server = http_servers.start(tls=server_context(test_certs.valid))
    report = run(inspect("secure.test", server.port))
    assert report.protocols["TLSv1.0"] == UNSUPPORTED_BY_CLIENT


def test_the_whole_presented_chain_is_read(secure_zone, http_servers, test_certs, tmp_path):
    intermediate = test_certs.ca.create_child_ca()
    leaf = intermediate.issue_cert("secure.test")
    files = CertFiles(tmp_path / "chain.pem", tmp_path / "chain.key")
    files.chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    files.key.write_bytes(leaf.private_key_pem.bytes())
    server = http_servers.start(tls=server_context(files))
    cert = run(inspect("secure.test", server.port, ca_file=str(test_certs.ca_file))).certificate
    assert len(cert.chain) == 2  # leaf and intermediate, as the server sent them
    assert cert.chain[0] == cert.subject and cert.chain[1] == cert.issuer
    assert cert.chain_valid is True and cert.hostname_match is True


def test_unknown_ca_is_not_a_valid_chain(secure_zone, http_servers, test_certs):
    server = http_servers.start(tls=server_context(test_certs.valid))
    cert = run(inspect("secure.test", server.port)).certificate
    assert cert.chain_valid is False
    assert "local issuer" in cert.chain_error


def test_expired_certificate(secure_zone, http_servers, test_certs):
    server = http_servers.start(tls=server_context(test_certs.expired))
    cert = run(inspect("secure.test", server.port, ca_file=str(test_certs.ca_file))).certificate
    assert cert.chain_valid is False and "expired" in cert.chain_error
    assert cert.days_left < 0


def test_self_signed_certificate(secure_zone, http_servers, test_certs, dns_zone):
    dns_zone.add("example.test", "A", "127.0.0.1")
    server = http_servers.start(tls=server_context(test_certs.self_signed))
    cert = run(inspect("example.test", server.port, ca_file=str(test_certs.ca_file))).certificate
    assert cert.self_signed is True
    assert cert.chain_valid is False and "self" in cert.chain_error
    assert (cert.key_type, cert.key_size) == ("RSA", 2048)
    assert cert.signature_algorithm == "sha256WithRSAEncryption"
    assert cert.hostname_match is True


def test_wrong_host(secure_zone, http_servers, test_certs):
    server = http_servers.start(tls=server_context(test_certs.wrong_host))
    cert = run(inspect("secure.test", server.port, ca_file=str(test_certs.ca_file))).certificate
    assert cert.chain_valid is True
    assert cert.hostname_match is False
    assert cert.sans == ["other.invalid"]


def test_ip_literal_host_matches_ip_sans(dns_zone, http_servers, test_certs):
    server = http_servers.start(tls=server_context(test_certs.valid))
    report = run(inspect("127.0.0.1", server.port, ca_file=str(test_certs.ca_file)))
    assert report.certificate.hostname_match is True
    assert server.sni and set(server.sni) == {None}  # no SNI for an IP


def test_pinned_address_is_used_without_dns(dns_zone, dns_server, http_servers, test_certs):
    server = http_servers.start(tls=server_context(test_certs.valid))
    report = run(inspect("secure.test", server.port, address="127.0.0.1"))
    assert report.certificate.subject_cn is None or report.certificate.sans
    assert dns_server.queries == []
    assert set(server.sni) == {"secure.test"}


def test_as_dict_uses_api_names(secure_zone, http_servers, test_certs):
    server = http_servers.start(tls=server_context(test_certs.valid))
    data = run(inspect("secure.test", server.port)).as_dict()
    assert {"host", "port", "protocols", "certificate"} <= set(data)
    assert {"subject", "issuer", "notBefore", "notAfter", "daysLeft", "sans", "selfSigned",
            "chainValid", "hostnameMatch", "keyType", "keySize",
            "signatureAlgorithm"} <= set(data["certificate"])
    # Milliseconds, like every other timestamp of the API.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["certificate"]["notAfter"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["certificate"]["notBefore"])


# --- failures ----------------------------------------------------------------------------


def test_refused_port_is_a_client_error(secure_zone):
    with pytest.raises(ClientError, match="refused"):
        run(inspect("secure.test", free_port()))


def test_a_port_that_does_not_speak_tls(secure_zone, tcp_listeners):
    ssh = tcp_listeners.start(banner=SSH_BANNER)
    with pytest.raises(ClientError, match="TLS handshake"):
        run(inspect("secure.test", ssh.port, timeout=1))


def test_silent_port_times_out(secure_zone, tcp_listeners):
    quiet = tcp_listeners.start()
    with pytest.raises(ClientError, match="timed out"):
        run(inspect("secure.test", quiet.port, timeout=0.5))


# --- the policy ----------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS + ["::1", "[::1]"])
def test_loopback_spellings_are_refused_and_never_connected(settings, http_servers, test_certs,
                                                            spelling):
    settings.ALLOWED_TARGET_NETWORKS = []
    trap = http_servers.start(tls=server_context(test_certs.valid))
    with pytest.raises(TargetNotAllowed):
        run(inspect(spelling, trap.port))
    with pytest.raises(TargetNotAllowed):
        run(inspect("secure.test", trap.port, address=spelling))
    assert trap.connections == 0


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254", "10.0.0.1", "::1",
                                     "::ffff:127.0.0.1"])
def test_names_resolving_to_forbidden_addresses_are_refused(dns_zone, settings, http_servers,
                                                            test_certs, address):
    settings.ALLOWED_TARGET_NETWORKS = []
    dns_zone.add("evil.test", "AAAA" if ":" in address else "A", address)
    trap = http_servers.start(tls=server_context(test_certs.valid))
    with pytest.raises(TargetNotAllowed, match="evil.test resolves to"):
        run(inspect("evil.test", trap.port))
    assert trap.connections == 0


# --- hostname matching ------------------------------------------------------------------------


def certificate(sans: list[str], cn: str | None) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else [])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(key.public_key()).serial_number(1)
               .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1)))
    if sans:
        names = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n)
                 for n in sans]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(key, hashes.SHA256())


@pytest.mark.parametrize(
    "host, sans, cn, expected",
    [
        ("www.example.test", ["*.example.test"], None, True),
        ("example.test", ["*.example.test"], None, False),
        ("a.b.example.test", ["*.example.test"], None, False),
        ("EXAMPLE.test.", ["example.test"], None, True),
        # Like browsers (RFC 9525), the common name is not a host name, SANs or not.
        ("example.test", [], "example.test", False),
        ("example.test", ["other.test"], "example.test", False),
        ("192.0.2.1", ["192.0.2.1"], None, True),
        ("192.0.2.1", ["example.test"], "192.0.2.1", False),
    ],
)
def test_hostname_matches(host, sans, cn, expected):
    assert hostname_matches(host, certificate(sans, cn)) is expected
