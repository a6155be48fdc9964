"""The result document: one row per distinct entry, in the order they were sent."""

from __future__ import annotations

from collections import Counter
from typing import Any

from jobs.operations.bulk_enrichment.enrich import IndicatorFailed
from jobs.operations.bulk_enrichment.indicators import Indicator
from jobs.operations.bulk_enrichment.result import Result, checked_item


def build(params, entries: dict[str, Indicator], unrecognised: dict[str, str],
          outcomes: dict[str, Any]) -> Result:
    results, errors = [], []
    for raw in dict.fromkeys(params.indicators):
        if raw in unrecognised:
            errors.append(_error(raw, "unknown", "UNRECOGNISED", unrecognised[raw]))
            continue
        indicator = entries[raw]
        outcome = outcomes[indicator.value]
        if isinstance(outcome, IndicatorFailed):
            errors.append(_error(raw, indicator.type, outcome.code, outcome.message))
        else:
            # The first entry of a value is the one it was enriched under: no copy needed.
            item = outcome if outcome["indicator"] == raw else {**outcome, "indicator": raw}
            results.append(checked_item(item))
    attempted = len(results) + len(errors)
    return Result.model_validate({
        "status": "failed" if attempted and not results else "completed",
        "results": results,
        "errors": errors if params.options.include_failed else [],
        "totalProcessed": len(results),
        "totalFailed": len(errors),
        "totalIndicators": len(params.indicators),
        "successRate": round(100 * len(results) / attempted, 2) if attempted else 0.0,
        "modules": list(params.include),
        "countsByType": dict(Counter(i.type for i in entries.values())),
    })


def _error(raw: str, kind: str, code: str, message: str) -> dict:
    return {"indicator": raw, "type": kind, "error": True, "message": message, "code": code}
