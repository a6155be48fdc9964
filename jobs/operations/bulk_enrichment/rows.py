"""Result items as flat rows: the dashboard table and the CSV round trip share them."""

from __future__ import annotations

from typing import Any


def indicator_rows(result: Any) -> list[dict[str, Any]]:
    """One row per entry sent: enriched ones, then those that failed."""
    rows = [table_row(item) for item in result.results]
    rows += [{"indicator": e.indicator, "type": e.type, "value": "", "status": e.code,
              "listed": "", "error": e.message} for e in result.errors]
    return rows


def table_row(item: dict) -> dict[str, Any]:
    summary = item.get("summary") or {}
    query = item.get("query") or {}
    rpki = item.get("rpki") or {}
    return {
        "indicator": item.get("indicator"), "type": item.get("type"),
        "value": query.get("value"), "status": "ok",
        "country": summary.get("country"), "as_name": summary.get("organization"),
        "asn": summary.get("asn"),
        "listed": "yes" if summary.get("listed") else "no",
        "listed_in": summary.get("listed_in") or [],
        "risk_score": summary.get("risk_score", 0),
        "addresses": summary.get("addresses") or [],
        "rpki": rpki.get("status"), "error": "",
    }
