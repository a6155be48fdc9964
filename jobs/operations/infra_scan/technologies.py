"""The technologies module: what the web server runs, read from its home pages."""

from __future__ import annotations

from jobs.net.http import HttpResponse
from jobs.operations.infra_scan import fingerprint
from jobs.operations.infra_scan.core import Scan


async def run(scan: Scan) -> tuple[list, list[dict]]:
    return [t.as_dict() for t in detected(await scan.homepages())], []


def detected(pages: dict[str, HttpResponse]) -> list[fingerprint.Technology]:
    merged: dict[str, fingerprint.Technology] = {}
    for response in pages.values():
        for tech in fingerprint.detect(response):
            if tech.name not in merged or (tech.version and not merged[tech.name].version):
                merged[tech.name] = tech
    return sorted(merged.values(), key=lambda t: (t.category, t.name))
