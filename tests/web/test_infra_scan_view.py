"""The infrastructure-scan result on a job's page: the risk and findings first, then one
section per module that ran; the new-scan form."""

import copy
import html as htmllib
import random
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job, JobStatus
from jobs.operations.infra_scan.findings import summarise
from jobs.operations.infra_scan.web import risk_of
from tests.factories import JobFactory
from tests.web.conftest import HX

SECTIONS = {"dns": "dns", "subdomains": "subdomains", "ssl": "ssl", "ports": "ports",
            "technologies": "technologies", "whois": "whois",
            "vulnerability": "vulnerabilities"}
SEVERITY_ORDER = ["Critical", "High", "Medium", "Low", "Info"]
BADGE = re.compile(r'<li class="is-finding is-edge-[a-z]+">\s*<div class="is-finding-head">'
                   r'<span class="is-sev is-sev-[a-z]+">(\w+)</span>')


def finding(id_, severity, title, description, evidence, module):
    return {"id": id_, "severity": severity, "title": title, "description": description,
            "evidence": evidence, "module": module}


FINDINGS = [
    finding("dmarc-policy-none", "low", "DMARC policy is 'none'",
            "Forged mail is reported but still delivered.", "v=DMARC1; p=none", "dns"),
    finding("exposed-env", "critical", "Environment file exposed",
            "/.env is served: it usually holds passwords and API keys.",
            "GET https://example.com/.env -> 200, variables: APP_ENV, DB_PASSWORD, APP_KEY",
            "vulnerability"),
    finding("tls-self-signed", "high", "Self-signed certificate",
            "No authority vouches for it; visitors cannot tell it from an attacker's.",
            "CN=example.com", "ssl"),
    finding("dmarc-no-reports", "info", "DMARC asks for no aggregate reports",
            "Without rua= nobody learns who sends mail as this domain.", "v=DMARC1; p=none",
            "dns"),
    finding("spf-pass-all", "high", "SPF allows every sender (+all)",
            "The record authorises the whole Internet to send as this domain.", "v=spf1 +all",
            "dns"),
    finding("exposed-redis-6379", "critical", "Redis open without a password",
            "Redis answered PING without authentication: anyone can read and write.",
            "6379/tcp open: +PONG", "ports"),
    finding("header-missing-content-security-policy", "medium",
            "Missing content-security-policy header",
            "Without a Content Security Policy an injected script runs unchecked.",
            "https://example.com/ answered 200 without it", "vulnerability"),
    finding("tls-1.0-enabled", "medium", "TLSv1.0 accepted",
            "TLSv1.0 is deprecated (RFC 8996) and has known weaknesses.",
            "TLSv1.0 handshake succeeded", "ssl"),
    finding("outdated-php", "high", "PHP 5.6.40 is out of date",
            "PHP before 8.2 no longer receives security fixes", "X-Powered-By: PHP/5.6.40",
            "vulnerability"),
    finding("dns-internal-addresses", "low", "Internal addresses in public DNS",
            "Subdomains publish private or reserved addresses, which maps the internal "
            "network for anyone.", "api.example.com -> 10.0.0.5", "subdomains"),
    finding("whois-no-transfer-lock", "low", "No transfer lock",
            "Without a transfer lock the domain is easier to hijack.", "ok", "whois"),
]

