"""What a job reads from the database before it starts: block lists, VRPs, known addresses.

Parsed block lists and VRP indexes are kept per process and rebuilt only when a refresh
stored newer data (compared by ``fetched_at``), so a job pays one small query for them.
"""

from __future__ import annotations

import threading

from jobs.models import EnrichmentDataset, Observation
from jobs.operations.bulk_enrichment import datasets
from jobs.operations.bulk_enrichment.blocklists import BlockList
from jobs.operations.bulk_enrichment.rpki import VrpIndex

CHUNK = 900  # names per query (SQLite allows 999 parameters)
Kind = EnrichmentDataset.Kind
_memo: dict[str, tuple[list, object]] = {}
_lock = threading.Lock()


def load_for_job(*, modules: frozenset[str], org_id: int | None,
                 names: list[str]) -> tuple[list[BlockList], VrpIndex | None, dict]:
    lists = block_lists() if "reputation" in modules else []
    vrps = vrp_index() if "rpki" in modules else None
    return lists, vrps, known_addresses(org_id, names)


def block_lists() -> list[BlockList]:
    return _cached(Kind.REPUTATION, lambda rows: [BlockList(name, data) for name, data, _ in rows])


def vrp_index() -> VrpIndex | None:
    def build(rows):
        return VrpIndex(rows[0][1]) if rows else None
    return _cached(Kind.RPKI, build)


def _cached(kind: str, build):
    stamps = datasets.stamps(kind)
    with _lock:
        memo = _memo.get(kind)
        if memo and memo[0] == stamps:
            return memo[1]
    value = build(datasets.load(kind))
    with _lock:
        _memo[kind] = (stamps, value)
    return value


def known_addresses(org_id: int | None, names: list[str]) -> dict[str, list[str]]:
    """{name: addresses} the organization's jobs have seen in A/AAAA answers."""
    if org_id is None or not names:
        return {}
    found: dict[str, list[str]] = {}
    unique = sorted(set(names))
    for start in range(0, len(unique), CHUNK):
        rows = (Observation.objects.filter(organization_id=org_id, rtype__in=("A", "AAAA"),
                                           name__in=unique[start:start + CHUNK])
                .order_by("rtype", "value").values_list("name", "value"))
        for name, value in rows:
            found.setdefault(name, []).append(value)
    return found
