"""Reading an RDAP domain object (RFC 9083): the values WHOIS results carry.

``fields(document)`` names them as ``jobs.net.whois`` does (camelCase), so an operation
can show either answer, or one filling the other's gaps (``fill_gaps``).
"""

from __future__ import annotations

from typing import Any

from jobs.net.whois import normalise_date

EVENT_FIELDS = {"registration": "creationDate", "last changed": "updatedDate",
                "expiration": "expiryDate"}


def fields(document: dict) -> dict:
    """The values of a domain object, named as ``jobs.net.whois`` names them."""
    out: dict[str, Any] = {"registrar": None, "registrarIanaId": None, "creationDate": None,
                           "updatedDate": None, "expiryDate": None, "registrantName": None,
                           "registrantOrganization": None, "registrantEmail": None,
                           "registrantCountry": None, "dnssec": None,
                           "nameServers": [], "statuses": []}
    for event in objects_in(document.get("events")):
        name = EVENT_FIELDS.get(str(event.get("eventAction", "")).lower())
        if name and event.get("eventDate") and out[name] is None:
            out[name] = normalise_date(str(event["eventDate"]))
    registrar = entity(document, "registrar")
    out["registrar"] = registrar.get("org") or registrar.get("fn")
    out["registrarIanaId"] = registrar.get("ianaId")
    registrant = entity(document, "registrant")
    out["registrantName"] = registrant.get("fn")
    out["registrantOrganization"] = registrant.get("org")
    out["registrantEmail"] = registrant.get("email")
    out["registrantCountry"] = registrant.get("country")
    out["nameServers"] = [str(ns["ldhName"]).lower().rstrip(".")
                          for ns in objects_in(document.get("nameservers")) if ns.get("ldhName")]
    out["statuses"] = [_epp_status(s) for s in document.get("status") or []
                       if isinstance(s, str)]
    secure = document.get("secureDNS")
    if isinstance(secure, dict) and "delegationSigned" in secure:
        out["dnssec"] = "signedDelegation" if secure["delegationSigned"] else "unsigned"
    return out


def fill_gaps(first: dict, second: dict) -> tuple[dict, list[str]]:
    """``first`` with its empty values taken from ``second``; also the names filled."""
    merged, filled = dict(first), []
    for name, value in second.items():
        if value and not merged.get(name):
            merged[name] = value
            filled.append(name)
    return merged, filled


def entity(document: dict, role: str) -> dict:
    """fn, org, email, country and ianaId of the first entity with ``role`` (nested too)."""
    for item in _entities(document):
        if role in (item.get("roles") or []):
            card = vcard(item.get("vcardArray"))
            ids = [i.get("identifier") for i in objects_in(item.get("publicIds"))
                   if i.get("type") == "IANA Registrar ID" and i.get("identifier")]
            if ids:
                card["ianaId"] = str(ids[0])
            return card
    return {}


def _entities(holder: dict):
    for item in objects_in(holder.get("entities")):
        yield item
        yield from _entities(item)


def vcard(card: Any) -> dict:
    """fn, org, email, tel and country from a jCard (RFC 7095)."""
    out: dict = {}
    props = card[1] if isinstance(card, list) and len(card) > 1 else []
    for prop in props if isinstance(props, list) else []:
        if not (isinstance(prop, list) and len(prop) >= 4):
            continue
        name, params, value = prop[0], prop[1] if isinstance(prop[1], dict) else {}, prop[3]
        if name in ("fn", "org", "email", "tel") and name not in out:
            text = value[0] if isinstance(value, list) and value else value
            if isinstance(text, str) and text.strip():
                out[name] = text.strip().removeprefix("tel:")
        elif name == "adr" and "country" not in out:
            parts = value if isinstance(value, list) else []
            country = params.get("cc") or (parts[6] if len(parts) > 6 else "")
            if isinstance(country, str) and country.strip():
                out["country"] = country.strip()
    return out


EPP_RENAMED = {"active": "ok", "associated": "linked"}


def _epp_status(status: str) -> str:
    """RDAP's "client transfer prohibited" as EPP's clientTransferProhibited (RFC 8056)."""
    if status.strip().lower() in EPP_RENAMED:
        return EPP_RENAMED[status.strip().lower()]
    words = status.split()
    return words[0] + "".join(w.capitalize() for w in words[1:]) if words else status


def objects_in(value: Any) -> list[dict]:
    """The JSON objects in ``value`` when it is a list; nothing otherwise."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