MODULES = {
    "dns": {
        "records": {"A": ["93.184.215.14"], "AAAA": [],
                    "MX": [{"preference": 10, "exchange": "mail.example.com."}],
                    "NS": ["a.iana-servers.net.", "b.iana-servers.net."],
                    "TXT": ["google-site-verification=abc", "v=spf1 +all"], "CNAME": [],
                    "SOA": {"mname": "ns.icann.org.", "rname": "noc.dns.icann.org.",
                            "serial": 2024081400, "refresh": 7200, "retry": 3600,
                            "expire": 1209600, "minimum": 3600},
                    "CAA": []},
        "spf": {"record": "v=spf1 +all", "valid": True, "mechanisms": ["+all"], "all": "+all",
                "lookups": 0, "issues": [{k: v for k, v in FINDINGS[4].items()
                                          if k != "module"}]},
        "dmarc": {"record": "v=DMARC1; p=none", "valid": True, "policy": "none",
                  "subdomainPolicy": "none", "pct": 100, "rua": [], "ruf": [], "adkim": "r",
                  "aspf": "r", "issues": [{k: v for k, v in FINDINGS[i].items() if k != "module"}
                                          for i in (0, 3)]},
        "caa": {"records": [], "issuers": [], "issues": [{
            "id": "caa-missing", "severity": "low", "title": "No CAA record",
            "description": "Any certificate authority may issue certificates for this domain.",
            "evidence": ""}]},
    },
    "subdomains": [
        {"name": "api.example.com", "addresses": ["10.0.0.5"], "source": "wordlist"},
        {"name": "hidden-admin.example.com", "addresses": ["93.184.215.14"],
         "source": "certificate"},
        {"name": "www.example.com", "addresses": ["93.184.215.14", "2606:2800:21f:cb07::1"],
         "source": "wordlist"},
    ],
    "ssl": {
        "host": "example.com", "address": "93.184.215.14", "port": 443,
        "protocols": {"TLSv1.0": True, "TLSv1.1": "unsupported_by_client", "TLSv1.2": True,
                      "TLSv1.3": False},
        "negotiatedProtocol": "TLSv1.2", "cipher": "ECDHE-RSA-AES128-GCM-SHA256",
        "certificate": {
            "subject": "CN=example.com,O=Example Widgets Ltd",
            "issuer": "CN=example.com,O=Example Widgets Ltd",
            "subjectCommonName": "example.com", "issuerCommonName": "example.com",
            "notBefore": "2026-01-01T00:00:00Z", "notAfter": "2026-12-31T23:59:59Z",
            "daysLeft": 212, "sans": ["example.com", "www.example.com",
                                      "hidden-admin.example.com"],
            "keyType": "RSA", "keySize": 2048, "signatureAlgorithm": "sha256WithRSAEncryption",
            "serialNumber": "3a5f", "sha256": "ab" * 32, "selfSigned": True,
            "chainValid": False, "chainError": "self-signed certificate",
            "hostnameMatch": True, "chain": ["CN=example.com,O=Example Widgets Ltd"]},
    },
    "ports": [
        {"port": 443, "protocol": "tcp", "state": "open", "service": "https",
         "banner": "HTTP/1.1 200 OK | Server: Apache/2.4.7 (Ubuntu) | TLSv1.2"},
        {"port": 22, "protocol": "tcp", "state": "open", "service": "ssh",
         "banner": "SSH-2.0-OpenSSH_9.6"},
        {"port": 6379, "protocol": "tcp", "state": "open", "service": "redis",
         "banner": "+PONG"},
    ],
    "technologies": [
        {"name": "WordPress", "version": "6.5.2", "category": "cms",
         "evidence": '<meta name="generator" content="WordPress 6.5.2">'},
        {"name": "PHP", "version": "5.6.40", "category": "programming-language",
         "evidence": "X-Powered-By: PHP/5.6.40"},
        {"name": "Apache HTTP Server", "version": "2.4.7", "category": "web-server",
         "evidence": "Server: Apache/2.4.7 (Ubuntu)"},
    ],
    "whois": {
        "query": "example.com", "server": "whois.example-registrar.com",
        "servers": ["whois.iana.org", "whois.verisign-grs.com", "whois.example-registrar.com"],
        "found": True, "registrar": "Example Registrar, Inc.", "registrarIanaId": "376",
        "creationDate": "1995-08-14T04:00:00Z", "updatedDate": "2024-08-14T07:01:34Z",
        "expiryDate": "2031-08-13T04:00:00Z", "registrantName": None,
        "registrantOrganization": "Example Widgets Ltd", "registrantEmail": None,
        "registrantCountry": "GB", "dnssec": "signedDelegation",
        "nameServers": ["a.iana-servers.net", "b.iana-servers.net"], "statuses": ["ok"],
        "errors": [], "raw": "Domain Name: EXAMPLE.COM\nRegistrar: Example Registrar, Inc.\n",
    },
    "vulnerabilities": [f for f in FINDINGS if f["module"] == "vulnerability"],
}


