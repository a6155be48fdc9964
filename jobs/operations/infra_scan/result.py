"""The ``infra_scan`` result document, exactly as the published API gives it.

Each module's section is present only when the scan type ran it; a module that failed
carries ``{"error": "..."}`` (``ModuleError``) instead of its data, and the scan still
completes. The runner validates every result against these models before storing it,
and the result page reads them as attributes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jobs.net.tls import UNSUPPORTED_BY_CLIENT

Severity = Literal["critical", "high", "medium", "low", "info"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModuleError(Strict):
    error: str


class Issue(Strict):
    """A finding as a module's own data carries it (the module is implied)."""

    id: str
    severity: Severity
    title: str
    description: str
    evidence: str = ""


class Finding(Issue):
    module: str


# --- dns ------------------------------------------------------------------------------------


class Mx(Strict):
    preference: int
    exchange: str


class Soa(Strict):
    mname: str
    rname: str | None = None
    serial: int | None = None
    refresh: int | None = None
    retry: int | None = None
    expire: int | None = None
    minimum: int | None = None


class Caa(Strict):
    flags: int
    tag: str
    value: str


class Records(Strict):
    A: list[str]
    AAAA: list[str]
    CNAME: list[str]
    MX: list[Mx]
    NS: list[str]
    TXT: list[str]
    SOA: Soa | None
    CAA: list[Caa]


class Judged(Strict):
    """A policy record judged; ``error`` when DNS gave no usable answer."""

    record: str | None = None
    valid: bool | None = None
    issues: list[Issue] = Field(default_factory=list)
    error: str | None = None


class Spf(Judged):
    mechanisms: list[str] | None = None
    all: str | None = None
    lookups: int | None = Field(None, description="DNS lookups, counting nested includes "
                                                  "(RFC 7208 section 4.6.4; the limit is 10).")


class Dmarc(Judged):
    policy: str | None = None
    subdomainPolicy: str | None = None
    pct: int | None = None
    rua: list[str] | None = None
    ruf: list[str] | None = None
    adkim: str | None = None
    aspf: str | None = None


class CaaCheck(Strict):
    records: list[Caa] = Field(default_factory=list)
    issuers: list[str] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)
    record: str | None = None
    error: str | None = None


class Dns(Strict):
    records: Records
    spf: Spf
    dmarc: Dmarc
    caa: CaaCheck


# --- subdomains, ssl, ports, technologies --------------------------------------------------


class Subdomain(Strict):
    name: str
    addresses: list[str]
    source: Literal["wordlist", "certificate"]


class Certificate(Strict):
    subject: str
    issuer: str
    subjectCommonName: str | None
    issuerCommonName: str | None
    notBefore: str
    notAfter: str
    daysLeft: int
    sans: list[str]
    keyType: str
    keySize: int | None
    signatureAlgorithm: str
    serialNumber: str
    sha256: str
    selfSigned: bool
    chainValid: bool | None
    chainError: str | None
    hostnameMatch: bool | None
    chain: list[str]


class Ssl(Strict):
    host: str
    address: str
    port: int
    protocols: dict[str, bool | Literal[UNSUPPORTED_BY_CLIENT]]  # type: ignore[valid-type]
    negotiatedProtocol: str | None
    cipher: str | None
    certificate: Certificate | None


class Port(Strict):
    port: int
    protocol: str
    state: str
    service: str | None
    banner: str | None


class Technology(Strict):
    name: str
    version: str | None
    category: str
    evidence: str


# --- whois ------------------------------------------------------------------------------------


class RdapStatus(Strict):
    """What RDAP did beside WHOIS (our addition): asked where, found or why not."""

    configured: bool = Field(description="False: no RDAP_SERVER or RDAP_BOOTSTRAP_FILE.")
    found: bool = False
    server: str | None = Field(None, description="The RDAP base URL that answered.")
    url: str | None = None
    error: str | None = Field(None, description="Why RDAP gave no answer (not configured, "
                                                "not found, refused, ...).")
    filled: list[str] = Field(default_factory=list,
                              description="Fields of this section whose values came from RDAP.")


class Whois(Strict):
    query: str
    server: str
    servers: list[str]
    found: bool
    registrar: str | None = None
    registrarIanaId: str | None = None
    creationDate: str | None = None
    updatedDate: str | None = None
    expiryDate: str | None = None
    registrantName: str | None = None
    registrantOrganization: str | None = None
    registrantEmail: str | None = None
    registrantCountry: str | None = None
    dnssec: str | None = None
    nameServers: list[str] = Field(default_factory=list)
    statuses: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    raw: str = ""
    rdap: RdapStatus | None = None


# --- the document -------------------------------------------------------------------------------


class Modules(Strict):
    """One entry per module that ran (its data, or ``{"error": ...}``)."""

    dns: Dns | ModuleError | None = None
    subdomains: list[Subdomain] | ModuleError | None = None
    ssl: Ssl | ModuleError | None = None
    ports: list[Port] | ModuleError | None = None
    technologies: list[Technology] | ModuleError | None = None
    whois: Whois | ModuleError | None = None
    vulnerabilities: list[Finding] | ModuleError | None = None


class Summary(Strict):
    findingsBySeverity: dict[Severity, int]
    riskScore: int = Field(ge=0, le=100)


class Result(Strict):
    domain: str
    scanType: str
    startedAt: str
    finishedAt: str
    modules: Modules
    findings: list[Finding]
    summary: Summary
