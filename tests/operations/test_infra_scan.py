import ssl
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from jobs.clients import target_policy
from jobs.net import services
from jobs.net.ports import PortResult
from jobs.operations.base import JobAborted, OperationError, make_test_context
from jobs.operations.infra_scan import core
from jobs.operations.infra_scan.findings import summarise
from jobs.operations.infra_scan.ports import crowd_of, port_findings
from jobs.operations.infra_scan.result import Result
from jobs.operations.infra_scan.scan import Params, literal_targets, target
from jobs.operations.infra_scan.scan import run as run_scan
from jobs.runner import call_run
from tests.servers.certs import CertFiles, server_context
from tests.servers.http_server import HttpTestServer, hardened_site, leaky_site
from tests.servers.tcp_server import (
    FTP_BANNER,
    TELNET_BANNER,
    TcpListener,
    free_port,
    redis_responder,
)
from tests.servers.whois_server import WhoisChain, whois_chain

RESULT_KEYS = {"domain", "scanType", "startedAt", "finishedAt", "modules", "findings", "summary"}
FINDING_KEYS = {"id", "severity", "title", "description", "evidence", "module"}


@dataclass
class Site:
    https: HttpTestServer
    http: HttpTestServer
    redis: TcpListener
    telnet: TcpListener
    ftp: TcpListener
    whois: WhoisChain

    def params(self, **extra) -> Params:
        ports = [self.redis.port, self.telnet.port, f"{self.ftp.port}-{self.ftp.port}",
                 self.https.port, self.http.port, free_port()]  # fmt: skip
        return Params(domain="example.test", sslPort=self.https.port,
                      httpPort=self.http.port, ports=ports, **extra)  # fmt: skip


def site_certificate(test_certs, directory: Path) -> CertFiles:
    """A certificate naming a subdomain no wordlist would guess."""
    leaf = test_certs.ca.issue_cert("example.test", "www.example.test",
                                    "hidden-admin.example.test", "127.0.0.1")  # fmt: skip
    files = CertFiles(directory / "site.pem", directory / "site.key")
    files.chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    files.key.write_bytes(leaf.private_key_pem.bytes())
    return files


@pytest.fixture
def trust_test_ca(monkeypatch, test_certs):
    # OpenSSL's default trust store obeys SSL_CERT_FILE: the scan trusts the test CA the
    # way a real one trusts the system's.
    monkeypatch.setenv("SSL_CERT_FILE", str(test_certs.ca_file))


@pytest.fixture
def leaky(dns_zone, http_servers, tcp_listeners, whois_servers, test_certs, settings,
          trust_test_ca, tmp_path) -> Site:  # fmt: skip
    legacy_tls = server_context(site_certificate(test_certs, tmp_path),
                                minimum=ssl.TLSVersion.TLSv1)  # fmt: skip
    site = Site(
        https=http_servers.start(leaky_site(), tls=legacy_tls),
        http=http_servers.start(leaky_site()),
        redis=tcp_listeners.start(responder=redis_responder),
        telnet=tcp_listeners.start(banner=TELNET_BANNER),
        ftp=tcp_listeners.start(banner=FTP_BANNER),
        whois=whois_chain(whois_servers, "example.test"),
    )
    settings.WHOIS_SERVER = site.whois.root.server
    zone = dns_zone
    zone.add("example.test", "A", "127.0.0.1")
    zone.add("example.test", "MX", "10 mail.example.test.")
    zone.add("example.test", "NS", "ns1.example.test.")
    zone.add("example.test", "SOA", "ns1.example.test. hostmaster.example.test. 42 7200 900 9 60")
    zone.add("example.test", "TXT", "v=spf1 +all")
    zone.add("example.test", "TXT", "google-site-verification=abc")
    zone.add("_dmarc.example.test", "TXT", "v=DMARC1; p=none")
    for name in ("www", "mail", "hidden-admin"):
        zone.add(f"{name}.example.test", "A", "127.0.0.1")
    zone.add("api.example.test", "A", "10.0.0.5")
    zone.add("vpn.example.test", "AAAA", "fd00::10")
    return site


