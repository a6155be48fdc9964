"""Column layouts of bulk registration files, recognised by their headers.

The table of layouts (canonical, WhoisXML API, WhoisDS, DomainTools-style) and the column
each fills is in the README ("Registration search"); ``LAYOUTS`` below is that table.
Headers are compared without case, spaces, ``_`` or ``-``; other columns are ignored. A
numbered column (``name_server_2``, ``domain_status_1``) adds to its list. The same names
work as JSONL keys (a JSON list counts as a ``|``-separated list).
"""

from __future__ import annotations

import re
from operator import itemgetter

LAYOUTS: dict[str, dict[str, str]] = {
    "canonical": {
        "domain": "domain", "tld": "tld", "registrarName": "registrarName",
        "registrarIanaId": "registrarIanaId", "registrantName": "registrantName",
        "registrantCompany": "registrantCompany", "registrantEmail": "registrantEmail",
        "registrantPhone": "registrantPhone", "registrantCountry": "registrantCountry",
        "registrantCity": "registrantCity", "nameServers": "nameServers",
        "domainStatus": "domainStatus", "createdDate": "createdDate",
        "updatedDate": "updatedDate", "expiryDate": "expiryDate",
    },
    "whoisxmlapi": {
        "domainName": "domain", "registrarIANAID": "registrarIanaId",
        "registrant_name": "registrantName", "registrant_organization": "registrantCompany",
        "registrant_email": "registrantEmail", "registrant_telephone": "registrantPhone",
        "registrant_country": "registrantCountry", "registrant_city": "registrantCity",
        "status": "domainStatus", "standardRegCreatedDate": "createdDate",
        "standardRegUpdatedDate": "updatedDate", "expiresDate": "expiryDate",
        "standardRegExpiresDate": "expiryDate", "contactEmail": "registrantEmail",
    },
    "whoisds": {
        "domain_name": "domain", "create_date": "createdDate", "update_date": "updatedDate",
        "expiry_date": "expiryDate", "domain_registrar_id": "registrarIanaId",
        "domain_registrar_name": "registrarName", "registrant_company": "registrantCompany",
        "registrant_phone": "registrantPhone", "name_server": "nameServers",
        "domain_status": "domainStatus",
    },
    "domaintools": {
        "Domain Name": "domain", "Registrar": "registrarName",
        "Registrar IANA ID": "registrarIanaId", "Registrant Org": "registrantCompany",
        "Registrant Organization": "registrantCompany", "Registrant Telephone": "registrantPhone",
        "Name Servers": "nameServers", "Status": "domainStatus", "Create Date": "createdDate",
        "Update Date": "updatedDate", "Expiration Date": "expiryDate",
    },
}
LIST_TARGETS = ("nameServers", "domainStatus")
NUMBERED = re.compile(r"^(.*?)(\d+)$")


def key(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", header).lower()


ALIASES: dict[str, str] = {key(header): name for layout in LAYOUTS.values()
                           for header, name in layout.items()}


def resolve(headers: list[str]) -> tuple[str, list[str | None]]:
    """(layout name, the field each column feeds or None); ValueError without a domain."""
    fields = [field(h) for h in headers]
    if "domain" not in fields:
        raise ValueError("no domain column: expected one of domain, domainName, domain_name, "
                         "Domain Name")
    scores = {name: sum(h in layout for h in headers) for name, layout in LAYOUTS.items()}
    return max(scores, key=scores.get), fields


def field(header: str) -> str | None:
    found = ALIASES.get(key(header))
    if found:
        return found
    numbered = NUMBERED.match(key(header))
    if numbered and ALIASES.get(numbered.group(1)) in LIST_TARGETS:
        return ALIASES[numbered.group(1)]
    return None


def gatherer(fields: list[str | None]):
    """``gather`` with ``fields`` bound, for the rows of one file.

    When no field has two columns, a row is the named cells as they are: an empty cell
    means what a missing one does to ``normalize``.
    """
    named = [(i, name) for i, name in enumerate(fields) if name is not None]
    names = [name for _, name in named]
    if len(set(names)) < len(names) or len(names) < 2:
        return lambda values: gather(fields, values)
    pick = itemgetter(*(i for i, _ in named))
    return lambda values: dict(zip(names, pick(values), strict=True))


def gather(fields: list[str | None], values: list) -> dict:
    """Canonical values of one row; list columns collect every non-empty cell."""
    out: dict = {}
    for name, value in zip(fields, values, strict=False):
        if name is None or value is None or value == "":
            continue
        if name in LIST_TARGETS and name in out:
            out[name] = f"{out[name]}|{value}"
        else:
            out.setdefault(name, value)
    return out
