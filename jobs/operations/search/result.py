"""The published ``SearchResponse``: ``items`` of ``DomainItem``, with paging."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

_CONFIG = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class DomainItem(BaseModel):
    model_config = _CONFIG

    domain: str
    tld: str = ""
    registrar_name: str = ""
    registrar_iana_id: str = ""
    registrant_name: str = ""
    registrant_company: str = ""
    registrant_email: str = ""
    registrant_email_privacy_proxy: bool = Field(
        False, description="Our addition: the e-mail is a privacy proxy's mailbox.")
    registrant_phone: str = ""
    registrant_country: str = ""
    registrant_city: str = ""
    name_servers: list[str] = []
    domain_status: list[str] = []
    created_date: str | None = None
    updated_date: str | None = None
    expiry_date: str | None = None
    source: str = Field("", description="Our addition: whois, rdap, import (comma-separated).")
    first_seen: str | None = None
    last_seen: str | None = None


class Result(BaseModel):
    model_config = _CONFIG

    source: Literal["whois"] = "whois"
    query_type: Literal["registration_data"] = "registration_data"
    items: list[DomainItem]
    total: int
    page_number: int
    page_size: int
    total_pages: int
    total_estimated: bool = Field(
        False, description="Our addition: true when more matched than were counted exactly; "
                           "total is then an estimate.")