@pytest.fixture
def hardened(dns_zone, http_servers, test_certs, trust_test_ca, settings):
    https = http_servers.start(hardened_site(), tls=server_context(test_certs.valid))
    zone = dns_zone
    zone.add("example.test", "A", "127.0.0.1")
    zone.add("example.test", "MX", "10 mail.example.test.")
    zone.add("example.test", "NS", "ns1.example.test.")
    zone.add("example.test", "NS", "ns2.example.test.")
    zone.add("example.test", "TXT", "v=spf1 mx -all")
    zone.add("_dmarc.example.test", "TXT", "v=DMARC1; p=reject; rua=mailto:d@example.test")
    zone.add("example.test", "CAA", '0 issue "letsencrypt.org"')
    settings.WHOIS_SERVER = f"127.0.0.1:{free_port()}"  # nothing answers
    return https


def ids(result) -> set[str]:
    return {f["id"] for f in result["findings"]}


# --- the request ----------------------------------------------------------------------------


def test_params_accept_both_spellings():
    camel = Params.model_validate({"domain": "Example.TEST.", "sslPort": 8443, "httpPort": 8080})
    snake = Params.model_validate({"domain": "example.test", "ssl_port": 8443, "http_port": 8080})
    assert camel == snake
    assert camel.domain == "example.test" and camel.type == "comprehensive"
    assert Params(domain="x.test", type="ports", ports=[22, "8000-8010"]).ports == [22, "8000-8010"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("https://www.Example.test:8443/path?q=1", "www.example.test"),
        ("0x7f.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("8.8.8.8", "8.8.8.8"),
        ("localhost", "localhost"),
    ],
)
def test_domain_is_normalised(raw, expected):
    assert Params(domain=raw).domain == expected


@pytest.mark.parametrize(
    "body",
    [
        {"domain": ""},
        {"domain": "exa mple.test"},
        {"domain": "-bad.test"},
        {"domain": "a" * 64 + ".test"},
        {"domain": "1.2.3.4.5"},
        {"domain": 42},
        {"domain": "example.test", "type": "everything"},
        {"domain": "example.test", "ports": [0]},
        {"domain": "example.test", "ports": ["9-1"]},
        {"domain": "example.test", "ports": [True]},
        {"domain": "example.test", "sslPort": 70000},
        {"domain": "example.test", "depth": 2},
    ],
)
def test_bad_requests_are_refused(body):
    with pytest.raises(ValidationError):
        Params.model_validate(body)


@pytest.mark.parametrize("domain", ["127.0.0.1", "0177.0.0.1", "2130706433", "[::1]",
                                    "169.254.169.254", "::ffff:10.0.0.1", "localhost"])
def test_literal_targets_lets_the_api_refuse_forbidden_literals(domain, settings):
    settings.ALLOWED_TARGET_NETWORKS = []
    params = Params(domain=domain)
    [(field, host)] = literal_targets(params)
    assert field == "domain" and target_policy().literal_refusal(host)
    assert target(params) == params.domain


def test_schema_publishes_every_field():
    properties = Params.model_json_schema(by_alias=True)["properties"]
    assert set(properties) == {"domain", "type", "ports", "sslPort", "httpPort"}


def test_risk_score():
    def of(*severities):
        return summarise([{"severity": s} for s in severities])

    assert of() == {"findingsBySeverity": {"critical": 0, "high": 0, "medium": 0, "low": 0,
                                           "info": 0}, "riskScore": 0}  # fmt: skip
    assert of("critical")["riskScore"] == 50
    assert of("high", "high")["riskScore"] == 44
    assert of("info", "info")["riskScore"] == 0
    assert of(*["critical"] * 10)["riskScore"] == 100


