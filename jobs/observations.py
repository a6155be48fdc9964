"""The observation store: what DNS answers an organization's jobs have received.

The runner hands each job a ``Recorder``: the job's DNS client reports every answer to
it (in memory, from any thread or event loop), and the runner saves them in one bulk
upsert when the job ends, so recording costs no database round trip per lookup.
Operations read the store through ``ObservationReader`` (``ctx.observations``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from asgiref.sync import sync_to_async
from django.db.models import Max, Min
from django.utils import timezone

from jobs.models import Observation
from jobs.net.dns import DnsAnswer

BATCH = 2000


def _clean(name: str) -> str:
    return name.rstrip(".").lower()


class Recorder:
    """Collects (name, type, value) facts for one organization; ``save()`` stores them."""

    def __init__(self, organization_id: int):
        self.organization_id = organization_id
        self._seen: dict[tuple[str, str, str], datetime] = {}
        self._lock = threading.Lock()

    def __call__(self, answer: DnsAnswer) -> None:
        now = timezone.now()
        name = _clean(answer.name)
        with self._lock:
            for record in answer.records:
                self._seen[(name, answer.rtype, _clean(record)[:512])] = now

    def __len__(self) -> int:
        return len(self._seen)

    def save(self) -> int:
        with self._lock:
            facts, self._seen = self._seen, {}
        rows = [Observation(organization_id=self.organization_id, name=name[:255], rtype=rtype,
                            value=value, first_seen=when, last_seen=when)
                for (name, rtype, value), when in facts.items()]
        for start in range(0, len(rows), BATCH):
            # A fact seen before keeps its first_seen; only last_seen moves.
            Observation.objects.bulk_create(
                rows[start:start + BATCH], update_conflicts=True,
                unique_fields=["organization", "name", "rtype", "value"],
                update_fields=["last_seen"])
        return len(rows)


@dataclass(frozen=True)
class Seen:
    first_seen: datetime
    last_seen: datetime


class ObservationReader:
    """Read-only questions an operation may ask of its organization's observations."""

    def __init__(self, organization_id: int | None):
        self.organization_id = organization_id

    def _facts(self):
        return Observation.objects.filter(organization_id=self.organization_id)

    def names_with_value(self, value: str, rtypes: tuple[str, ...] = ("A", "AAAA"),
                         limit: int = 500) -> list[str]:
        """Names seen answering with ``value`` (e.g. every name seen on one address)."""
        facts = self._facts().filter(value=_clean(value), rtype__in=rtypes)
        return list(facts.order_by("name").values_list("name", flat=True).distinct()[:limit])

    def facts_about(self, name: str) -> list[Observation]:
        return list(self._facts().filter(name=_clean(name)).order_by("rtype", "value"))

    def seen(self, text: str) -> Seen | None:
        """When ``text`` was first and last seen, as a name or as an answer value."""
        text = _clean(text)
        spans = [self._facts().filter(**{field: text}).aggregate(
                     first=Min("first_seen"), last=Max("last_seen"))
                 for field in ("name", "value")]
        firsts = [s["first"] for s in spans if s["first"]]
        lasts = [s["last"] for s in spans if s["last"]]
        return Seen(min(firsts), max(lasts)) if firsts else None

    anames_with_value = sync_to_async(names_with_value, thread_sensitive=True)
    afacts_about = sync_to_async(facts_about, thread_sensitive=True)
    aseen = sync_to_async(seen, thread_sensitive=True)
