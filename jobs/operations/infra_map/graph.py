"""The map being built: de-duplicated nodes and edges, a node budget, and what was cut.

Node ids are stable across jobs (``domain:www.acme.test``, ``ip:192.0.2.1``,
``asn:64500``, ``cert:<sha256>``) so two maps of the same start point can be compared
edge by edge. The walk proposes nodes and edges; the graph decides what fits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

NODE_TYPES = ("domain", "ip", "nameserver", "mailserver", "certificate", "asn", "registrant")
EDGE_TYPES = ("resolves_to", "reverse", "uses_ns", "uses_mx", "cname", "shares_cert",
              "in_asn", "same_ip", "registered_by")
EXAMPLES_KEPT = 20  # how many left-out items the result names, beyond the counts


def node_id(kind: str, key: str) -> str:
    prefix = {"certificate": "cert"}.get(kind, kind)
    return f"{prefix}:{key}"


@dataclass
class Proposal:
    """A node to add (if new) and the edge joining it to the graph."""

    kind: str
    key: str
    label: str
    data: dict[str, Any]
    source: str
    target: str
    edge: str
    provenance: dict[str, Any]

    @property
    def node(self) -> str:
        return node_id(self.kind, self.key)


@dataclass
class Graph:
    budget: int
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    depth_of: dict[str, int] = field(default_factory=dict)
    # target id -> {(source id, edge type)}: degrees without a scan of every edge
    incoming: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    left_out: Counter = field(default_factory=Counter)
    examples: list[dict[str, str]] = field(default_factory=list)

    def add_node(self, kind: str, key: str, label: str, data: dict | None = None,
                 depth: int = 0) -> str | None:
        """The node's id, merging ``data`` into an existing node; None if over budget."""
        ident = node_id(kind, key)
        node = self.nodes.get(ident)
        if node is None:
            if len(self.nodes) >= self.budget:
                self.leave_out("budget", ident)
                return None
            node = self.nodes[ident] = {"id": ident, "type": kind, "label": label, "data": {}}
            self.depth_of[ident] = depth
        node["data"].update(data or {})
        return ident

    def add_edge(self, source: str, target: str, kind: str, provenance: dict) -> None:
        if source == target or source not in self.nodes or target not in self.nodes:
            return
        key = (source, target, kind)
        if key not in self.edges:
            self.edges[key] = {"source": source, "target": target, "type": kind,
                               "provenance": provenance}
            self.incoming.setdefault(target, set()).add((source, kind))

    def apply(self, proposal: Proposal, depth: int) -> str | None:
        """Adds a proposal's node (if it fits) and its edge; the node's id or None."""
        ident = self.add_node(proposal.kind, proposal.key, proposal.label, proposal.data, depth)
        if ident is not None:
            self.add_edge(proposal.source, proposal.target, proposal.edge, proposal.provenance)
        return ident

    def leave_out(self, reason: str, what: str, count: int = 1) -> None:
        self.left_out[reason] += count
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append({"reason": reason, "item": what, "count": count})

    def data(self, ident: str) -> dict[str, Any]:
        return self.nodes[ident]["data"]

    def sources(self, ident: str, kinds: tuple[str, ...]) -> set[str]:
        return {s for (s, k) in self.incoming.get(ident, ()) if k in kinds}

    def degree_in(self, ident: str, kinds: tuple[str, ...]) -> int:
        return len(self.sources(ident, kinds))

    def truncated(self) -> dict[str, Any]:
        return {
            "hit": bool(self.left_out),
            "nodeBudget": self.budget,
            "budgetReached": self.left_out["budget"] > 0,
            "leftOut": dict(self.left_out),
            "examples": list(self.examples),
        }

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            "nodesByType": dict(Counter(n["type"] for n in self.nodes.values())),
            "edgesByType": dict(Counter(e["type"] for e in self.edges.values())),
        }

    def node_list(self) -> list[dict[str, Any]]:
        order = {kind: i for i, kind in enumerate(NODE_TYPES)}
        return sorted(self.nodes.values(), key=lambda n: (order[n["type"]], n["id"]))

    def edge_list(self) -> list[dict[str, Any]]:
        return sorted(self.edges.values(), key=lambda e: (e["source"], e["type"], e["target"]))
