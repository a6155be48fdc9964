"""The infra scan's request: what to scan and how, as the API takes it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator
from pydantic.alias_generators import to_camel

from jobs.net.names import NotAName, host_name
from jobs.net.policy import extract_host, parse_literal_ip
from jobs.net.ports import parse_ports
from jobs.operations.infra_scan.findings import MODULE_ORDER

# "comprehensive" runs every module; each module's name runs it alone (in the order the
# API has always published them).
SCAN_TYPES = ("comprehensive", "subdomains", "ssl", "dns", "technologies", "whois",
              "vulnerability", "ports")  # fmt: skip
assert set(SCAN_TYPES[1:]) == set(MODULE_ORDER)


class Params(BaseModel):
    model_config = ConfigDict(populate_by_name=True, alias_generator=to_camel, extra="forbid")

    domain: str
    type: Literal[SCAN_TYPES] = Field(  # type: ignore[valid-type]
        "comprehensive", title="Scan type",
        description="comprehensive runs every module; the others run one.")
    ports: list[StrictInt | StrictStr] | None = Field(
        None, description="Ports and ranges such as 443, 8000-8100; empty scans the "
                          "common ports.")
    ssl_port: int = Field(443, ge=1, le=65535, description="Port of the TLS and HTTPS checks.")
    http_port: int = Field(80, ge=1, le=65535, description="Port of the plain HTTP checks.")

    @field_validator("domain", mode="before")
    @classmethod
    def _domain(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("not a valid host name")
        return normalise_domain(value)

    @field_validator("ports")
    @classmethod
    def _ports(cls, value: list | None) -> list | None:
        parse_ports(value)  # raises ValueError with the reason
        return value


def normalise_domain(value: str) -> str:
    """The host an infra scan is about: an A-label name, or a canonical IP literal."""
    host = extract_host(value).strip()
    if host.startswith("["):
        host = host[1:-1]
    literal = parse_literal_ip(host)
    if literal is not None:
        return str(literal)
    try:
        return host_name(host)
    except NotAName as exc:
        raise ValueError(str(exc)) from None


def target(params: Params) -> str:
    return params.domain


def literal_targets(params: Params) -> list[tuple[str, str]]:
    return [("domain", params.domain)]