# --- a comprehensive scan of a careless site ---------------------------------------------------


def test_comprehensive_scan_of_a_leaky_site(leaky):
    ctx = make_test_context()
    started = time.monotonic()
    result = run(leaky.params(), ctx)
    assert time.monotonic() - started < 20

    assert set(result) == RESULT_KEYS
    assert result["domain"] == "example.test" and result["scanType"] == "comprehensive"
    assert result["startedAt"].endswith("Z") and len(result["startedAt"]) == 24
    modules = result["modules"]
    assert set(modules) == {"dns", "subdomains", "ssl", "ports", "technologies", "whois",
                            "vulnerabilities"}  # fmt: skip
    assert not any(isinstance(v, dict) and "error" in v for v in modules.values()), modules

    _check_dns(modules["dns"])
    _check_subdomains(modules["subdomains"])
    _check_ssl(modules["ssl"], leaky)
    _check_ports(modules["ports"], leaky)
    _check_technologies(modules["technologies"])
    _check_whois(modules["whois"])
    _check_findings(result, modules["vulnerabilities"])

    messages = [message for _current, _total, message in ctx.steps]
    assert messages[0] == "Resolving example.test..." and messages[-1] == "Done"
    assert {"Scanning SSL...", "Scanning DNS...", "Scanning ports...", "Looking up WHOIS...",
            "Enumerating subdomains...", "Detecting technologies...",
            "Checking vulnerabilities..."} <= set(messages)  # fmt: skip
    assert ctx.steps[-1][:2] == (8, 8)
    # Every module start is its own step, written in order.
    assert [current for current, _total, _message in ctx.steps] == list(range(9))


def _check_dns(dns):
    records = dns["records"]
    assert records["A"] == ["127.0.0.1"] and records["AAAA"] == []
    assert records["MX"] == [{"preference": 10, "exchange": "mail.example.test."}]
    assert records["NS"] == ["ns1.example.test."]
    assert set(records["TXT"]) == {"v=spf1 +all", "google-site-verification=abc"}
    assert records["SOA"]["serial"] == 42 and records["SOA"]["mname"] == "ns1.example.test."
    assert records["CAA"] == [] and records["CNAME"] == []
    assert dns["spf"]["record"] == "v=spf1 +all" and dns["spf"]["all"] == "+all"
    assert dns["dmarc"]["policy"] == "none"


def _check_subdomains(subdomains):
    by_name = {s["name"]: s for s in subdomains}
    assert by_name["www.example.test"] == {"name": "www.example.test",
                                           "addresses": ["127.0.0.1"], "source": "wordlist"}
    assert by_name["api.example.test"]["addresses"] == ["10.0.0.5"]
    assert by_name["vpn.example.test"]["addresses"] == ["fd00::10"]
    assert by_name["hidden-admin.example.test"]["source"] == "certificate"
    assert set(by_name) == {"www.example.test", "mail.example.test", "api.example.test",
                            "vpn.example.test", "hidden-admin.example.test"}  # fmt: skip


def _check_ssl(tls, site):
    assert tls["host"] == "example.test" and tls["port"] == site.https.port
    assert tls["protocols"] == {"TLSv1.0": True, "TLSv1.1": True, "TLSv1.2": True,
                                "TLSv1.3": True}  # fmt: skip
    cert = tls["certificate"]
    assert cert["chainValid"] is True and cert["selfSigned"] is False
    assert cert["hostnameMatch"] is True and cert["daysLeft"] > 300
    assert "hidden-admin.example.test" in cert["sans"]
    assert {"subject", "issuer", "notBefore", "notAfter"} <= set(cert)


