"""The ``similar_domains`` result document, as the published API gives it.

Fields that only some results carry (DNS fields once names are resolved, punycode for
internationalised names) are optional; a stored result has exactly the fields it was
given.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TechniqueLabel = Literal["TYPO", "UTFVARS", "TLD_VARIANTS", "SOUNDING", "PREFIX", "SUFFIX",
                         "CONTAINS", "LEVENSHTEIN"]


class SimilarDomain(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain: str
    technique: TechniqueLabel
    fuzzer: str | None = Field(None, description="The finer-grained generator, e.g. omission.")
    punycode: str | None = None
    unicode: str | None = None
    registered: bool | None = Field(None, description="Set when the name was looked up.")
    dnsStatus: str | None = None
    dnsA: list[str] | None = None
    dnsAaaa: list[str] | None = None
    dnsMx: list[str] | None = None
    dnsNs: list[str] | None = None


class Analysis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    techniquesUsed: str = Field(description="Comma-separated request technique names.")
    baseDomain: str
    searchLimit: int
    subdomain: str | None = None
    brand: str | None = None
    suffix: str | None = None
    countsByTechnique: dict[str, int] | None = None
    countsByFuzzer: dict[str, int] | None = None
    truncated: dict[str, bool] | None = Field(
        None, description="Per request technique name: true when it reached searchLimit, "
                          "so more names of that kind exist than were generated.")


class Resolution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["not_requested", "completed", "partial", "unavailable"]
    checked: int | None = None
    registered: int | None = None
    total: int | None = None
    statuses: dict[str, int] | None = None
    message: str | None = None


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain: str
    status: Literal["completed", "failed"]
    similarDomains: list[SimilarDomain]
    totalCount: int
    analysis: Analysis
    resolution: Resolution | None = None