def scan_result(scan_type: str = "comprehensive", **modules) -> dict:
    """A result shaped as the operation writes it; the findings deliberately out of order."""
    keys = list(SECTIONS.values()) if scan_type == "comprehensive" else [SECTIONS[scan_type]]
    chosen = {k: copy.deepcopy(MODULES[k]) for k in keys}
    chosen.update(modules)
    ran = {name for name, key in SECTIONS.items()
           if key in chosen and not (isinstance(chosen[key], dict) and "error" in chosen[key])}
    found = [dict(f) for f in FINDINGS if f["module"] in ran]
    return {"domain": "example.com", "scanType": scan_type,
            "startedAt": "2026-06-05T12:00:00.000Z", "finishedAt": "2026-06-05T12:00:04.250Z",
            "modules": chosen, "findings": found, "summary": summarise(found)}


def scan_job(org, result=None, **fields):
    result = result if result is not None else scan_result()
    params = {"domain": "example.com", "type": result.get("scanType", "comprehensive"),
              "ports": [22, 443, "6379-6380"], "sslPort": 443, "httpPort": 80}
    now = timezone.now()
    defaults = {"organization": org, "type": "infra_scan", "status": JobStatus.COMPLETED,
                "target": "example.com", "params": params, "result": result,
                "progress_current": 8, "progress_total": 8, "progress_message": "Done",
                "created_at": now - timedelta(seconds=6), "started_at": now - timedelta(seconds=5),
                "completed_at": now}
    return JobFactory(**{**defaults, **fields})


def page(web, job, headers=None) -> str:
    response = web.get(reverse("job-detail", args=[job.pk]), headers=headers or {})
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, key: str) -> str:
    match = re.search(rf'<section class="is-block[^"]*" id="is-{key}".*?</section>', html, re.S)
    assert match, f"no {key} section"
    return match.group(0)


def text(html: str) -> str:
    """The words a reader sees, one space between them."""
    words = re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html))).strip()
    return re.sub(r" ([;,.)])", r"\1", words)


# --- the whole report --------------------------------------------------------------------


def test_summary_comes_first_with_score_words_and_counts(web, org):
    html = page(web, scan_job(org))
    summary = html.index('class="is-summary"')
    assert summary < html.index('id="is-findings"') < html.index('id="is-dns"')
    risk = text(re.search(r'<div class="is-risk is-risk-high">.*?</div>\s*</div>', html,
                          re.S).group(0))
    assert "Risk score 92 / 100 High risk" in risk
    counts = re.findall(r'<span class="is-count-n">(\d+)</span> '
                        r'<span class="is-count-label">(\w+)</span>', html)
    assert counts == [("2", "Critical"), ("3", "High"), ("2", "Medium"), ("3", "Low"),
                      ("1", "Info")]
    meta = text(re.search(r'<dl class="is-meta">.*?</dl>', html, re.S).group(0))
    assert meta == ("Domain example.com Scan Comprehensive (every check) "
                    "Ports tried 22, 443, 6379-6380")


