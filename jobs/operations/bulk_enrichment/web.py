"""The bulk enrichment result page: summary counts, one table of every entry, and the
detail of one indicator (``?indicator=`` on the job's page)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from jobs.operations.bulk_enrichment import exports
from jobs.operations.bulk_enrichment.rows import indicator_rows
from jobs.web import tables
from jobs.web.tables import Column, Table

TOP = 10
SECTIONS = ("summary", "query", "dns", "registration", "routing", "network", "isp",
            "geolocation", "ip_intelligence", "rpki", "reputation", "historical",
            "relationships", "metadata")


RESULTS_TABLE = Table(
    "indicators", "Indicators",
    (
        Column("indicator", "Indicator", mono=True),
        Column("type", "Type", filter=True),
        Column("value", "Normalised", mono=True),
        Column("status", "Status", filter=True),
        Column("country", "Country", filter=True),
        Column("as_name", "AS", filter=True),
        Column("asn", "ASN", filter=True, numeric=True),
        Column("listed", "Listed", filter=True),
        Column("listed_in", "Listed in", filter=True),
        Column("risk_score", "Risk", numeric=True),
        Column("addresses", "Addresses", mono=True),
        Column("rpki", "RPKI", filter=True),
        Column("error", "Error"),
    ),
    rows=indicator_rows, page_size=50, noun="indicator",
    empty="No indicators were enriched.",
)


def result_context(job, result, request) -> dict[str, Any]:
    return {
        "summary": summary(result),
        "views": tables.views_for(job, result, (RESULTS_TABLE,), request.GET),
        "detail": detail(result, request.GET.get("indicator", "")),
        "detail_query": request.GET.get("indicator", ""),
        "has_upload": exports.csv_upload_of(job) is not None,
    }


def summary(result) -> dict[str, Any]:
    items = result.results
    counts = Counter(i.get("type") for i in items) + Counter(e.type for e in result.errors)
    countries = Counter(i["summary"].get("country") for i in items if i["summary"].get("country"))
    networks = Counter(i["summary"].get("organization") for i in items
                       if i["summary"].get("organization"))
    listed = Counter(name for i in items for name in i["summary"].get("listed_in") or [])
    return {
        "total": result.totalIndicators, "processed": result.totalProcessed,
        "failed": result.totalFailed, "rate": result.successRate,
        "by_type": sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])),
        "by_country": countries.most_common(TOP), "by_as": networks.most_common(TOP),
        "listed": sum(1 for i in items if i["summary"].get("listed")),
        "by_list": listed.most_common(TOP),
        "errors_by_code": sorted(Counter(e.code for e in result.errors).items()),
        "modules": result.modules,
    }


def detail(result, wanted: str) -> dict[str, Any] | None:
    """The item whose indicator (as sent) or normalised value is ``wanted``."""
    wanted = wanted.strip()
    if not wanted:
        return None
    for item in result.results:
        if wanted in (item.get("indicator"), (item.get("query") or {}).get("value")):
            return {"item": item, "sections": [
                (name, json.dumps(item[name], indent=2, ensure_ascii=False))
                for name in SECTIONS if item.get(name)]}
    for error in result.errors:
        if wanted == error.indicator:
            return {"error": error}
    return {"missing": wanted}


def result_summary(result) -> str:
    listed = sum(1 for i in result.results if i["summary"].get("listed"))
    text = f"{result.totalProcessed} of {result.totalIndicators} indicators enriched"
    if listed:
        text += f", {listed} listed"
    return text
