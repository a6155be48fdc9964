"""The ``bulk_enrichment`` result document, as the published API gives it.

Each result item carries ``indicator`` (as sent), ``type``, ``query``, ``summary`` and the
module sections the published ``IndicatorResponse`` names; a section is present only
when its module ran for that indicator. Sections are open objects: what they hold
depends on the indicator's kind (a domain's ``routing`` lists every resolved address).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SkipValidation,
    WithJsonSchema,
)

IndicatorType = Literal["ip", "cidr", "domain", "url", "email", "md5", "sha1", "sha256"]
# A section is an open object built by this package's own code; checking every key of
# 10,000 of them would copy each one (tens of MB in the worker) to learn nothing.
Section = SkipValidation[dict[str, Any]]


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="ipv4, ipv6, cidr, domain, url, email, md5, sha1 or sha256.")
    value: str = Field(description="The refanged, normalised indicator.")
    version: int | None = Field(None, description="4 or 6 for addresses.")
    timestamp: str
    response_time_ms: float
    cached: bool = Field(False, description="Taken from a recent result (options.max_age).")


class Summary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization: str | None = None
    country: str | None = None
    asn: int | None = None
    listed: bool = False
    listed_in: list[str] = []
    risk_score: int = 0
    addresses: list[str] = []


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicator: str
    type: IndicatorType
    query: Query
    summary: Summary
    geolocation: Section | None = None
    network: Section | None = None
    routing: Section | None = None
    isp: Section | None = None
    registration: Section | None = None
    dns: Section | None = None
    relationships: Section | None = None
    reputation: Section | None = None
    rpki: Section | None = None
    ip_intelligence: Section | None = None
    historical: Section | None = None
    metadata: Section | None = None


class ErrorItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicator: str
    type: str = Field(description="The indicator's type, or \"unknown\" if unrecognisable.")
    error: Literal[True] = True
    message: str
    code: str = Field(description="UNRECOGNISED, TARGET_NOT_ALLOWED, TIMEOUT or FAILED.")


# Each item is checked against ``Item`` as it is made (``report.build``); the list itself
# is then kept as plain dicts, so a 10,000-item result is not held twice in the worker.
def _inlined(schema: Any, defs: dict) -> Any:
    """``schema`` with its ``$ref``s replaced by the definitions (one self-contained part)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inlined(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inlined(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inlined(v, defs) for v in schema]
    return schema


def _items_schema() -> dict:
    schema = Item.model_json_schema()
    return {"type": "array", "items": _inlined(schema, schema.get("$defs", {}))}


CheckedItems = Annotated[SkipValidation[list[Item]],
                         PlainSerializer(lambda items: items, return_type=list[dict[str, Any]]),
                         WithJsonSchema(_items_schema())]


def checked_item(item: dict) -> dict:
    """``item`` if it matches the published item shape; ValidationError if not."""
    Item.model_validate(item)
    return item


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["completed", "failed"]
    results: CheckedItems
    errors: list[ErrorItem]
    totalProcessed: int
    totalFailed: int
    totalIndicators: int
    successRate: float = Field(description="Percentage of indicators enriched, 0-100.")
    modules: list[str] = Field([], description="The modules that ran (our addition).")
    countsByType: dict[str, int] = Field({}, description="Our addition.")
