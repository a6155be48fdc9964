"""The sections of the result page that are not tables: DNS records and mail policies,
the TLS certificate and protocol versions, the WHOIS registration, and what the
vulnerability checks found. Each view is built from the typed result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from jobs.net.tls import PROTOCOLS, UNSUPPORTED_BY_CLIENT
from jobs.operations.infra_scan import ssl, whois
from jobs.operations.infra_scan.dns import RECORD_TYPES
from jobs.operations.infra_scan.findings import SEVERITIES, severity_rank
from jobs.operations.infra_scan.result import (
    Caa,
    CaaCheck,
    Certificate,
    Dmarc,
    Dns,
    Finding,
    Issue,
    Judged,
    Mx,
    Soa,
    Spf,
    Ssl,
    Whois,
)


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


@dataclass
class IssueView:
    issue: Issue

    @property
    def severity(self) -> str:
        return self.issue.severity

    @property
    def severity_label(self) -> str:
        return self.issue.severity.capitalize()

    @property
    def title(self) -> str:
        return self.issue.title


def worst_tone(issues: list[Issue]) -> str:
    rank = min((severity_rank(i.severity) for i in issues), default=len(SEVERITIES))
    return "bad" if rank <= 1 else "warn" if rank <= 3 else "ok"


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _moment(value: str | None) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# --- dns ------------------------------------------------------------------------------------


@dataclass
class RecordRow:
    type: str
    values: list[str]


@dataclass
class Verdict:
    name: str
    check: Check
    record: str
    details: list[str]
    issues: list[IssueView]


@dataclass
class DnsView:
    rows: list[RecordRow]
    verdicts: list[Verdict]


def record_text(value: str | Mx | Soa | Caa) -> str:
    """One record as a zone file writes it."""
    if isinstance(value, Mx):
        return f"{value.preference} {value.exchange}"
    if isinstance(value, Caa):
        return f'{value.flags} {value.tag} "{value.value}"'
    if isinstance(value, Soa):
        return " ".join(str(v) for v in value.model_dump().values() if v is not None)
    return value


def dns_view(data: Dns) -> DnsView:
    rows = []
    for rtype in RECORD_TYPES:
        value = getattr(data.records, rtype)
        values = value if isinstance(value, list) else [] if value is None else [value]
        rows.append(RecordRow(rtype, [record_text(v) for v in values]))
    verdicts = [_spf_verdict(data.spf), _dmarc_verdict(data.dmarc), _caa_verdict(data.caa)]
    return DnsView(rows, verdicts)


def _verdict(name: str, data: Judged | CaaCheck, present: bool, details: list[str],
             record: str = "") -> Verdict:  # fmt: skip
    issues = sorted(data.issues, key=lambda i: severity_rank(i.severity))
    if data.error:
        check = Check(name, "unknown", "Not checked", data.error)
    elif not present:
        check = Check(name, worst_tone(issues) if issues else "warn", "Missing")
    else:
        tone = worst_tone(issues)
        check = Check(name, tone, {"ok": "Pass", "warn": "Weak", "bad": "Fail"}[tone])
    return Verdict(name, check, record, details if present else [],
                   [IssueView(i) for i in issues])


def _spf_verdict(spf: Spf) -> Verdict:
    details = []
    if spf.all:
        details.append(f"Ends with {spf.all}")
    elif spf.record:
        details.append("No “all” mechanism")
    if spf.lookups is not None:
        details.append(f"{plural(spf.lookups, 'DNS lookup')}, counting includes (the limit "
                       "is 10)")
    return _verdict("SPF", spf, bool(spf.record), details, spf.record or "")


def _dmarc_verdict(dmarc: Dmarc) -> Verdict:
    details = []
    if dmarc.policy:
        details.append(f"Policy: {dmarc.policy}")
    if dmarc.pct is not None and dmarc.pct < 100:
        details.append(f"Applies to {dmarc.pct}% of mail")
    reports = dmarc.rua or []
    details.append(f"Reports to {', '.join(reports)}" if reports else "No aggregate reports")
    return _verdict("DMARC", dmarc, bool(dmarc.record), details, dmarc.record or "")


def _caa_verdict(caa: CaaCheck) -> Verdict:
    details = [f"Only {', '.join(caa.issuers)} may issue certificates" if caa.issuers
               else "No issuer named"]
    record = "; ".join(record_text(e) for e in caa.records)
    return _verdict("CAA", caa, bool(caa.records), details, record)


# --- ssl ------------------------------------------------------------------------------------


@dataclass
class ProtocolRow:
    version: str
    check: Check


@dataclass
class CertificateView:
    cert: Certificate
    not_before: dt.datetime | None
    not_after: dt.datetime | None
    validity: Check
    checks: list[Check]
    key: str


@dataclass
class SslView:
    endpoint: str
    negotiated: str
    cipher: str
    certificate: CertificateView | None
    protocols: list[ProtocolRow]
    untestable: bool


def ssl_view(data: Ssl) -> SslView:
    endpoint = f"{data.host}:{data.port}"
    if data.address and data.address != data.host:
        endpoint += f" ({data.address})"
    protocols = protocol_rows(data.protocols)
    return SslView(endpoint=endpoint, negotiated=data.negotiatedProtocol or "",
                   cipher=data.cipher or "",
                   certificate=certificate_view(data.certificate) if data.certificate else None,
                   protocols=protocols,
                   untestable=any(r.check.text == "Not testable here" for r in protocols))


def protocol_rows(protocols: dict[str, bool | str]) -> list[ProtocolRow]:
    order = [v for v in PROTOCOLS if v in protocols] + sorted(
        v for v in protocols if v not in PROTOCOLS)
    return [ProtocolRow(version, protocol_check(version, protocols[version])) for version in order]


def protocol_check(version: str, state: bool | str) -> Check:
    old = version in ssl.OLD_VERSIONS or version not in PROTOCOLS  # SSLv2/v3 are older still
    if state is True:
        return Check(version, "bad", "Accepted (outdated)") if old else Check(
            version, "ok", "Accepted")
    if state is False:
        return Check(version, "ok" if old else "neutral", "Refused")
    if state == UNSUPPORTED_BY_CLIENT:
        return Check(version, "unknown", "Not testable here")
    return Check(version, "unknown", str(state) or "Unknown")


def certificate_view(cert: Certificate) -> CertificateView:
    key = " ".join(p for p in (cert.keyType, f"{cert.keySize} bits" if cert.keySize else "") if p)
    return CertificateView(cert=cert, not_before=_moment(cert.notBefore),
                           not_after=_moment(cert.notAfter),
                           validity=validity_check(cert.daysLeft),
                           checks=certificate_checks(cert), key=key)


def validity_check(days_left: int) -> Check:
    if days_left < 0:
        return Check("Validity", "bad", f"Expired {plural(-days_left, 'day')} ago")
    tone = "warn" if days_left <= ssl.EXPIRY_WARNING_DAYS else "ok"
    return Check("Validity", tone, f"{plural(days_left, 'day')} left")


def certificate_checks(cert: Certificate) -> list[Check]:
    return [
        Check("Chain of trust", *_yes_no(cert.chainValid, ("ok", "Trusted"),
                                         ("bad", "Not trusted")), note=cert.chainError or ""),
        Check("Self-signed", *_yes_no(cert.selfSigned, ("bad", "Yes"), ("ok", "No"))),
        Check("Matches the host name", *_yes_no(cert.hostnameMatch, ("ok", "Yes"),
                                                ("bad", "No"))),
    ]


def _yes_no(value: bool | None, yes: tuple[str, str], no: tuple[str, str]) -> tuple[str, str]:
    if value is None:
        return ("unknown", "Not checked")
    return yes if value else no


# --- whois ------------------------------------------------------------------------------------


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
    rdap: str = ""


WHOIS_TEXT = (("registrar", "Registrar"), ("registrarIanaId", "Registrar IANA ID"),
              ("registrantName", "Registrant"), ("registrantOrganization", "Organization"),
              ("registrantEmail", "Registrant e-mail"), ("registrantCountry", "Country"),
              ("dnssec", "DNSSEC"))  # fmt: skip
WHOIS_DATES = (("creationDate", "Registered"), ("updatedDate", "Last updated"),
               ("expiryDate", "Expires"))


def whois_view(data: Whois, now: dt.datetime | None = None) -> WhoisView:
    now = now or timezone.now()
    facts = [Fact(label, value=getattr(data, key) or "") for key, label in WHOIS_TEXT[:2]]
    for key, label in WHOIS_DATES:
        value = getattr(data, key) or ""
        moment = _moment(value) if value else None
        fact = Fact(label, value=value, moment=moment)
        if key == "expiryDate" and moment:
            fact.check = expiry_check(moment, now)
        facts.append(fact)
    facts += [Fact(label, value=getattr(data, key) or "") for key, label in WHOIS_TEXT[2:]]
    facts.append(Fact("Name servers", values=data.nameServers, mono=True))
    facts.append(Fact("Status", values=data.statuses, mono=True))
    return WhoisView(query=data.query, found=data.found,
                     facts=[f for f in facts if f.value or f.values],
                     servers=data.servers or ([data.server] if data.server else []),
                     errors=data.errors, raw=data.raw, rdap=_rdap_note(data))


def _rdap_note(data: Whois) -> str:
    rdap = data.rdap
    if rdap is None:
        return ""
    if not rdap.found:
        return f"RDAP: {rdap.error or 'no answer'}"
    filled = f"; it filled {', '.join(rdap.filled)}" if rdap.filled else ""
    return f"RDAP answered from {rdap.url}{filled}"


def expiry_check(moment: dt.datetime, now: dt.datetime) -> Check:
    if moment < now:
        return Check("Expiry", "bad", f"expired {timesince(moment, now)} ago")
    warning = dt.timedelta(days=whois.EXPIRY_WARNING_DAYS)
    return Check("Expiry", "warn" if moment - now <= warning else "ok",
                 f"in {timeuntil(moment, now)}")


# --- vulnerability checks -------------------------------------------------------------------


@dataclass
class VulnerabilityView:
    """What the checks found, counted: the findings themselves are listed once, above."""

    found: int
    listed_here: int   # credited to this module in the findings list
    counts: list[tuple[str, int]]


def vulnerability_view(own: list[Finding], findings: list[Finding]) -> VulnerabilityView:
    counts = [(s.capitalize(), sum(1 for f in own if f.severity == s)) for s in SEVERITIES]
    module = own[0].module if own else ""
    return VulnerabilityView(found=len(own),
                             listed_here=sum(1 for f in findings if module and f.module == module),
                             counts=[(label, n) for label, n in counts if n])
