"""The ``infra_scan`` result document, as the published API gives it.

Each module's section is present only when the scan type ran it; a module that failed
carries ``{"error": "..."}`` instead of its data, and the scan still completes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["critical", "high", "medium", "low", "info"]


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    severity: Severity
    title: str
    description: str
    evidence: str = ""
    module: str


class Summary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    findingsBySeverity: dict[Severity, int]
    riskScore: int = Field(ge=0, le=100)


class Modules(BaseModel):
    """One entry per module that ran (its data, or ``{"error": ...}``)."""

    model_config = ConfigDict(extra="forbid")

    dns: dict[str, Any] | None = None
    subdomains: list[dict[str, Any]] | dict[str, Any] | None = None
    ssl: dict[str, Any] | None = None
    ports: list[dict[str, Any]] | dict[str, Any] | None = None
    technologies: list[dict[str, Any]] | dict[str, Any] | None = None
    whois: dict[str, Any] | None = None
    vulnerabilities: list[dict[str, Any]] | dict[str, Any] | None = None


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain: str
    scanType: str
    startedAt: str
    finishedAt: str
    modules: Modules
    findings: list[Finding]
    summary: Summary