def _check_ports(ports, site):
    by_port = {p["port"]: p for p in ports}
    assert set(by_port) == {site.redis.port, site.telnet.port, site.ftp.port, site.https.port,
                            site.http.port}  # fmt: skip
    assert by_port[site.redis.port] == {"port": site.redis.port, "protocol": "tcp",
                                        "state": "open", "service": "redis", "banner": "+PONG"}
    assert by_port[site.telnet.port]["service"] == "telnet"
    assert by_port[site.ftp.port]["service"] == "ftp"
    assert by_port[site.http.port]["service"] == "http"
    assert "Apache/2.2.15" in by_port[site.http.port]["banner"]


def _check_technologies(technologies):
    found = {t["name"]: t for t in technologies}
    assert found["Apache HTTP Server"]["version"] == "2.2.15"
    assert found["Apache HTTP Server"]["category"] == "web-server"
    assert found["PHP"]["version"] == "5.6.40"
    assert found["WordPress"]["version"] == "4.9.8"
    assert found["jQuery"]["version"] == "1.12.4"
    assert "CentOS" in found
    assert all(t["evidence"] for t in technologies)


def _check_whois(whois):
    assert whois["registrar"] == "Example Registrar, Inc."
    assert whois["expiryDate"] == "2030-08-13T04:00:00Z"
    assert whois["registrantOrganization"] == "Example Widgets Ltd"


def _check_findings(result, vulnerabilities):
    found = {f["id"]: f for f in result["findings"]}
    expected = {
        "exposed-env": "critical",
        "exposed-git": "high",
        "directory-listing-uploads": "medium",
        "header-missing-hsts": "medium",
        "header-missing-csp": "medium",
        "header-missing-x-frame-options": "low",
        "outdated-apache-http-server": "high",
        "outdated-php": "high",
        "outdated-wordpress": "high",
        "outdated-jquery": "medium",
        "tls-1.0-enabled": "medium",
        "tls-1.1-enabled": "medium",
        "spf-pass-all": "high",
        "dmarc-policy-none": "low",
        "caa-missing": "low",
        "dns-single-ns": "low",
        "dns-internal-addresses": "low",
        "header-version-server": "low",
        "http-no-https-redirect": "low",
    }
    for finding_id, severity in expected.items():
        assert found[finding_id]["severity"] == severity, finding_id
    assert any(f.startswith("exposed-redis-") and found[f]["severity"] == "critical"
               for f in found)  # fmt: skip
    assert any(f.startswith("exposed-telnet-") for f in found)
    assert "DB_PASSWORD" in found["exposed-env"]["evidence"]
    assert "hunter2" not in str(result)  # secrets are named, never copied
    assert found["tls-1.0-enabled"]["module"] == "ssl"  # first module that saw it
    assert found["exposed-git"]["module"] == "vulnerability"
    assert found["spf-pass-all"]["module"] == "dns"
    assert all(set(f) == FINDING_KEYS for f in result["findings"])
    assert len(found) == len(result["findings"])  # listed once each
    assert {"exposed-git", "exposed-env", "tls-1.0-enabled"} <= {f["id"] for f in vulnerabilities}
    summary = result["summary"]
    assert sum(summary["findingsBySeverity"].values()) == len(result["findings"])
    assert summary["riskScore"] >= 90


# --- a careful site, and a module that fails -------------------------------------------------


def test_hardened_site_scores_low_and_a_failed_module_is_recorded(hardened):
    params = Params(domain="example.test", sslPort=hardened.port, httpPort=free_port(),
                    ports=[hardened.port])  # fmt: skip
    result = run(params, make_test_context())
    modules = result["modules"]
    assert "no WHOIS server answered" in modules["whois"]["error"]
    assert modules["ssl"]["certificate"]["chainValid"] is True
    assert modules["ssl"]["protocols"]["TLSv1.0"] is False
    assert modules["dns"]["spf"]["issues"] == [] and modules["dns"]["caa"]["issuers"] == [
        "letsencrypt.org"
    ]
    assert [t["name"] for t in modules["technologies"]] == ["nginx"]
    assert modules["ports"] == [{"port": hardened.port, "protocol": "tcp", "state": "open",
                                 "service": "https",
                                 "banner": "HTTP/1.1 200 OK | Server: nginx | TLSv1.3"}]
    severities = {f["severity"] for f in result["findings"]}
    assert severities <= {"info", "low"}, result["findings"]
    assert result["summary"]["riskScore"] < 10


