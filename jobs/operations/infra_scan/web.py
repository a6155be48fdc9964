"""The infrastructure-scan result page: the risk and the findings first, then one section
per module that ran (DNS, subdomains, TLS, ports, technologies, WHOIS, vulnerability
checks).

It reads the typed result (``result.Result``, validated before it reaches a page) and
takes what the scan knows from the scan's own modules: severities, module order,
record types, finding ids. The section views are in ``web_sections.py``; the tables
(ports, subdomains, technologies, findings), which filter, sort and export as CSV and
JSON, are in ``web_tables.py``. Nothing queries the database: the job is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobs.models import Job
from jobs.operations.infra_scan import web_sections, web_tables
from jobs.operations.infra_scan.findings import SEVERITIES, severity_rank
from jobs.operations.infra_scan.result import Finding, ModuleError, Result
from jobs.operations.infra_scan.scan import MODULES, SCAN_TYPES
from jobs.web import tables

SEVERITY_LABELS = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low",
                   "info": "Info"}
# (lowest score, level, words): the first row the score reaches wins.
RISK_LEVELS = ((50, "high", "High risk"), (20, "medium", "Medium risk"), (0, "low", "Low risk"))
MODULE_TITLES = {
    "dns": "DNS records",
    "subdomains": "Subdomains",
    "ssl": "SSL/TLS certificate",
    "ports": "Open ports",
    "technologies": "Technologies",
    "whois": "Registration data (WHOIS)",
    "vulnerability": "Vulnerability checks",
}
SCAN_TYPE_LABELS = {"comprehensive": "Comprehensive (every check)", "ssl": "SSL/TLS",
                    "ports": "Open ports", "vulnerability": "Vulnerability checks"}
assert set(MODULE_TITLES) == set(MODULES) and set(SCAN_TYPE_LABELS) <= set(SCAN_TYPES)


def scan_type_label(scan_type: str) -> str:
    module = scan_type if scan_type in MODULE_TITLES else ""
    return SCAN_TYPE_LABELS.get(scan_type) or MODULE_TITLES.get(module) or scan_type


def severity_label(severity: str) -> str:
    return SEVERITY_LABELS.get(severity, severity.capitalize())


@dataclass
class FindingView:
    """One finding as the page shows it, with the section of the module that found it."""

    finding: Finding
    anchor: str = ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.finding, name)

    @property
    def severity_label(self) -> str:
        return severity_label(self.finding.severity)

    @property
    def module_title(self) -> str:
        return MODULE_TITLES.get(self.finding.module, self.finding.module)


@dataclass
class Risk:
    score: int
    level: str
    words: str

    @property
    def meter(self) -> int:
        return max(0, min(100, self.score))


@dataclass
class SeverityCount:
    severity: str
    label: str
    count: int


def risk_of(score: int) -> Risk:
    level, words = next((lvl, words) for low, lvl, words in RISK_LEVELS if score >= low)
    return Risk(score, level, words)


@dataclass
class Section:
    name: str           # the module's name (a finding's "module")
    key: str            # its entry in the result's modules
    title: str
    template: str
    error: str = ""
    view: Any = None
    findings: int = 0

    @property
    def anchor(self) -> str:
        return f"is-{self.key}"

    @property
    def failed(self) -> bool:
        return bool(self.error)


@dataclass
class InfraReport:
    domain: str
    scan_type: str
    risk: Risk
    counts: list[SeverityCount]
    findings: list[FindingView]
    sections: list[Section]
    ports_scanned: str

    @property
    def total(self) -> int:
        return len(self.findings)


def infra_report(job: Job, result: Result, views: dict[str, tables.TableView]) -> InfraReport:
    ran = {name: getattr(result.modules, m.key) for name, m in MODULES.items()
           if getattr(result.modules, m.key) is not None}  # fmt: skip
    ordered = sorted(result.findings, key=lambda f: severity_rank(f.severity))  # stable
    findings = [FindingView(f, f"is-{MODULES[f.module].key}" if f.module in ran else "")
                for f in ordered]  # fmt: skip
    counts = [SeverityCount(s, SEVERITY_LABELS[s], result.summary.findingsBySeverity.get(s, 0))
              for s in SEVERITIES]  # fmt: skip
    return InfraReport(
        domain=result.domain or job.target,
        scan_type=scan_type_label(result.scanType),
        risk=risk_of(result.summary.riskScore), counts=counts, findings=findings,
        sections=[section_of(name, value, result, views) for name, value in ran.items()],
        ports_scanned=ports_text(job.params.get("ports")) if "ports" in ran else "",
    )


def ports_text(spec: Any) -> str:
    items = [str(p) for p in spec] if isinstance(spec, list) else []
    return ", ".join(items) if items else "the common-ports list"


def section_of(name: str, value: Any, result: Result, views: dict) -> Section:
    key = MODULES[name].key
    section = Section(name, key, MODULE_TITLES[name], f"operations/infra_scan/_{key}.html",
                      findings=sum(1 for f in result.findings if f.module == name))
    if isinstance(value, ModuleError):
        section.error = module_error(value.error)
        return section
    builders = {
        "dns": lambda: web_sections.dns_view(value),
        "ssl": lambda: web_sections.ssl_view(value),
        "whois": lambda: web_sections.whois_view(value),
        "ports": lambda: web_tables.ports_view(value, views["ports"]),
        "vulnerability": lambda: web_sections.vulnerability_view(value, result.findings),
    }
    section.view = builders.get(name, lambda: views.get(name))()
    return section


def module_error(error: str) -> str:
    text = error.strip() or "no reason was given"
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", ")")) else ".")


# --- what the dashboard asks of this operation ---------------------------------------------


def result_context(job: Job, result: Result, request) -> dict[str, Any]:
    views = tables.views_for(job, result, web_tables.TABLES, request.GET)
    return {"infra": infra_report(job, result, views), "tables": views}


def result_summary(result: Result) -> str:
    findings = len(result.findings)
    return (f"Risk {result.summary.riskScore}/100, "
            f"{findings} finding{'' if findings == 1 else 's'}")
