"""Registration-data search: domains by registrant, registrar, name server or dates.

Runs against the organization's view of the registration store (imported records and
those its own jobs learned), never the network.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from jobs.operations.base import Context, OperationError
from jobs.operations.search import finder, query
from jobs.operations.search.result import DomainItem, Result
from jobs.registrations.models import DATE_FIELDS, LIST_FIELDS, TEXT_FIELDS, Registration

TIMEOUT = 120
_CONFIG = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
NAMED = [name for name in (*TEXT_FIELDS, *LIST_FIELDS, *DATE_FIELDS, *query.RANGES)
         if name != "domain"]
_PATTERN = "`*` matches any run of characters; case does not matter."


def _text(description: str) -> Any:
    return Field(None, description=f"{description} {_PATTERN}")


def _date(description: str) -> Any:
    return Field(None, description=f"{description} (YYYY-MM-DD).")


class Params(BaseModel):
    model_config = _CONFIG

    query: str | None = Field(
        None, description='field:value terms, all of which must match, e.g. '
                          'registrantCompany:"Acme Corp" nameServer:ns1.*  (a bare word is a '
                          'domain pattern). With `field`, the whole text is that field\'s value.')
    field: str | None = Field(None, description="The field `query` is a value of.")
    tld: str | None = _text("Top-level domain, e.g. com.")
    registrar_name: str | None = _text("Registrar name.")
    registrar_iana_id: str | None = _text("Registrar IANA id.")
    registrant_name: str | None = _text("Registrant name.")
    registrant_company: str | None = _text("Registrant organization.")
    registrant_email: str | None = _text("Registrant e-mail.")
    registrant_phone: str | None = _text("Registrant phone.")
    registrant_country: str | None = _text("Registrant country.")
    registrant_city: str | None = _text("Registrant city.")
    name_server: str | None = _text("A name server of the domain.")
    domain_status: str | None = _text("An EPP status, e.g. clientHold.")
    created_date: str | None = _date("Created on")
    updated_date: str | None = _date("Updated on")
    expiry_date: str | None = _date("Expires on")
    created_after: str | None = _date("Our addition: created on or after")
    created_before: str | None = _date("Our addition: created on or before")
    updated_after: str | None = _date("Our addition: updated on or after")
    updated_before: str | None = _date("Our addition: updated on or before")
    expiry_after: str | None = _date("Our addition: expires on or after")
    expiry_before: str | None = _date("Our addition: expires on or before")
    limit: int = Field(100, ge=1, le=100, description="Records per page.")
    page: int = Field(0, ge=0, description="Page number, from 0.")
    offset: int | None = Field(None, ge=0, description="Records to skip (instead of page).")

    @field_validator("query")
    @classmethod
    def readable_query(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("the query is empty")
        return value

    @model_validator(mode="after")
    def criteria_make_sense(self) -> Params:
        try:
            self.terms()
        except query.QueryError as exc:
            raise ValueError(str(exc)) from None
        return self

    def terms(self) -> list[query.Term]:
        """Every criterion as terms; QueryError says what is wrong."""
        terms: list[query.Term] = []
        if self.field is not None:
            if self.query is None:
                raise query.QueryError("field needs a query: the value to look for")
            name = query.field_name(self.field)
            terms.append(query.term(name, self.query.strip().strip('"')))
        elif self.query is not None:
            terms += query.parse(self.query)
        for name in NAMED:
            value = getattr(self, _snake(name))
            if value is not None:
                terms.append(query.term(name, str(value)))
        if not terms:
            raise query.QueryError("at least one criterion is needed: query, or a field such "
                                   "as registrantEmail, nameServer or createdAfter")
        return terms

    @property
    def start(self) -> int:
        return self.offset if self.offset is not None else self.page * self.limit


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def target(params: Params) -> str:
    return " ".join(f"{t.field}:{t.value}" for t in params.terms())[:255]


def run(params: Params, ctx: Context) -> Result:
    ctx.progress(0, 1, "Searching registration records")
    try:
        page = finder.search(params.terms(), organization_id=ctx.organization_id,
                             limit=params.limit, offset=params.start)
    except query.QueryError as exc:  # params were checked at submission; kept for reruns
        raise OperationError("INVALID_QUERY", str(exc)) from None
    ctx.progress(1, 1, f"{page.total} matching records")
    return Result(items=[item(r) for r in page.records], total=page.total,
                  page_number=params.start // params.limit, page_size=params.limit,
                  total_pages=finder.total_pages(page.total, params.limit),
                  total_estimated=page.estimated)


def item(record: Registration) -> DomainItem:
    def day(value):
        return value.isoformat() if value else None

    return DomainItem(
        domain=record.domain, tld=record.tld, registrar_name=record.registrar_name,
        registrar_iana_id=record.registrar_iana_id, registrant_name=record.registrant_name,
        registrant_company=record.registrant_company, registrant_email=record.registrant_email,
        registrant_email_privacy_proxy=record.email_proxy,
        registrant_phone=record.registrant_phone, registrant_country=record.registrant_country,
        registrant_city=record.registrant_city, name_servers=record.name_server_list,
        domain_status=record.status_list, created_date=day(record.created_date),
        updated_date=day(record.updated_date), expiry_date=day(record.expiry_date),
        source=record.source, first_seen=_moment(record.first_seen),
        last_seen=_moment(record.last_seen))


def _moment(value) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z" \
        if value else None