# --- single modules ----------------------------------------------------------------------------


def test_ssl_only_scan_of_an_expired_certificate(dns_zone, http_servers, test_certs, trust_test_ca):
    dns_zone.add("example.test", "A", "127.0.0.1")
    server = http_servers.start(tls=server_context(test_certs.expired))
    result = run(Params(domain="example.test", type="ssl", sslPort=server.port),
                 make_test_context())  # fmt: skip
    assert set(result["modules"]) == {"ssl"}
    cert = result["modules"]["ssl"]["certificate"]
    assert cert["daysLeft"] < 0 and cert["chainValid"] is False
    assert ids(result) == {"tls-expired"}
    assert result["findings"][0]["module"] == "ssl"


def test_ssl_only_scan_of_a_self_signed_certificate(dns_zone, http_servers, test_certs):
    dns_zone.add("example.test", "A", "127.0.0.1")
    server = http_servers.start(tls=server_context(test_certs.self_signed))
    result = run(Params(domain="example.test", type="ssl", sslPort=server.port),
                 make_test_context())  # fmt: skip
    assert result["modules"]["ssl"]["certificate"]["selfSigned"] is True
    assert "tls-self-signed" in ids(result)


def test_ports_only_scan_with_ranges(dns_zone, tcp_listeners):
    dns_zone.add("example.test", "A", "127.0.0.1")
    listener = tcp_listeners.start(banner=b"SSH-2.0-OpenSSH_9.6\r\n")
    result = run(Params(domain="example.test", type="ports",
                        ports=[f"{listener.port}-{listener.port}"]), make_test_context())
    assert result["modules"] == {"ports": [{"port": listener.port, "protocol": "tcp",
                                            "state": "open", "service": "ssh",
                                            "banner": "SSH-2.0-OpenSSH_9.6"}]}  # fmt: skip
    assert result["findings"] == []


def test_an_ip_literal_can_be_scanned(dns_zone, tcp_listeners):
    listener = tcp_listeners.start(banner=TELNET_BANNER)
    result = run(Params(domain="127.0.0.1", type="ports", ports=[listener.port]),
                 make_test_context())  # fmt: skip
    assert result["modules"]["ports"][0]["service"] == "telnet"
    assert result["findings"][0]["id"] == f"exposed-telnet-{listener.port}"


def test_dns_only_scan(dns_zone):
    dns_zone.add("example.test", "A", "127.0.0.1").add("example.test", "TXT", "v=spf1 ?all")
    dns_zone.add("_dmarc.example.test", "TXT", "v=DMARC1; p=quarantine; pct=50")
    result = run(Params(domain="example.test", type="dns"), make_test_context())
    assert set(result["modules"]) == {"dns"}
    assert {"spf-neutral-all", "dmarc-partial", "dmarc-no-reports", "caa-missing",
            "dns-no-mx"} <= ids(result)  # fmt: skip


def test_spf_lookups_count_nested_includes(dns_zone):
    # RFC 7208 4.6.4: include, a, mx, ptr, exists and redirect count, through includes.
    dns_zone.add("example.test", "A", "127.0.0.1")
    dns_zone.add("example.test", "TXT", "v=spf1 include:_spf.example.test mx -all")  # 2
    dns_zone.add("_spf.example.test", "TXT", "v=spf1 include:mail.vendor.test a -all")  # 2
    dns_zone.add("mail.vendor.test", "TXT", "v=spf1 ip4:192.0.2.0/24 include:loop.test ~all")
    dns_zone.add("loop.test", "TXT", "v=spf1 a mx include:mail.vendor.test -all")  # 3, loops
    result = run(Params(domain="example.test", type="dns"), make_test_context())
    spf = result["modules"]["dns"]["spf"]
    assert spf["lookups"] == 2 + 2 + 1 + 3  # the include back to mail.vendor.test is not followed
    assert "spf-too-many-lookups" not in ids(result)


