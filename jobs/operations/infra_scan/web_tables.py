"""The result's tables: open ports, subdomains, technologies and findings. The shared
tables (``jobs.web.tables``) filter, search, sort, page and export them as CSV and JSON.

Open ports that all gave the same answer (a proxy or firewall accepting every port, see
``ports.crowd_of``) are one row here, with the ports it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs.net.policy import is_public
from jobs.operations.infra_scan.findings import exposed_service_id, outdated_id, severity_rank
from jobs.operations.infra_scan.ports import Crowd, crowd_of
from jobs.operations.infra_scan.result import Finding, ModuleError, Port, Result
from jobs.web.tables import Column, Table, TableView

SOURCE_LABELS = {"wordlist": "Common name", "certificate": "Certificate"}
CATEGORY_LABELS = {
    "cms": "CMS",
    "cdn": "CDN",
    "javascript-library": "JavaScript library",
    "javascript-framework": "JavaScript framework",
    "operating-system": "Operating system",
}


def _module(result: Result, key: str) -> list:
    value = getattr(result.modules, key)
    return [] if value is None or isinstance(value, ModuleError) else value


def _risk(finding: Finding | None) -> str:
    return f"{finding.severity.capitalize()}: {finding.title}" if finding else ""


# --- findings ----------------------------------------------------------------------------------


def finding_rows(result: Result) -> list[dict]:
    ordered = sorted(result.findings, key=lambda f: severity_rank(f.severity))
    return [{"severity": f.severity, "title": f.title, "module": f.module,
             "evidence": f.evidence, "description": f.description, "id": f.id}
            for f in ordered]  # fmt: skip


FINDINGS = Table("findings", "Findings", (
    Column("severity", "Severity", filter=True),
    Column("title", "Finding"),
    Column("module", "Found by", filter=True),
    Column("evidence", "Evidence", mono=True),
    Column("description", "Why it matters", sortable=False),
    Column("id", "ID", mono=True),
), rows=finding_rows, empty="No findings.", noun="finding")


# --- ports ---------------------------------------------------------------------------------------


def port_rows(result: Result) -> list[dict]:
    ports = sorted(_module(result, "ports"), key=lambda p: p.port)
    by_id = {f.id: f for f in result.findings}
    crowd = crowd_of(ports)
    crowded = set(crowd.ports) if crowd else set()
    rows = []
    for port in ports:
        if port.port in crowded:
            if port.port == crowd.ports[0]:
                rows.append(_crowd_row(port, crowd))
            continue
        rows.append({"port": port.port, "protocol": port.protocol, "service": port.service,
                     "banner": port.banner,
                     "risk": _risk(by_id.get(exposed_service_id(port.service, port.port)))})
    return rows


def _crowd_row(first: Port, crowd: Crowd) -> dict:
    return {"port": first.port, "protocol": first.protocol,
            "service": f"same answer on {len(crowd.ports):,} ports ({crowd.ranges})",
            "banner": crowd.banner, "risk": ""}  # fmt: skip


PORTS = Table("ports", "Open ports", (
    Column("port", "Port", numeric=True, mono=True),
    Column("protocol", "Protocol", filter=True),
    Column("service", "Service", filter=True),
    Column("banner", "Banner", mono=True),
    Column("risk", "Risk"),
), rows=port_rows, empty="No open ports among the ports tried.", noun="open port")


@dataclass
class PortsView:
    table: TableView
    open: int
    crowd: Crowd | None


def ports_view(ports: list[Port], table: TableView) -> PortsView:
    return PortsView(table, len(ports), crowd_of(ports))


# --- subdomains and technologies -----------------------------------------------------------------


def subdomain_rows(result: Result) -> list[dict]:
    return [{"name": s.name,
             "addresses": [a if is_public(a) else f"{a} (not public)" for a in s.addresses],
             "source": SOURCE_LABELS.get(s.source, s.source)}
            for s in _module(result, "subdomains")]  # fmt: skip


SUBDOMAINS = Table("subdomains", "Subdomains", (
    Column("name", "Name", mono=True),
    Column("addresses", "Addresses", mono=True),
    Column("source", "Found in", filter=True),
), rows=subdomain_rows, empty="No subdomains found.", noun="subdomain")


def technology_rows(result: Result) -> list[dict]:
    by_id = {f.id: f for f in result.findings}
    rows = []
    for tech in _module(result, "technologies"):
        risk = by_id.get(outdated_id(tech.name))
        category = CATEGORY_LABELS.get(tech.category,
                                       tech.category.replace("-", " ").capitalize())
        rows.append({"name": tech.name,
                     "version": f"{tech.version} (out of date)" if risk and tech.version
                     else tech.version,
                     "category": category, "evidence": tech.evidence})
    return rows


TECHNOLOGIES = Table("technologies", "Technologies", (
    Column("name", "Technology"),
    Column("version", "Version"),
    Column("category", "Category", filter=True),
    Column("evidence", "Seen in", mono=True),
), rows=technology_rows, empty="No technologies recognised.", noun="product")

TABLES = (FINDINGS, PORTS, SUBDOMAINS, TECHNOLOGIES)
