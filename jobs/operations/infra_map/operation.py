"""Infrastructure map: what a name or an address is connected to, as a graph.

Breadth first from the start point, one hop per depth level: every node found at hop
``d`` is expanded at hop ``d + 1`` (see ``walk``), a bounded number at a time. What each
node leads to is gathered concurrently, then merged in a fixed order, so the same zone
gives the same map and the node budget cuts at the same place every time.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Any

import idna
from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from jobs.net.errors import ClientError
from jobs.net.policy import is_localhost_name, parse_literal_ip
from jobs.operations.base import Context, OperationError
from jobs.operations.infra_map import asn, history
from jobs.operations.infra_map.graph import Graph
from jobs.operations.infra_map.walk import Walker, clean

TIMEOUT = 1800
QUERY_TIMEOUT = 2.0
SEEN_NAMES_COUNTED = 5000  # names on one address read from the store: a hub's degree
PROGRESS_EVERY = 0.5  # seconds between progress writes within a hop
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


class Params(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    start_point: str = Field(description="A domain name or an IP address.")
    depth: int = Field(1, ge=1, le=3, description="Hops from the start point (1-3).")

    @field_validator("start_point", mode="before")
    @classmethod
    def _start_point(cls, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("a domain name or an IP address is expected")
        return normalise(value)


def normalise(value: str) -> str:
    """A canonical IP literal, or an A-label host name."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    literal = parse_literal_ip(text)  # any spelling: the policy judges what it means
    if literal is not None:
        return str(literal)
    if is_localhost_name(text):
        return text.rstrip(".").lower()  # refused at submission as a loopback name
    try:
        name = idna.encode(text.rstrip(".").lower(), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValueError("not a valid domain name or IP address") from None
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(part) for part in labels):
        raise ValueError("not a valid domain name or IP address")
    if labels[-1].isdigit():
        raise ValueError("not a valid domain name or IP address")
    return name


def target(params: Params) -> str:
    return params.start_point


def literal_targets(params: Params) -> list[tuple[str, str]]:
    return [("startPoint", params.start_point)]


@dataclass(frozen=True)
class Limits:
    max_nodes: int
    fanout: int
    hub_degree: int
    concurrency: int
    tls_port: int
    tls_timeout: float

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_nodes=int(getattr(settings, "MAP_MAX_NODES", 1000)),
            fanout=int(getattr(settings, "MAP_MAX_FANOUT", 100)),
            hub_degree=int(getattr(settings, "MAP_HUB_DEGREE", 50)),
            concurrency=int(getattr(settings, "MAP_CONCURRENCY", 50)),
            tls_port=int(getattr(settings, "MAP_TLS_PORT", 443)),
            tls_timeout=float(getattr(settings, "MAP_TLS_TIMEOUT", 3.0)),
        )


async def run(params: Params, ctx: Context) -> dict:
    try:
        return await _map(params, ctx)
    finally:
        asn.release()


async def _map(params: Params, ctx: Context) -> dict:
    started = time.monotonic()
    limits = Limits.from_settings()
    client = ctx.dns(timeout=QUERY_TIMEOUT, concurrency=limits.concurrency * 4)
    try:
        whois = ctx.whois(dns=client)
    except ClientError:
        whois = None
    walker = Walker(client, whois, limits, ctx.observations, tls=ctx.tls(dns=client),
                    policy=ctx.policy, rdap=ctx.rdap(dns=client))
    graph = Graph(budget=limits.max_nodes)
    kind = "ip" if parse_literal_ip(params.start_point) else "domain"
    start = graph.add_node(kind, params.start_point, params.start_point, {"start": True})
    frontier, reached = [start], 0
    for depth in range(1, params.depth + 1):
        if not frontier:
            break
        frontier = await _hop(depth, frontier, graph, walker, limits, ctx)
        reached = depth
        if walker.lookups and not walker.answered:
            raise OperationError("TARGET_UNREACHABLE", "No DNS server answered, so nothing "
                                 "could be mapped.", f"servers: {walker.server}")
    _mark_hubs(graph, limits)
    result = {"startPoint": params.start_point, "depth": params.depth,
              "nodes": graph.node_list(), "edges": graph.edge_list()}
    await history.annotate(result, ctx)
    result["stats"] = _stats(graph, walker, reached, started, frontier)
    await ctx.aprogress(1, 1, f"Mapped {len(graph.nodes)} nodes and {len(graph.edges)} edges")
    return result


