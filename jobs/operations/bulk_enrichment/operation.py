"""Bulk enrichment: up to 10,000 indicators, each classified and enriched.

Entries are refanged and classified first (an unrecognisable one goes to ``errors`` and
never fails the job); equal values are enriched once. Recent results of the same
organization and module set are reused when ``options.max_age`` allows. The rest run
through a pool of workers (one when ``parallel_processing`` is off), each indicator
bounded by ``timeout_per_indicator``; progress moves in steps of ``batch_size``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jobs.operations.base import Context
from jobs.operations.bulk_enrichment import pool, report
from jobs.operations.bulk_enrichment.indicators import Indicator, Unrecognised, classify
from jobs.operations.bulk_enrichment.result import Result

TIMEOUT = 3600
MAX_INDICATORS = 10_000
Module = Literal["dns", "whois", "routing", "rpki", "historical", "ip_intelligence",
                 "reputation"]
DEFAULT_INCLUDE = ["dns", "routing", "ip_intelligence", "reputation"]
MAX_AGE_LIMIT = 30 * 86400


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parallel_processing: bool = Field(True, description="Enrich many indicators at once.")
    batch_size: int = Field(10, ge=1, le=50, description="Progress is reported every "
                                                         "batch_size indicators.")
    timeout_per_indicator: int = Field(30000, ge=1000, le=120000,
                                       description="Milliseconds; past it the indicator "
                                                   "goes to errors.")
    continue_on_error: bool = Field(True, description="Off: the first failed indicator "
                                                     "fails the job.")
    include_failed: bool = Field(True, description="List failed indicators in errors.")
    max_age: int = Field(0, ge=0, le=MAX_AGE_LIMIT,
                         description="Seconds: reuse this organization's results that are "
                                     "younger (0: always look up afresh).")


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicators: list[str] = Field(min_length=1, max_length=MAX_INDICATORS,
                                  description="IPs, networks, domains, URLs, e-mail addresses "
                                              "and hashes; defanged forms are accepted.")
    include: list[Module] = Field(default_factory=lambda: list(DEFAULT_INCLUDE),
                                  description="Modules to run (reputation is our addition).")
    options: Options = Field(default_factory=Options)

    @field_validator("include", mode="before")
    @classmethod
    def module_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("include")
    @classmethod
    def distinct(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one module")
        return list(dict.fromkeys(value))


def target(params: Params) -> str:
    count = len(params.indicators)
    return params.indicators[0] if count == 1 else f"{count} indicators"


async def run(params: Params, ctx: Context) -> Result:
    total = len(params.indicators)
    await ctx.aprogress(0, total, f"Classifying {total} indicators")
    entries, unrecognised = split_entries(params.indicators)
    unique = list({ind.value: ind for ind in entries.values()}.values())
    outcomes = await pool.enrich_all(unique, params, ctx)
    await ctx.aprogress(total, total, "Done")
    return report.build(params, entries, unrecognised, outcomes)


def split_entries(raw_entries: list[str]) -> tuple[dict[str, Indicator], dict[str, str]]:
    """({entry: indicator}, {entry: why unrecognised}); repeated entries appear once."""
    entries: dict[str, Indicator] = {}
    unrecognised: dict[str, str] = {}
    for raw in raw_entries:
        if raw in entries or raw in unrecognised:
            continue
        try:
            entries[raw] = classify(raw)
        except Unrecognised as exc:
            unrecognised[raw] = str(exc)
    return entries, unrecognised
