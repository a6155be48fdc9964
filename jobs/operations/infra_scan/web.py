"""The infrastructure-scan result: the risk and the findings first, then one section per
module that ran (DNS, subdomains, TLS, ports, technologies, WHOIS, vulnerability checks).

Everything here reads ``job.result`` defensively: a result may come from an older
version of the operation, or be partial, so an odd or missing value is shown as "—" and
never breaks the page. Nothing queries the database: the job is already loaded.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from jobs.models import Job

JOB_TYPE = "infra_scan"

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_LABELS = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low",
                   "info": "Info"}
# (lowest score, level, words): the first row the score reaches wins.
RISK_LEVELS = ((50, "high", "High risk"), (20, "medium", "Medium risk"), (0, "low", "Low risk"))

SCAN_TYPES = {
    "comprehensive": "Comprehensive (every check)",
    "dns": "DNS records",
    "subdomains": "Subdomains",
    "ssl": "SSL/TLS",
    "ports": "Open ports",
    "technologies": "Technologies",
    "whois": "Registration data (WHOIS)",
    "vulnerability": "Vulnerability checks",
}


@dataclass(frozen=True)
class ModuleInfo:
    key: str          # the key in result["modules"]
    name: str         # the name in a finding's "module"
    title: str


MODULES = (
    ModuleInfo("dns", "dns", "DNS records"),
    ModuleInfo("subdomains", "subdomains", "Subdomains"),
    ModuleInfo("ssl", "ssl", "SSL/TLS certificate"),
    ModuleInfo("ports", "ports", "Open ports"),
    ModuleInfo("technologies", "technologies", "Technologies"),
    ModuleInfo("whois", "whois", "Registration data (WHOIS)"),
    ModuleInfo("vulnerabilities", "vulnerability", "Vulnerability checks"),
)
MODULE_BY_NAME = {m.name: m for m in MODULES}

RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "CAA")
OLD_PROTOCOLS = {"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"}
PROTOCOL_ORDER = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
UNSUPPORTED_BY_CLIENT = "unsupported_by_client"
SUBDOMAIN_SOURCES = {"wordlist": "Common name", "certificate": "Certificate"}
CATEGORY_LABELS = {
    "cms": "CMS",
    "cdn": "CDN",
    "javascript-library": "JavaScript library",
    "javascript-framework": "JavaScript framework",
    "operating-system": "Operating system",
}
EXPIRY_WARNING_DAYS = 30


# --- shared pieces ------------------------------------------------------------------------


@dataclass
class Finding:
    id: str
    severity: str
    title: str
    description: str
    evidence: str
    module: str
    anchor: str = ""  # the section of the module that found it, when the page has one

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity, self.severity.capitalize() or "Unknown")

    @property
    def module_info(self) -> ModuleInfo | None:
        return MODULE_BY_NAME.get(self.module)

    @property
    def module_title(self) -> str:
        info = self.module_info
        return info.title if info else self.module


@dataclass
class Check:
    """A yes/no verdict shown as a word and a colour: tone is ok, warn, bad or unknown."""

    label: str
    tone: str
    text: str
    note: str = ""

    @property
    def mark(self) -> str:
        return {"ok": "✓", "warn": "!", "bad": "✗", "neutral": "–"}.get(self.tone, "?")


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _moment(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def finding_of(raw: Any, module: str = "") -> Finding | None:
    raw = _dict(raw)
    if not raw.get("title") and not raw.get("id"):
        return None
    severity = _text(raw.get("severity")).lower()
    return Finding(id=_text(raw.get("id")), severity=severity,
                   title=_text(raw.get("title")) or _text(raw.get("id")),
                   description=_text(raw.get("description")),
                   evidence=_text(raw.get("evidence")),
                   module=_text(raw.get("module")) or module)


def findings_of(items: Any, module: str = "") -> list[Finding]:
    found = [f for f in (finding_of(item, module) for item in _list(items)) if f]
    return sorted(found, key=lambda f: severity_rank(f.severity))  # stable: ties keep order


def worst_tone(findings: list[Finding]) -> str:
    rank = min((severity_rank(f.severity) for f in findings), default=len(SEVERITIES))
    return "bad" if rank <= 1 else "warn" if rank <= 3 else "ok"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


# --- the summary ------------------------------------------------------------------------------


@dataclass
class Risk:
    score: int | None
    level: str
    words: str

    @property
    def meter(self) -> int:
        return max(0, min(100, self.score or 0))


@dataclass
class SeverityCount:
    severity: str
    label: str
    count: int


def risk_of(summary: dict) -> Risk:
    score = _int(summary.get("riskScore"))
    if score is None:
        return Risk(None, "unknown", "Not scored")
    level, words = next((lvl, words) for low, lvl, words in RISK_LEVELS if score >= low)
    return Risk(score, level, words)


def severity_counts(summary: dict, findings: list[Finding]) -> list[SeverityCount]:
    given = _dict(summary.get("findingsBySeverity"))
    counts = []
    for severity in SEVERITIES:
        count = _int(given.get(severity))
        if count is None:
            count = sum(1 for f in findings if f.severity == severity)
        counts.append(SeverityCount(severity, SEVERITY_LABELS[severity], count))
    return counts


# --- module: dns ----------------------------------------------------------------------------


@dataclass
class RecordRow:
    type: str
    values: list[str]


@dataclass
class DnsView:
    rows: list[RecordRow]
    verdicts: list[Verdict]


@dataclass
class Verdict:
    name: str
    check: Check
    record: str
    details: list[str]
    issues: list[Finding]


def record_text(rtype: str, value: Any) -> str:
    """One record as a zone file writes it."""
    if isinstance(value, dict):
        if rtype == "MX":
            return f"{_text(value.get('preference'))} {_text(value.get('exchange'))}".strip()
        if rtype == "CAA":
            flags, tag = _text(value.get("flags")), _text(value.get("tag"))
            return f'{flags} {tag} "{_text(value.get("value"))}"'
        if rtype == "SOA":
            keys = ("mname", "rname", "serial", "refresh", "retry", "expire", "minimum")
            return " ".join(_text(value.get(k)) for k in keys if k in value)
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    return _text(value)


def dns_view(data: dict) -> DnsView:
    records = _dict(data.get("records"))
    types = [t for t in RECORD_TYPES if t in records]
    types += [t for t in records if t not in RECORD_TYPES]
    rows = []
    for rtype in types:
        value = records[rtype]
        values = value if isinstance(value, list) else [] if value is None else [value]
        rows.append(RecordRow(rtype, [record_text(rtype, v) for v in values]))
    verdicts = [_spf_verdict(_dict(data.get("spf"))), _dmarc_verdict(_dict(data.get("dmarc")))]
    if "caa" in data:
        verdicts.append(_caa_verdict(_dict(data.get("caa"))))
    return DnsView(rows, verdicts)


def _verdict(name: str, data: dict, present: bool, details: list[str],
             record: str = "") -> Verdict:
    issues = findings_of(data.get("issues"), "dns")
    if data.get("error"):
        check = Check(name, "unknown", "Not checked", _text(data.get("error")))
    elif not data:
        check = Check(name, "unknown", "Not checked")
    elif not present:
        check = Check(name, worst_tone(issues) if issues else "warn", "Missing")
    else:
        tone = worst_tone(issues)
        check = Check(name, tone, {"ok": "Pass", "warn": "Weak", "bad": "Fail"}[tone])
    return Verdict(name, check, record, details if present else [], issues)


def _spf_verdict(spf: dict) -> Verdict:
    record = _text(spf.get("record"))
    details = []
    if spf.get("all"):
        details.append(f"Ends with {spf['all']}")
    elif record:
        details.append("No “all” mechanism")
    lookups = _int(spf.get("lookups"))
    if lookups is not None:
        details.append(f"{_plural(lookups, 'DNS lookup')} (the limit is 10)")
    return _verdict("SPF", spf, bool(record), details, record)


def _dmarc_verdict(dmarc: dict) -> Verdict:
    record = _text(dmarc.get("record"))
    details = []
    if dmarc.get("policy"):
        details.append(f"Policy: {dmarc['policy']}")
    pct = _int(dmarc.get("pct"))
    if pct is not None and pct < 100:
        details.append(f"Applies to {pct}% of mail")
    reports = [_text(u) for u in _list(dmarc.get("rua"))]
    details.append(f"Reports to {', '.join(reports)}" if reports else "No aggregate reports")
    return _verdict("DMARC", dmarc, bool(record), details, record)


def _caa_verdict(caa: dict) -> Verdict:
    entries = _list(caa.get("records"))
    issuers = [_text(i) for i in _list(caa.get("issuers")) if _text(i)]
    details = [f"Only {', '.join(issuers)} may issue certificates" if issuers
               else "No issuer named"]
    record = "; ".join(record_text("CAA", e) for e in entries)
    return _verdict("CAA", caa, bool(entries), details, record)


# --- module: subdomains -------------------------------------------------------------------


@dataclass
class Address:
    text: str
    public: bool


@dataclass
class SubdomainRow:
    name: str
    addresses: list[Address]
    source: str


def is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True  # not an address: nothing to warn about
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_global


def subdomain_rows(data: list) -> list[SubdomainRow]:
    rows = []
    for entry in map(_dict, data):
        if not entry.get("name"):
            continue
        addresses = [Address(_text(a), is_public(_text(a))) for a in _list(entry.get("addresses"))]
        source = _text(entry.get("source"))
        rows.append(SubdomainRow(_text(entry["name"]), addresses,
                                 SUBDOMAIN_SOURCES.get(source, source.capitalize())))
    return rows


# --- module: ssl --------------------------------------------------------------------------


@dataclass
class ProtocolRow:
    version: str
    check: Check


@dataclass
class CertificateView:
    subject: str
    subject_cn: str
    issuer: str
    issuer_cn: str
    sans: list[str]
    not_before: dt.datetime | None
    not_after: dt.datetime | None
    validity: Check
    checks: list[Check]
    key: str
    signature: str
    serial: str
    sha256: str
    chain: list[str]


@dataclass
class SslView:
    endpoint: str
    negotiated: str
    cipher: str
    certificate: CertificateView | None
    protocols: list[ProtocolRow]
    untestable: bool


def ssl_view(data: dict) -> SslView:
    host, port = _text(data.get("host")), _text(data.get("port"))
    address = _text(data.get("address"))
    endpoint = f"{host}:{port}" if port else host
    if address and address != host:
        endpoint += f" ({address})"
    cert = data.get("certificate")
    protocols = protocol_rows(_dict(data.get("protocols")))
    return SslView(endpoint=endpoint, negotiated=_text(data.get("negotiatedProtocol")),
                   cipher=_text(data.get("cipher")),
                   certificate=certificate_view(cert) if isinstance(cert, dict) else None,
                   protocols=protocols,
                   untestable=any(r.check.text == "Not testable here" for r in protocols))


def protocol_rows(protocols: dict) -> list[ProtocolRow]:
    order = [v for v in PROTOCOL_ORDER if v in protocols] + sorted(
        v for v in protocols if v not in PROTOCOL_ORDER)
    return [ProtocolRow(version, protocol_check(version, protocols[version])) for version in order]


def protocol_check(version: str, state: Any) -> Check:
    old = version in OLD_PROTOCOLS
    if state is True:
        return Check(version, "bad", "Accepted (outdated)") if old else Check(
            version, "ok", "Accepted")
    if state is False:
        return Check(version, "ok" if old else "neutral", "Refused")
    if state == UNSUPPORTED_BY_CLIENT:
        return Check(version, "unknown", "Not testable here")
    return Check(version, "unknown", _text(state) or "Unknown")


def certificate_view(cert: dict) -> CertificateView:
    key_size = _int(cert.get("keySize"))
    key = " ".join(p for p in (_text(cert.get("keyType")),
                               f"{key_size} bits" if key_size else "") if p)
    return CertificateView(
        subject=_text(cert.get("subject")), subject_cn=_text(cert.get("subjectCommonName")),
        issuer=_text(cert.get("issuer")), issuer_cn=_text(cert.get("issuerCommonName")),
        sans=[_text(s) for s in _list(cert.get("sans"))],
        not_before=_moment(cert.get("notBefore")), not_after=_moment(cert.get("notAfter")),
        validity=validity_check(_int(cert.get("daysLeft"))),
        checks=certificate_checks(cert), key=key,
        signature=_text(cert.get("signatureAlgorithm")), serial=_text(cert.get("serialNumber")),
        sha256=_text(cert.get("sha256")), chain=[_text(c) for c in _list(cert.get("chain"))])


def validity_check(days_left: int | None) -> Check:
    if days_left is None:
        return Check("Validity", "unknown", "Unknown")
    if days_left < 0:
        return Check("Validity", "bad", f"Expired {_plural(-days_left, 'day')} ago")
    tone = "warn" if days_left <= EXPIRY_WARNING_DAYS else "ok"
    return Check("Validity", tone, f"{_plural(days_left, 'day')} left")


def certificate_checks(cert: dict) -> list[Check]:
    chain = cert.get("chainValid")
    self_signed = cert.get("selfSigned")
    match = cert.get("hostnameMatch")
    return [
        Check("Chain of trust", *_yes_no(chain, ("ok", "Trusted"), ("bad", "Not trusted")),
              note=_text(cert.get("chainError"))),
        Check("Self-signed", *_yes_no(self_signed, ("bad", "Yes"), ("ok", "No"))),
        Check("Matches the host name", *_yes_no(match, ("ok", "Yes"), ("bad", "No"))),
    ]


def _yes_no(value: Any, yes: tuple[str, str], no: tuple[str, str]) -> tuple[str, str]:
    if value is True:
        return yes
    if value is False:
        return no
    return ("unknown", "Not checked")


# --- modules: ports, technologies, vulnerabilities ---------------------------------------------


@dataclass
class PortRow:
    port: str
    protocol: str
    service: str
    banner: str
    risk: Finding | None


@dataclass
class TechnologyRow:
    name: str
    version: str
    category: str
    evidence: str
    risk: Finding | None


def port_rows(data: list, findings: dict[str, Finding]) -> list[PortRow]:
    entries = sorted(map(_dict, data), key=lambda e: _int(e.get("port")) or 0)
    return [PortRow(port=_text(e.get("port")), protocol=_text(e.get("protocol")) or "tcp",
                    service=_text(e.get("service")), banner=_text(e.get("banner")),
                    risk=findings.get(f"exposed-{_text(e.get('service'))}-{_text(e.get('port'))}"))
            for e in entries if e.get("port") is not None]


def technology_rows(data: list, findings: dict[str, Finding]) -> list[TechnologyRow]:
    rows = []
    for entry in map(_dict, data):
        name = _text(entry.get("name"))
        if not name:
            continue
        category = _text(entry.get("category"))
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        rows.append(TechnologyRow(
            name=name, version=_text(entry.get("version")),
            category=CATEGORY_LABELS.get(category, category.replace("-", " ").capitalize()),
            evidence=_text(entry.get("evidence")), risk=findings.get(f"outdated-{slug}")))
    return rows


# --- module: whois --------------------------------------------------------------------------


@dataclass
class Fact:
    label: str
    value: str = ""
    values: list[str] = field(default_factory=list)
    moment: dt.datetime | None = None
    check: Check | None = None
    mono: bool = False


@dataclass
class WhoisView:
    query: str
    found: bool
    facts: list[Fact]
    servers: list[str]
    errors: list[str]
    raw: str


WHOIS_TEXT = (("registrar", "Registrar"), ("registrarIanaId", "Registrar IANA ID"),
              ("registrantName", "Registrant"), ("registrantOrganization", "Organization"),
              ("registrantEmail", "Registrant e-mail"), ("registrantCountry", "Country"),
              ("dnssec", "DNSSEC"))  # fmt: skip
WHOIS_DATES = (("creationDate", "Registered"), ("updatedDate", "Last updated"),
               ("expiryDate", "Expires"))


def whois_view(data: dict, now: dt.datetime | None = None) -> WhoisView:
    now = now or timezone.now()
    facts = [Fact(label, value=_text(data.get(key))) for key, label in WHOIS_TEXT[:2]]
    for key, label in WHOIS_DATES:
        moment = _moment(data.get(key)) if data.get(key) else None
        fact = Fact(label, value=_text(data.get(key)), moment=moment)
        if key == "expiryDate" and moment:
            fact.check = expiry_check(moment, now)
        facts.append(fact)
    facts += [Fact(label, value=_text(data.get(key))) for key, label in WHOIS_TEXT[2:]]
    facts.append(Fact("Name servers", values=[_text(n) for n in _list(data.get("nameServers"))],
                      mono=True))
    facts.append(Fact("Status", values=[_text(s) for s in _list(data.get("statuses"))],
                      mono=True))
    return WhoisView(query=_text(data.get("query")), found=data.get("found") is not False,
                     facts=[f for f in facts if f.value or f.values],
                     servers=[_text(s) for s in _list(data.get("servers"))]
                     or ([_text(data["server"])] if data.get("server") else []),
                     errors=[_text(e) for e in _list(data.get("errors"))],
                     raw=_text(data.get("raw")))


def expiry_check(moment: dt.datetime, now: dt.datetime) -> Check:
    if moment < now:
        return Check("Expiry", "bad", f"expired {timesince(moment, now)} ago")
    tone = "warn" if moment - now <= dt.timedelta(days=EXPIRY_WARNING_DAYS) else "ok"
    return Check("Expiry", tone, f"in {timeuntil(moment, now)}")


# --- the whole report ------------------------------------------------------------------------


@dataclass
class Section:
    info: ModuleInfo
    template: str
    error: str = ""
    view: Any = None
    findings: int = 0

    @property
    def anchor(self) -> str:
        return f"is-{self.info.key}"

    @property
    def failed(self) -> bool:
        return bool(self.error)


@dataclass
class InfraReport:
    domain: str
    scan_type: str
    risk: Risk
    counts: list[SeverityCount]
    findings: list[Finding]
    sections: list[Section]
    ports_scanned: str

    @property
    def total(self) -> int:
        return len(self.findings)


def infra_report(job: Job) -> InfraReport:
    result = _dict(job.result)
    summary = _dict(result.get("summary"))
    findings = findings_of(result.get("findings"))
    modules = _dict(result.get("modules"))
    scan_type = _text(result.get("scanType")) or _text(_dict(job.params).get("type"))
    for finding in findings:
        info = finding.module_info
        finding.anchor = f"is-{info.key}" if info and info.key in modules else ""
    return InfraReport(
        domain=_text(result.get("domain")) or job.target,
        scan_type=SCAN_TYPES.get(scan_type, scan_type),
        risk=risk_of(summary), counts=severity_counts(summary, findings), findings=findings,
        sections=[section_of(info, modules[info.key], findings)
                  for info in MODULES if info.key in modules],
        ports_scanned=ports_text(_dict(job.params).get("ports")) if "ports" in modules else "",
    )


def ports_text(spec: Any) -> str:
    items = [_text(p) for p in _list(spec)]
    return ", ".join(items) if items else "the common-ports list"


def section_of(info: ModuleInfo, value: Any, findings: list[Finding]) -> Section:
    section = Section(info, f"operations/infra_scan/_{info.key}.html",
                      findings=sum(1 for f in findings if f.module == info.name))
    if isinstance(value, dict) and "error" in value:
        section.error = module_error(value.get("error"))
        return section
    by_id = {f.id: f for f in findings}
    builders = {
        "dns": lambda: dns_view(_dict(value)),
        "subdomains": lambda: subdomain_rows(_list(value)),
        "ssl": lambda: ssl_view(_dict(value)),
        "ports": lambda: port_rows(_list(value), by_id),
        "technologies": lambda: technology_rows(_list(value), by_id),
        "whois": lambda: whois_view(_dict(value)),
        "vulnerabilities": lambda: findings_of(value, "vulnerability"),
    }
    section.view = builders[info.key]()
    return section


def module_error(error: Any) -> str:
    text = _text(error).strip() or "no reason was given"
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", ")")) else ".")


# --- what the dashboard asks of this operation ---------------------------------------------


def result_context(job: Job, result, request) -> dict[str, Any]:
    return {"infra": infra_report(job)}


def result_summary(result) -> str:
    findings = len(result.findings)
    return (f"Risk {result.summary.riskScore}/100, "
            f"{findings} finding{'' if findings == 1 else 's'}")