def test_findings_are_sorted_by_severity_with_evidence_and_module(web, org):
    result = scan_result()
    random.Random(4).shuffle(result["findings"])
    html = page(web, scan_job(org, result))
    badges = BADGE.findall(section(html, "findings"))
    assert len(badges) == len(FINDINGS)
    assert badges == sorted(badges, key=SEVERITY_ORDER.index)
    env = text(section(html, "findings")).split("Environment file exposed", 1)[1]
    assert env.startswith(" /.env is served: it usually holds passwords and API keys. "
                          "Evidence GET https://example.com/.env -> 200, variables: APP_ENV, "
                          "DB_PASSWORD, APP_KEY Found by Vulnerability checks · exposed-env")
    assert '<a href="#is-vulnerabilities">Vulnerability checks</a>' in html
    assert '<a href="#is-ssl">SSL/TLS certificate</a>' in html


def test_every_module_has_its_section_in_order(web, org):
    html = page(web, scan_job(org))
    positions = [html.index(f'id="is-{key}"') for key in SECTIONS.values()]
    assert positions == sorted(positions)
    toc = text(re.search(r'<nav class="is-toc".*?</nav>', html, re.S).group(0))
    assert toc == ("Findings (11) DNS records Subdomains SSL/TLS certificate Open ports "
                   "Technologies Registration data (WHOIS) Vulnerability checks")
    assert "json-tree" not in html  # the generic tree is for types without a template


