"""Findings: what a scan reports, how they are merged, and the risk score.

A finding is ``{id, severity, title, description, evidence, module}``. An id names one
issue (``tls-expired``, ``exposed-env``); when two modules report the same id (the ssl
module and the vulnerability module both see an expired certificate) the finding is
listed once, credited to the first module in ``MODULE_ORDER``.

Risk score (0-100): every finding is an independent chance that the domain can be
harmed, with weights critical 0.5, high 0.25, medium 0.1, low 0.03, info 0; the score
is ``round(100 * (1 - product(1 - weight)))``. One critical finding scores 50, two
highs 44, ten mediums 65; it approaches but never needs to pass 100.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SEVERITIES = ("critical", "high", "medium", "low", "info")
RISK_WEIGHTS = {"critical": 0.5, "high": 0.25, "medium": 0.1, "low": 0.03, "info": 0.0}
# The modules in the order that credits a finding two of them report, and the order of
# a comprehensive scan's sections.
MODULE_ORDER = ("dns", "subdomains", "ssl", "ports", "technologies", "whois", "vulnerability")


def finding(id: str, severity: str, title: str, description: str, evidence: str = "") -> dict:  # noqa: A002
    return {"id": id, "severity": severity, "title": title, "description": description,
            "evidence": evidence}  # fmt: skip


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


# --- finding ids that more than one module (and the result page) need to agree on -------


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def exposed_service_id(service: str | None, port: int) -> str:
    return f"exposed-{service or ''}-{port}"


def outdated_id(technology: str) -> str:
    return f"outdated-{slug(technology)}"


# --- merging --------------------------------------------------------------------------------


def merge(found_by_module: dict[str, list[dict]]) -> list[dict]:
    """One finding per id, credited to the first module that reported it, worst first."""
    seen: dict[str, dict] = {}
    for name in MODULE_ORDER:
        for item in found_by_module.get(name, []):
            seen.setdefault(item["id"], item)
    return sorted(seen.values(), key=lambda f: (severity_rank(f["severity"]), f["id"]))


def summarise(findings: Iterable[dict]) -> dict:
    counts = {severity: 0 for severity in SEVERITIES}
    safe = 1.0
    for item in findings:
        counts[item["severity"]] += 1
        safe *= 1.0 - RISK_WEIGHTS[item["severity"]]
    return {"findingsBySeverity": counts, "riskScore": int(100 * (1.0 - safe) + 0.5)}
