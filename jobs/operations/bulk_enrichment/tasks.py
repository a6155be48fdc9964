"""Scheduled housekeeping of the enrichment data (django-q2 runs these, see SPEC.periodic)."""

from __future__ import annotations

from jobs.operations.bulk_enrichment import cache, datasets


def refresh_datasets() -> dict[str, str]:
    """Re-reads every configured block list and the VRP set."""
    return datasets.datasets_refresh()


def purge_cache() -> int:
    return cache.cache_purge()
