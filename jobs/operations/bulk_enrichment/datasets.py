"""The operator's reference data: block lists and a VRP set, parsed and stored.

Sources come from settings: ``REPUTATION_LISTS`` ("name=path-or-url,...") and
``RPKI_VRP_PATH`` / ``RPKI_VRP_URL``. ``datasets_refresh()`` (the scheduled task) reads
each source, parses it and stores the parsed set in ``EnrichmentDataset``; jobs only
read what is stored, so a job never fetches anything. A path is read directly; a URL
goes through the project's HTTP client, so the target policy applies to it.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from jobs import clients
from jobs.models import EnrichmentDataset
from jobs.net.errors import ClientError
from jobs.operations.bulk_enrichment import blocklists, rpki

MAX_SOURCE_BYTES = 256 * 1024 * 1024
FETCH_TIMEOUT = 120.0
VRP_NAME = "vrps"
Kind = EnrichmentDataset.Kind


class SourceError(Exception):
    pass


def configured_sources() -> list[tuple[str, str, str]]:
    """(kind, name, source) for every source the operator configured."""
    sources = []
    for entry in settings.REPUTATION_LISTS:
        name, sep, source = entry.partition("=")
        if sep and name.strip() and source.strip():
            sources.append((Kind.REPUTATION, name.strip(), source.strip()))
    vrp_source = settings.RPKI_VRP_PATH or settings.RPKI_VRP_URL
    if vrp_source:
        sources.append((Kind.RPKI, VRP_NAME, vrp_source))
    return sources


def datasets_refresh() -> dict[str, str]:
    """Reads every configured source and stores what it holds; {name: outcome}."""
    outcomes = {}
    for kind, name, source in configured_sources():
        outcomes[f"{kind}:{name}"] = dataset_refresh(kind=kind, name=name, source=source)
    return outcomes


def dataset_refresh(*, kind: str, name: str, source: str) -> str:
    dataset, _ = EnrichmentDataset.objects.get_or_create(
        kind=kind, name=name, defaults={"source": source})
    dataset.source, dataset.checked_at = source, timezone.now()
    try:
        parsed, count = _parse(kind, read_source(source))
    except (SourceError, ValueError) as exc:
        dataset.error = str(exc)[:500]
        dataset.save()
        return f"kept the previous data: {dataset.error}"
    dataset.payload = gzip.compress(json.dumps(parsed).encode())
    dataset.entries, dataset.fetched_at, dataset.error = count, timezone.now(), ""
    dataset.save()
    return f"{count} entries"


def _parse(kind: str, text: str) -> tuple[object, int]:
    if kind == Kind.RPKI:
        vrps = rpki.parse_vrps(text)
        return vrps, len(vrps)
    entries = blocklists.parse_list(text)
    return entries, sum(len(values) for values in entries.values())


def read_source(source: str) -> str:
    if source.startswith(("http://", "https://")):
        return asyncio.run(_fetch(source))
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {source}: {exc.strerror or exc}") from None
    return _decode(data, source)


async def _fetch(url: str) -> str:
    client = clients.http(timeout=FETCH_TIMEOUT, max_body=MAX_SOURCE_BYTES)
    try:
        response = await client.fetch(url)
    except ClientError as exc:
        raise SourceError(f"cannot fetch {url}: {exc.message}") from None
    if response.status != 200:
        raise SourceError(f"{url} answered HTTP {response.status}")
    if response.truncated:
        raise SourceError(f"{url} is larger than {MAX_SOURCE_BYTES} bytes")
    return _decode(response.body, url)


def _decode(data: bytes, source: str) -> str:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def load(kind: str) -> list[tuple[str, object, object]]:
    """[(name, parsed payload, fetched_at)] of every stored dataset of ``kind``."""
    rows = EnrichmentDataset.objects.filter(kind=kind, fetched_at__isnull=False).order_by("name")
    return [(row.name, json.loads(gzip.decompress(bytes(row.payload))), row.fetched_at)
            for row in rows]


def stamps(kind: str) -> list[tuple[str, object]]:
    """(name, fetched_at) of the stored datasets: cheap, to tell whether a cache is stale."""
    rows = EnrichmentDataset.objects.filter(kind=kind, fetched_at__isnull=False)
    return sorted(rows.values_list("name", "fetched_at"))