def test_spf_past_ten_lookups_through_includes_is_a_finding(dns_zone):
    dns_zone.add("example.test", "A", "127.0.0.1")
    dns_zone.add("example.test", "TXT", "v=spf1 include:a.test include:b.test -all")
    dns_zone.add("a.test", "TXT", "v=spf1 a mx exists:%{i}.x.test ptr -all")
    dns_zone.add("b.test", "TXT", "v=spf1 a mx a:c.test mx:d.test redirect=e.test")
    dns_zone.add("e.test", "TXT", "v=spf1 a -all")
    result = run(Params(domain="example.test", type="dns"), make_test_context())
    assert result["modules"]["dns"]["spf"]["lookups"] == 11  # counting stops past the limit
    found = {f["id"]: f for f in result["findings"]}
    assert found["spf-too-many-lookups"]["severity"] == "medium"


def test_the_result_is_exactly_the_published_model(leaky):
    result = run(leaky.params(), make_test_context())
    model = Result.model_validate(result)
    assert model.model_dump(mode="json", exclude_unset=True) == result
    cert = model.modules.ssl.certificate
    assert cert.notBefore.endswith(".000Z") and len(cert.notAfter) == 24
    assert model.modules.dns.records.SOA.serial == 42


def test_a_proxy_answering_on_every_port_is_one_finding():
    crowd = [PortResult(port, service=services.service_name(port)) for port in range(1, 151)]
    real = PortResult(6379, service="redis", banner="+PONG")
    found = {f["id"]: f for f in port_findings([*crowd, real])}
    assert found["ports-same-answer"]["severity"] == "info"
    assert found["ports-same-answer"]["evidence"].startswith("150 open ports with no banner: 1-150")
    assert "exposed-telnet-23" not in found and "exposed-ftp-21" not in found
    assert found["exposed-redis-6379"]["severity"] == "critical"
    assert crowd_of(crowd[:99]) is None
    assert "ports-same-answer" not in {f["id"] for f in port_findings(crowd[:99])}


def test_dns_scan_of_a_name_without_addresses(dns_zone):
    dns_zone.add("mailonly.test", "MX", "10 mx.elsewhere.test.")
    result = run(Params(domain="mailonly.test", type="dns"), make_test_context())
    assert result["modules"]["dns"]["records"]["MX"][0]["preference"] == 10


def test_subdomains_with_a_wildcard(dns_zone):
    dns_zone.add("example.test", "A", "127.0.0.1")
    dns_zone.add("*.example.test", "A", "127.0.0.9")
    dns_zone.add("www.example.test", "A", "127.0.0.1")
    result = run(Params(domain="example.test", type="subdomains"), make_test_context())
    assert [s["name"] for s in result["modules"]["subdomains"]] == ["www.example.test"]
    assert "dns-wildcard" in ids(result)


def test_technologies_only(dns_zone, http_servers):
    dns_zone.add("example.test", "A", "127.0.0.1")
    server = http_servers.start(leaky_site())
    result = run(Params(domain="example.test", type="technologies", httpPort=server.port,
                        sslPort=free_port()), make_test_context())  # fmt: skip
    names = {t["name"] for t in result["modules"]["technologies"]}
    assert {"Apache HTTP Server", "PHP", "WordPress", "jQuery"} <= names
    assert result["findings"] == []


def test_vulnerability_only(leaky):
    result = run(leaky.params(type="vulnerability"), make_test_context())
    assert set(result["modules"]) == {"vulnerabilities"}
    assert {"exposed-git", "exposed-env", "tls-1.0-enabled"} <= ids(result)
    assert all(f["module"] == "vulnerability" for f in result["findings"])