def test_dns_records_and_mail_policy_verdicts(web, org):
    dns = section(page(web, scan_job(org)), "dns")
    rows = re.findall(r'<td data-label="Type" class="is-rtype">(\w+)</td>\s*'
                      r'<td data-label="Records">(.*?)</td>', dns, re.S)
    records = {rtype: text(values) for rtype, values in rows}
    assert list(records) == ["A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "CAA"]
    assert records["MX"] == "10 mail.example.com."
    assert records["AAAA"] == "none"
    assert records["SOA"] == ("ns.icann.org. noc.dns.icann.org. 2024081400 7200 3600 1209600 "
                              "3600")
    verdicts = {m[0]: text(m[1]) for m in re.findall(
        r'<li class="is-verdict">\s*<div class="is-verdict-head"><strong>(\w+)</strong>(.*?)'
        r'</li>\s*(?=<li class="is-verdict">|</ul>\s*</div>)', dns, re.S)}
    assert verdicts["SPF"].startswith("✗ Fail v=spf1 +all Ends with +all")
    assert "High SPF allows every sender (+all)" in verdicts["SPF"]
    assert verdicts["DMARC"].startswith("! Weak v=DMARC1; p=none Policy: none · No aggregate")
    assert verdicts["CAA"].startswith("! Missing")
    assert '<span class="is-check is-tone-bad"><span aria-hidden="true">✗</span> Fail' in dns


def test_subdomains_flag_addresses_that_are_not_public(web, org):
    rows = text(section(page(web, scan_job(org)), "subdomains"))
    assert "3 subdomains found." in rows
    assert "api.example.com 10.0.0.5 (not public) Common name" in rows
    assert "hidden-admin.example.com 93.184.215.14 Certificate" in rows
    assert "www.example.com 93.184.215.14, 2606:2800:21f:cb07::1 Common name" in rows


def test_certificate_card_and_protocols(web, org):
    ssl = section(page(web, scan_job(org)), "ssl")
    words = text(ssl)
    assert ("Inspected example.com:443 (93.184.215.14); it chose TLSv1.2 with "
            "ECDHE-RSA-AES128-GCM-SHA256.") in words
    assert ("Validity ✓ 212 days left Chain of trust ✗ Not trusted self-signed certificate "
            "Self-signed ✗ Yes Matches the host name ✓ Yes") in words
    assert "Subject example.com CN=example.com,O=Example Widgets Ltd" in words
    assert "Valid 1 Jan 2026 to 31 Dec 2026 (212 days left)" in words
    assert "Names it covers example.com www.example.com hidden-admin.example.com" in words
    assert "Key RSA 2048 bits" in words and "ab" * 32 in words
    protocols = re.findall(r'<td data-label="Version" class="mono">([\w.]+)</td>'
                           r'<td data-label="Result">(.*?)</td>', ssl, re.S)
    assert [(v, text(r)) for v, r in protocols] == [
        ("TLSv1.0", "✗ Accepted (outdated)"), ("TLSv1.1", "? Not testable here"),
        ("TLSv1.2", "✓ Accepted"), ("TLSv1.3", "– Refused")]
    assert "unsupported_by_client" not in words
    assert "“Not testable here”: the TLS library of this service cannot offer" in words


def test_open_ports_technologies_and_whois(web, org):
    html = page(web, scan_job(org))
    ports = text(section(html, "ports"))
    assert "3 open ports among 22, 443, 6379-6380." in ports
    assert ports.index("22 tcp") < ports.index("443 tcp") < ports.index("6379 tcp")
    assert "6379 tcp redis +PONG Critical: Redis open without a password" in ports
    assert "22 tcp ssh SSH-2.0-OpenSSH_9.6 —" in ports
    tech = text(section(html, "technologies"))
    assert "PHP 5.6.40 (out of date) Programming language X-Powered-By: PHP/5.6.40" in tech
    assert "WordPress 6.5.2 CMS" in tech
    whois = text(section(html, "whois"))
    assert "Registrar Example Registrar, Inc." in whois
    assert "Registered 14 Aug 1995" in whois
    assert re.search(r"Expires 13 Aug 2031 ✓ in \d+ years", whois)
    assert "Organization Example Widgets Ltd Country GB" in whois
    assert "Registrant " not in whois  # no name in the answer, no empty row
    assert "Name servers a.iana-servers.net b.iana-servers.net" in whois
    assert ("Answered by whois.iana.org → whois.verisign-grs.com → whois.example-registrar.com"
            in whois)
    assert "Full WHOIS answer" in whois
    vulns = text(section(html, "vulnerabilities"))
    assert "These checks found 3 issues (1 critical, 1 high, 1 medium)." in vulns
    assert "Each is listed once under Findings." in vulns


def test_every_finding_is_shown_once(web, org):
    html = page(web, scan_job(org))
    # The page also carries the raw JSON (as the API returns it): the report ends there.
    report = text(html[html.index('id="infra-report"'):html.index("Raw JSON")])
    assert len(BADGE.findall(html)) == len(FINDINGS)
    for only_in_the_list in ("Environment file exposed", "Missing content-security-policy "
                             "header", "PHP 5.6.40 is out of date"):
        assert report.count(only_in_the_list) == 1, only_in_the_list


def test_a_proxy_answering_on_every_port_is_one_row(web, org):
    ports = [{"port": p, "protocol": "tcp", "state": "open", "service": None, "banner": None}
             for p in range(1000, 1150)]
    ports.append({"port": 22, "protocol": "tcp", "state": "open", "service": "ssh",
                  "banner": "SSH-2.0-OpenSSH_9.6"})
    html = page(web, scan_job(org, scan_result("ports", ports=ports)))
    words = text(section(html, "ports"))
    assert "151 open ports among" in words
    assert "150 of them gave the same answer (no banner): a firewall or proxy" in words
    assert "Showing 1–2 of 2 open ports" in words
    assert "1000 tcp same answer on 150 ports (1000-1149)" in words


def test_result_tables_export_as_csv_and_json(web, org):
    job = scan_job(org)
    html = page(web, job)
    for name in ("findings", "ports", "subdomains", "technologies"):
        url = reverse("job-table-export", args=[job.pk, name, "csv"])
        assert url in html, name
        assert web.get(url).status_code == 200
    csv = web.get(reverse("job-table-export", args=[job.pk, "ports", "csv"])).content.decode()
    assert csv.splitlines()[0] == "port,protocol,service,banner,risk"
    assert "6379,tcp,redis,'+PONG,Critical: Redis open without a password" in csv
    found = web.get(reverse("job-table-export", args=[job.pk, "findings", "json"])).json()
    assert found["count"] == len(FINDINGS) and found["rows"][0]["severity"] == "critical"
    filtered = web.get(reverse("job-table-export", args=[job.pk, "subdomains", "json"]),
                       {"subdomains-f-source": "Certificate"}).json()
    assert [r["name"] for r in filtered["rows"]] == ["hidden-admin.example.com"]


@pytest.mark.parametrize("scan_type", list(SECTIONS))
def test_only_the_modules_of_the_scan_type_are_shown(web, org, scan_type):
    html = page(web, scan_job(org, scan_result(scan_type)))
    shown = set(re.findall(r'<section class="is-block is-module[^"]*" id="is-(\w+)"', html))
    assert shown == {SECTIONS[scan_type]}
    assert 'id="is-findings"' in html and 'class="is-risk' in html
    assert ("Ports tried" in html) == (scan_type == "ports")


def test_a_failed_module_says_why_in_words(web, org):
    result = scan_result(whois={"error": "no WHOIS server answered (whois.example: "
                                         "connection refused)"},
                         ssl={"error": "the module ran out of time"})
    html = page(web, scan_job(org, result))
    whois = section(html, "whois")
    assert "is-module-failed" in whois
    assert text(whois) == ("Registration data (WHOIS) ✗ Failed This check could not be "
                           "completed. No WHOIS server answered (whois.example: connection "
                           "refused)")
    assert "This check could not be completed. The module ran out of time." in text(
        section(html, "ssl"))
    assert "✓ Done" in text(section(html, "dns"))
    assert 'class="is-toc-failed">SSL/TLS certificate <span class="is-toc-note">(failed)' in html


def test_a_clean_scan_scores_low(web, org):
    dns = copy.deepcopy(MODULES["dns"])
    for part in ("spf", "dmarc", "caa"):
        dns[part]["issues"] = []
    dns["caa"]["records"] = [{"flags": 0, "tag": "issue", "value": "letsencrypt.org"}]
    dns["caa"]["issuers"] = ["letsencrypt.org"]
    result = {**scan_result("dns", dns=dns), "findings": [], "summary": summarise([])}
    html = page(web, scan_job(org, result))
    assert "Low risk" in html and 'class="is-risk is-risk-low"' in html
    assert "No findings: nothing this scan looks for was wrong." in html
    verdicts = text(section(html, "dns"))
    assert "CAA ✓ Pass 0 issue \"letsencrypt.org\" Only letsencrypt.org may issue" in verdicts


@pytest.mark.parametrize("score, level, words", [(0, "low", "Low risk"), (19, "low", "Low risk"),
                                                  (20, "medium", "Medium risk"),
                                                  (49, "medium", "Medium risk"),
                                                  (50, "high", "High risk"),
                                                  (100, "high", "High risk")])
def test_risk_words(score, level, words):
    risk = risk_of(score)
    assert (risk.level, risk.words) == (level, words)


def test_an_odd_result_still_renders(web, org):
    result = {"scanType": "comprehensive", "summary": [], "findings": [None, {"severity": "x"},
                                                                        {"title": "Odd"}],
              "modules": {"dns": "weird", "ssl": {"certificate": "nope", "protocols": []},
                          "ports": [1, {"port": "x"}], "whois": {"found": False},
                          "subdomains": None, "technologies": [{"version": "1"}],
                          "vulnerabilities": {"error": None}}}
    words = text(page(web, scan_job(org, result)))
    # Stored results are checked against the schema; one that no longer fits it (stored
    # by an older version) is shown as plain JSON with a note, never as a broken page.
    assert "does not match this version's result format" in words
    assert "Odd" in words


def test_evidence_is_escaped(web, org):
    result = scan_result("vulnerability")
    result["findings"][0]["evidence"] = '<script>alert("x")</script>'
    html = page(web, scan_job(org, result))
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


# --- while it runs, htmx, permissions, queries ---------------------------------------------


def test_a_running_scan_shows_the_live_progress_bar(web, org):
    job = scan_job(org, status=JobStatus.PROCESSING, result=None, completed_at=None,
                   progress_current=3, progress_total=8, progress_message="Scanning SSL...")
    html = page(web, job)
    assert 'aria-valuenow="38"' in html and "Scanning SSL..." in html
    assert 'hx-trigger="every 2s"' in html
    assert "is-report" not in html
    fragment = web.get(reverse("job-progress", args=[job.pk]), headers=HX)
    assert fragment.status_code == 200 and "Scanning SSL..." in fragment.content.decode()


def test_the_final_fragment_carries_the_report_and_stops_polling(web, org):
    job = scan_job(org)
    response = web.get(reverse("job-progress", args=[job.pk]), headers=HX)
    html = response.content.decode()
    assert response.status_code == 286
    assert html.lstrip().startswith('<section id="job-live"') and "<html" not in html
    assert 'id="is-ssl"' in html and "Risk score" in html
    plain = web.get(reverse("job-progress", args=[job.pk]))
    assert plain.status_code == 302 and plain["Location"] == reverse("job-detail", args=[job.pk])


def test_a_failed_scan_shows_the_error_not_a_report(web, org):
    job = scan_job(org, status=JobStatus.FAILED, result=None, error_code="TARGET_NOT_ALLOWED",
                   error_message="example.com resolves to 10.0.0.1, which is private; scans "
                                 "only reach public addresses.")
    html = page(web, job)
    assert "The target is not allowed" in html and "is-report" not in html


@pytest.mark.parametrize("name, headers", [("job-detail", {}), ("job-progress", HX)])
def test_another_organizations_scan_is_404(web, other_org, name, headers):
    theirs = scan_job(other_org)
    assert web.get(reverse(name, args=[theirs.pk]), headers=headers).status_code == 404


def test_the_page_keeps_queries_few(web, org, django_assert_max_num_queries):
    job = scan_job(org)
    for url, headers in [(reverse("job-detail", args=[job.pk]), {}),
                         (reverse("job-progress", args=[job.pk]), HX)]:
        with django_assert_max_num_queries(7, info=url):
            assert web.get(url, headers=headers).status_code in (200, 286)


# --- the form --------------------------------------------------------------------------------


def test_new_scan_form(web):
    html = web.get(reverse("job-new", args=["infra_scan"])).content.decode()
    assert '<input type="text" id="field-domain" name="domain"' in html
    options = re.findall(r'<option value="(\w+)"( selected)?>',
                         re.search(r'<select id="field-type".*?</select>', html, re.S).group(0))
    assert [o[0] for o in options] == ["comprehensive", "subdomains", "ssl", "dns",
                                       "technologies", "whois", "vulnerability", "ports"]
    assert options[0][1] == " selected"
    assert '<textarea id="field-ports" name="ports"' in html
    assert "One per line, or separated by commas." in html


def test_new_scan_form_starts_a_port_scan_with_ranges(web, org):
    response = web.post(reverse("job-new", args=["infra_scan"]),
                        {"domain": "Example.COM", "type": "ports", "ports": "443, 8000-8100",
                         "sslPort": "443", "httpPort": "80"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job-detail",
                                                                           args=[job.pk])
    assert job.type == "infra_scan" and job.target == "example.com"
    assert job.params["ports"] == [443, "8000-8100"] and job.params["type"] == "ports"


def test_new_scan_form_refuses_a_forbidden_literal(web, org, settings):
    settings.ALLOWED_TARGET_NETWORKS = []
    response = web.post(reverse("job-new", args=["infra_scan"]), {"domain": "0x7f.1"})
    html = response.content.decode()
    assert response.status_code == 200 and "The job was not started" in html
    assert "127.0.0.1 is" in html and not Job.objects.exists()