async def _hop(depth: int, frontier: list[str], graph: Graph, walker: Walker,
               limits: Limits, ctx: Context) -> list[str]:
    """Expands every frontier node; returns the nodes this hop added, in merge order."""
    total = len(frontier)
    await ctx.aprogress(0, total, f"Depth {depth}: 0 of {total} names looked up")
    progress = _Progress(ctx, depth, total)
    semaphore = asyncio.Semaphore(limits.concurrency)

    async def expand(ident: str):
        async with semaphore:
            found = await _expand(ident, graph, walker, limits)
        await progress.step()
        return found

    proposals = await asyncio.gather(*(expand(ident) for ident in frontier))
    before = set(graph.nodes)
    added: list[str] = []
    for found in proposals:
        for proposal in found:
            ident = graph.apply(proposal, depth)
            if ident is not None and ident not in before and ident not in added:
                added.append(ident)
    # Name and mail servers end here: their addresses were looked up with them.
    return [i for i in added if graph.nodes[i]["type"] in ("domain", "ip")]


async def _expand(ident: str, graph: Graph, walker: Walker, limits: Limits) -> list:
    node = graph.nodes[ident]
    key = ident.split(":", 1)[1]
    if node["type"] == "domain":
        return await walker.expand_domain(ident, key)
    if node["type"] != "ip":
        return []
    names = await walker.names_on(key, SEEN_NAMES_COUNTED)
    linked = graph.sources(ident, ("resolves_to",))
    degree = len(set(names) | {s.split(":", 1)[1] for s in linked})
    hub = degree > limits.hub_degree
    if hub:
        graph.data(ident).update(hub=True, degree=degree)
    found = await walker.expand_ip(ident, key, hub)
    if not hub:
        others = [n for n in names if f"domain:{n}" not in linked]
        if len(others) > limits.fanout:
            graph.leave_out("fanout", f"{ident} same_ip", len(others) - limits.fanout)
        found += walker.same_ip(key, others[: limits.fanout])
    return found


def _mark_hubs(graph: Graph, limits: Limits) -> None:
    """Addresses and servers many names point at: shown as one node with its degree."""
    for ident, node in graph.nodes.items():
        if node["type"] not in ("ip", "nameserver", "mailserver"):
            continue
        degree = graph.degree_in(ident, ("resolves_to", "uses_ns", "uses_mx", "same_ip"))
        if degree > limits.hub_degree:
            node["data"].update(hub=True, degree=max(degree, node["data"].get("degree", 0)))


class _Progress:
    def __init__(self, ctx: Context, depth: int, total: int):
        self.ctx, self.depth, self.total = ctx, depth, total
        self.done = 0
        self._last = time.monotonic()

    async def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY or self.done == self.total:
            self._last = now
            await self.ctx.aprogress(self.done, self.total, f"Depth {self.depth}: {self.done} of "
                                                            f"{self.total} names looked up")


def _stats(graph: Graph, walker: Walker, reached: int, started: float,
           unexpanded: list[str]) -> dict[str, Any]:
    return {
        "nodeCount": len(graph.nodes),
        "edgeCount": len(graph.edges),
        **graph.counts(),
        "depthReached": reached,
        "lookups": walker.lookups,
        "unanswered": walker.lookups - walker.answered,
        "durationMs": round((time.monotonic() - started) * 1000),
        "unexpanded": len(unexpanded),
        "hubs": sorted(i for i, n in graph.nodes.items() if n["data"].get("hub")),
        "refused": sorted(i for i, n in graph.nodes.items() if n["data"].get("refused")),
        "truncated": graph.truncated(),
        "rdap": walker.rdap_stats(),
    }


__all__ = ["Params", "clean", "literal_targets", "run", "target"]