def test_whois_only(leaky):
    result = run(Params(domain="www.example.test", type="whois"), make_test_context())
    assert result["modules"]["whois"]["query"] == "example.test"
    assert result["modules"]["whois"]["registrantName"] == "Jane Doe"


# --- targets the scan refuses or cannot reach -------------------------------------------------


def test_domain_resolving_to_loopback_is_not_allowed(dns_zone, settings, http_servers, test_certs):
    settings.ALLOWED_TARGET_NETWORKS = []
    dns_zone.add("example.test", "A", "127.0.0.1")
    trap = http_servers.start(tls=server_context(test_certs.valid))
    with pytest.raises(OperationError) as caught:
        run(Params(domain="example.test", sslPort=trap.port, httpPort=trap.port,
                   ports=[trap.port]), make_test_context())  # fmt: skip
    assert caught.value.code == "TARGET_NOT_ALLOWED"
    assert "127.0.0.1" in caught.value.message
    assert trap.connections == 0


@pytest.mark.parametrize("address", ["169.254.169.254", "10.1.2.3", "::ffff:127.0.0.1", "fd00::2"])
def test_domain_resolving_to_other_forbidden_addresses(dns_zone, settings, address):
    settings.ALLOWED_TARGET_NETWORKS = []
    dns_zone.add("example.test", "AAAA" if ":" in address else "A", address)
    with pytest.raises(OperationError) as caught:
        run(Params(domain="example.test", type="whois"), make_test_context())
    assert caught.value.code == "TARGET_NOT_ALLOWED"


def test_forbidden_literal_is_refused_at_run_time_too(settings, tcp_listeners):
    settings.ALLOWED_TARGET_NETWORKS = []
    trap = tcp_listeners.start()
    with pytest.raises(OperationError) as caught:
        run(Params(domain="0x7f.1", type="ports", ports=[trap.port]), make_test_context())
    assert caught.value.code == "TARGET_NOT_ALLOWED"
    assert trap.accepted == 0


def test_unknown_domain_is_unreachable(dns_zone):
    with pytest.raises(OperationError) as caught:
        run(Params(domain="missing.test"), make_test_context())
    assert caught.value.code == "TARGET_UNREACHABLE"


def test_silent_dns_is_unreachable(dns_zone, monkeypatch):
    monkeypatch.setattr(core, "DNS_TIMEOUT", 0.3)
    dns_zone.silent("example.test")
    with pytest.raises(OperationError, match="No DNS server answered") as caught:
        run(Params(domain="example.test"), make_test_context())
    assert caught.value.code == "TARGET_UNREACHABLE"


def test_connecting_scan_of_a_name_without_addresses_is_unreachable(dns_zone):
    dns_zone.add("mailonly.test", "MX", "10 mx.elsewhere.test.")
    with pytest.raises(OperationError) as caught:
        run(Params(domain="mailonly.test", type="ports"), make_test_context())
    assert caught.value.code == "TARGET_UNREACHABLE"


# --- cancellation and time -----------------------------------------------------------------------


def test_cancellation_stops_the_scan(leaky):
    calls = []

    def is_active():
        calls.append(1)
        return len(calls) < 3  # cancelled while the modules start

    with pytest.raises(JobAborted):
        run(leaky.params(), make_test_context(is_active=is_active))


def test_a_module_out_of_time_is_recorded(dns_zone, tcp_listeners):
    dns_zone.add("example.test", "A", "127.0.0.1")
    quiet = tcp_listeners.start()  # accepts, never completes a TLS handshake
    started = time.monotonic()
    result = run(Params(domain="example.test", type="ssl", sslPort=quiet.port),
                 make_test_context(timeout=core.FINISH_RESERVE + 1.5))  # fmt: skip
    assert result["modules"]["ssl"] == {"error": "the module ran out of time"}
    assert time.monotonic() - started < 10  # the job's limit, not the TLS wait


def run(params, ctx):
    return call_run(run_scan, params, ctx)
