"""The map on the job's page: the interactive graph, its two tables, changes and exports.

The graph is drawn by ``static/infra_map/map.js`` (cytoscape.js, vendored) from the
result embedded in the page as a JSON data block; no inline script, so a strict Content
Security Policy can be added later.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from django.http import Http404, HttpResponse
from django.urls import reverse

from jobs.models import Job, JobStatus
from jobs.operations.infra_map import exports
from jobs.operations.infra_map.graph import NODE_TYPES
from jobs.web import selectors, tables
from jobs.web.orgs import WebRequest, organization_required
from jobs.web.tables import Column, Table

JOB_TYPE = "infra_map"
UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9.-]+")
TYPE_LABELS = {"domain": "Domain", "ip": "IP address", "nameserver": "Name server",
               "mailserver": "Mail server", "certificate": "Certificate", "asn": "Network (AS)",
               "registrant": "Registrant"}


def _flags(data: dict) -> str:
    flags = []
    if data.get("start"):
        flags.append("start point")
    if data.get("hub"):
        flags.append(f"hub ({data.get('degree')} names)")
    if data.get("refused"):
        flags.append("refused by policy")
    return ", ".join(flags)


def node_rows(result) -> list[dict[str, Any]]:
    return [{"id": n.id, "type": n.type, "label": n.label, "flags": _flags(n.data),
             "firstSeen": n.data.get("firstSeen") or "", "lastSeen": n.data.get("lastSeen") or ""}
            for n in result.nodes]


def edge_rows(result) -> list[dict[str, Any]]:
    rows = []
    for e in result.edges:
        provenance = e.provenance or {}
        rows.append({"source": e.source, "type": e.type, "target": e.target,
                     "query": provenance.get("query") or "",
                     "server": provenance.get("server") or "",
                     "firstSeen": e.firstSeen or "", "lastSeen": e.lastSeen or ""})
    return rows


TABLES = (
    Table("nodes", "Nodes", (
        Column("label", "Name", mono=True),
        Column("type", "Type", filter=True),
        Column("flags", "Flags", filter=True),
        Column("firstSeen", "First seen", mono=True),
        Column("lastSeen", "Last seen", mono=True),
        Column("id", "Id", mono=True),
    ), rows=node_rows, page_size=25, empty="No nodes.", noun="node"),
    Table("edges", "Edges", (
        Column("source", "From", mono=True),
        Column("type", "Link", filter=True),
        Column("target", "To", mono=True),
        Column("query", "Lookup", mono=True),
        Column("server", "Asked", mono=True, filter=True),
        Column("firstSeen", "First seen", mono=True),
        Column("lastSeen", "Last seen", mono=True),
    ), rows=edge_rows, page_size=25, empty="No edges.", noun="edge"),
)


def result_context(job: Job, result, request) -> dict[str, Any]:
    document = result.model_dump(mode="json", exclude_none=True)
    counts = Counter(n["type"] for n in document["nodes"])
    return {
        "map_graph": {"nodes": document["nodes"], "edges": document["edges"],
                      "startPoint": document["startPoint"],
                      "changes": document.get("changes") or {}},
        "map_types": [(kind, TYPE_LABELS[kind], counts.get(kind, 0)) for kind in NODE_TYPES],
        "map_stats": document["stats"],
        "map_took": _seconds(document["stats"].get("durationMs")),
        "map_changes": document.get("changes"),
        "map_exports": [(fmt.upper() if fmt != "graphml" else "GraphML",
                         reverse("infra-map-export", args=[job.pk, fmt]))
                        for fmt in exports.FORMATS],
        "views": tables.views_for(job, result, TABLES, request.GET),
    }


def _seconds(milliseconds: Any) -> str:
    if not isinstance(milliseconds, (int, float)):
        return "—"
    return f"{milliseconds / 1000:.1f} s"


def result_summary(result) -> str:
    return f"{len(result.nodes)} nodes, {len(result.edges)} edges (depth {result.depth})"


def map_job(*, organization, job_id) -> Job:
    """The organization's completed map, or 404."""
    job = selectors.job_get(organization=organization, job_id=job_id)
    if job.type != JOB_TYPE or job.status != JobStatus.COMPLETED or not isinstance(
            job.result, dict):
        raise Http404("No map for this job")
    return job


@organization_required
def job_map_export(request: WebRequest, job_id, fmt: str):
    if fmt not in exports.FORMATS:
        raise Http404("No such format")
    job = map_job(organization=request.organization, job_id=job_id)
    write, content_type = exports.FORMATS[fmt]
    response = HttpResponse(write(job.result), content_type=f"{content_type}; charset=utf-8")
    name = UNSAFE_FILENAME.sub("-", job.target or "").strip("-.") or "map"
    response["Content-Disposition"] = (f'attachment; filename="map-{name}-{str(job.pk)[:8]}'
                                       f'.{fmt}"')
    return response
