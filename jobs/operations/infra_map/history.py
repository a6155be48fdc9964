"""What changed: first and last seen on every node and edge, and the previous map's diff.

Spans come from the organization's observation store (every DNS answer its jobs got)
and, for what DNS does not say (certificates, networks, registrants), from the previous
map of the same start point, whose ``firstSeen`` values are carried forward. This job's
own answers are stored when it ends, so what the store has never seen is new: first
seen now.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from django.db.models import Max, Min

from jobs.models import Job, JobStatus, Observation

JOB_TYPE = "infra_map"
LISTED = 500  # changes named one by one; the counts are always whole
CHUNK = 500  # values per IN (...) query: SQLite caps the parameters of one statement
DNS_EDGES = {"resolves_to": ("A", "AAAA"), "cname": ("CNAME",), "uses_ns": ("NS",),
             "uses_mx": ("MX",), "same_ip": ("A", "AAAA")}


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def key_of(edge: dict) -> str:
    return f"{edge['source']} {edge['type']} {edge['target']}"


async def annotate(result: dict, ctx) -> None:
    """Adds firstSeen/lastSeen to nodes and edges and ``changes`` to ``result``."""
    reader = getattr(ctx, "observations", None)
    organization = getattr(reader, "organization_id", None)
    if organization is None:
        return
    await sync_to_async(_annotate, thread_sensitive=True)(result, organization, ctx.job_id)


def _annotate(result: dict, organization: int, job_id: str) -> None:
    now = _iso(dt.datetime.now(dt.UTC))
    previous = previous_map(organization, result["startPoint"], job_id)
    before = previous.result if previous and isinstance(previous.result, dict) else {}
    earlier = {key_of(e): e.get("firstSeen") for e in before.get("edges") or []}
    earlier_nodes = {n["id"]: (n.get("data") or {}).get("firstSeen")
                     for n in before.get("nodes") or []}
    spans = _node_spans(organization, [n["id"].split(":", 1)[1] for n in result["nodes"]])
    for node in result["nodes"]:
        first = spans.get(node["id"].split(":", 1)[1])
        node["data"]["firstSeen"] = _earliest(first, earlier_nodes.get(node["id"]), now)
        node["data"]["lastSeen"] = now
    facts = _edge_facts(organization, result["edges"])
    for edge in result["edges"]:
        first = facts.get((edge["source"].split(":", 1)[1], edge["target"].split(":", 1)[1]))
        edge["firstSeen"] = _earliest(first, earlier.get(key_of(edge)), now)
        edge["lastSeen"] = now
    result["changes"] = compare(before, result, previous)


def _earliest(*moments: str | None) -> str:
    return min(m for m in moments if m)


def previous_map(organization: int, start_point: str, job_id: str) -> Job | None:
    jobs = Job.objects.filter(organization_id=organization, type=JOB_TYPE, target=start_point,
                              status=JobStatus.COMPLETED).exclude(pk=_uuid_or_none(job_id))
    return jobs.order_by("-completed_at").first()


def _uuid_or_none(job_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(job_id))
    except ValueError:
        return None


def _chunks(items, size: int = CHUNK):
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def _node_spans(organization: int, keys: list[str]) -> dict[str, str]:
    facts = Observation.objects.filter(organization_id=organization)
    spans: dict[str, str] = {}
    for field in ("name", "value"):
        for chunk in _chunks(keys):
            rows = (facts.filter(**{f"{field}__in": chunk}).values(field)
                    .annotate(first=Min("first_seen"), last=Max("last_seen")))
            for row in rows:
                first = _iso(row["first"])
                spans[row[field]] = min(filter(None, (spans.get(row[field]), first)))
    return spans


def _edge_facts(organization: int, edges: list[dict]) -> dict[tuple[str, str], str]:
    """(name, value) -> first seen, for the edges a DNS answer stands behind."""
    names = {e["source"].split(":", 1)[1] for e in edges if e["type"] in DNS_EDGES}
    found: dict[tuple[str, str], str] = {}
    for chunk in _chunks(names):
        rows = Observation.objects.filter(organization_id=organization, name__in=chunk,
                                          rtype__in=("A", "AAAA", "CNAME", "NS", "MX"))
        for name, value, first in rows.values_list("name", "value", "first_seen"):
            target = value.split()[-1] if value else value  # "10 mx.acme.test" -> the host
            found[(name, target)] = _iso(first)
    return found


def compare(before: dict, after: dict, previous: Job | None) -> dict[str, Any]:
    if previous is None:
        return {"previousJobId": None, "addedEdges": [], "removedEdges": [],
                "addedNodes": [], "removedNodes": [], "counts": {}}
    old = {key_of(e): e for e in before.get("edges") or []}
    new = {key_of(e): e for e in after["edges"]}
    old_nodes = {n["id"] for n in before.get("nodes") or []}
    new_nodes = {n["id"] for n in after["nodes"]}
    added = [_brief(new[k]) for k in sorted(new.keys() - old.keys())]
    removed = [_brief(old[k]) for k in sorted(old.keys() - new.keys())]
    return {
        "previousJobId": str(previous.pk),
        "previousCompletedAt": _iso(previous.completed_at),
        "previousDepth": before.get("depth"),
        "counts": {"addedEdges": len(added), "removedEdges": len(removed),
                   "addedNodes": len(new_nodes - old_nodes),
                   "removedNodes": len(old_nodes - new_nodes)},
        "addedEdges": added[:LISTED],
        "removedEdges": removed[:LISTED],
        "addedNodes": sorted(new_nodes - old_nodes)[:LISTED],
        "removedNodes": sorted(old_nodes - new_nodes)[:LISTED],
    }


def _brief(edge: dict) -> dict[str, str]:
    return {"source": edge["source"], "target": edge["target"], "type": edge["type"]}
