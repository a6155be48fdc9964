"""Recent per-indicator results of one organization, reused within ``options.max_age``."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from jobs.models import EnrichmentCacheEntry

CHUNK = 900
KEEP_DAYS = 30  # the longest max_age a job may ask for


def modules_key(modules) -> str:
    return ",".join(sorted(modules))


def cache_read(*, org_id: int | None, modules, values: list[str], max_age: int) -> dict:
    """{value: item} younger than ``max_age`` seconds (nothing when max_age is 0)."""
    if not max_age or org_id is None:
        return {}
    since = timezone.now() - timedelta(seconds=max_age)
    found = {}
    for start in range(0, len(values), CHUNK):
        rows = EnrichmentCacheEntry.objects.filter(
            organization_id=org_id, modules=modules_key(modules),
            value__in=values[start:start + CHUNK], created_at__gte=since)
        for value, item in rows.values_list("value", "item"):
            item["query"]["cached"] = True
            found[value] = item
    return found


def cache_write(*, org_id: int | None, modules, items: dict[str, dict]) -> None:
    if org_id is None or not items:
        return
    now, key = timezone.now(), modules_key(modules)
    rows = [EnrichmentCacheEntry(organization_id=org_id, modules=key, value=value, item=item,
                                 created_at=now) for value, item in items.items()]
    for start in range(0, len(rows), CHUNK):
        EnrichmentCacheEntry.objects.bulk_create(
            rows[start:start + CHUNK], update_conflicts=True,
            unique_fields=["organization", "modules", "value"],
            update_fields=["item", "created_at"])


def cache_purge() -> int:
    cutoff = timezone.now() - timedelta(days=KEEP_DAYS)
    return EnrichmentCacheEntry.objects.filter(created_at__lt=cutoff).delete()[0]
