"""The ``infra_map`` result document: ``{startPoint, depth, nodes, edges, stats}``.

The published keys are exact (shared/API.md); ``changes`` (the comparison with the
previous map of the same start point) and each edge's ``provenance`` and first/last
seen are additions beside them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

NodeType = Literal["domain", "ip", "nameserver", "mailserver", "certificate", "asn",
                   "registrant"]
EdgeType = Literal["resolves_to", "reverse", "uses_ns", "uses_mx", "cname", "shares_cert",
                   "in_asn", "same_ip", "registered_by"]


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable id: domain:www.acme.test, ip:192.0.2.1, asn:64500, "
                                "cert:<sha256>.")
    type: NodeType
    label: str
    data: dict[str, Any] = Field(default_factory=dict,
                                 description="What was learned about the node.")


class Edge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    target: str
    type: EdgeType
    provenance: dict[str, Any] | None = Field(
        None, description="The lookup that produced the edge: query, server, answer time.")
    firstSeen: str | None = None
    lastSeen: str | None = None


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")

    startPoint: str
    depth: int
    nodes: list[Node]
    edges: list[Edge]
    stats: dict[str, Any]
    changes: dict[str, Any] | None = Field(
        None, description="Edges and nodes added or removed since the previous map of the "
                          "same start point by the same organization.")
