"""Registration values as the store keeps them, whatever sent them.

Redaction markers ("REDACTED FOR PRIVACY", "Data Protected", "Not Disclosed", ...) become
empty values: they say nothing about who registered a domain, and kept as a registrant
name they would make every redacted domain look like one owner's. E-mail addresses of
privacy proxies are kept (they still group a proxy customer's domains) but flagged.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import idna

from jobs.registrations.models import TRACKED, join_list


class Rejected(ValueError):
    """A row that cannot become a record; the message says why."""


# Whole values that only say "hidden" (compared lower-case, punctuation trimmed).
REDACTED_VALUES = frozenset({
    "redacted", "redacted for privacy", "redacted for gdpr", "redacted for privacy purposes",
    "data protected", "data protected, not disclosed", "not disclosed", "not disclosed!",
    "non-public data", "withheld for privacy", "withheld", "private", "privacy",
    "statutory masking enabled", "gdpr masked", "gdpr redacted", "hidden", "masked",
    "none", "n/a", "na", "-", "not available", "not applicable", "contact privacy",
    "identity protection service", "private person", "private registrant",
    "whois privacy", "registration private", "data redacted", "redacted by registry",
})
# Phrases that mark a value as a redaction wherever they appear in it.
REDACTED_PHRASES = re.compile(
    r"redacted for privacy|data protected|not disclosed|gdpr|please query the rdds|"
    r"please query the whois|select request email form|non-public data|"
    r"withheld for privacy|statutory masking|redacted by|privacy service provided by",
    re.IGNORECASE)
# Domains of privacy-proxy mailboxes (and words that give one away).
PROXY_DOMAINS = frozenset({
    "domainsbyproxy.com", "contactprivacy.com", "whoisguard.com", "withheldforprivacy.com",
    "privacyprotect.org", "whoisprivacyprotect.com", "proxy.dreamhost.com",
    "perfectprivacy.com", "domainprivacygroup.com", "protecteddomainservices.com",
    "privacyguardian.org", "anonymize.com", "identity-protect.org", "whoisprotectservice.net",
    "whoisprivacycorp.com", "myprivacy.net", "privacy-link.com", "namecheap-privacy.com",
    "1und1-privacy.de", "privatewho.is", "whoisproxy.org", "gname-privacy.com",
    "domainprivacy.ca", "web-domain-privacy.com", "dynadot-privacy.com", "registrar-privacy.com",
})
PROXY_WORDS = ("privacy", "proxy", "whoisguard", "protect", "anonymis", "anonymiz", "redacted")
# Every redaction phrase holds one of these; the regex runs only when one is present.
MARKER_HINTS = ("redact", "protect", "disclos", "gdpr", "query", "request", "non-public",
                "withheld", "masking", "privacy")
MARKER_HINT = re.compile("|".join(map(re.escape, MARKER_HINTS)))
# Bulk files repeat the same registrars, companies, countries and dates on millions of
# rows: normalised values are remembered (bounded) so each distinct one is worked out once.
CACHE = 1 << 17
DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
DATE_FORMATS = ("%d-%b-%Y", "%Y.%m.%d", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%Y", "%Y%m%d",
                "%b %d %Y", "%d %b %Y")


def text(value) -> str:
    """A display value: stripped, redaction markers emptied."""
    if value is None or value == "":
        return ""
    return _text(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=CACHE)
def _text(value: str) -> str:
    value = value.strip()
    lowered = value.lower()
    if lowered.strip(" .:;!*") in REDACTED_VALUES:
        return ""
    if MARKER_HINT.search(lowered) and REDACTED_PHRASES.search(value):
        return ""
    return value


def email(value) -> tuple[str, bool]:
    """(address lower-cased, is a privacy proxy); a web form or marker gives ("", False)."""
    value = text(value).lower().removeprefix("mailto:")
    if "@" not in value or " " in value:
        return "", False
    return value, _proxy(value.rpartition("@")[2]) or any(w in value for w in PROXY_WORDS)


@lru_cache(maxsize=CACHE)
def _proxy(mailbox_domain: str) -> bool:
    return mailbox_domain in PROXY_DOMAINS


def domain(value) -> str:
    """The domain in ASCII, lower-case, without a trailing dot; Rejected if not one."""
    name = str(value or "").strip().rstrip(".").lower()
    if not name:
        raise Rejected("no domain")
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError:
            raise Rejected(f"not a domain name: {value!r}") from None
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or not all(DOMAIN_LABEL.match(x) for x in labels):
        raise Rejected(f"not a domain name: {str(value)[:80]!r}")
    return name


def date(value) -> dt.date | None:
    """A date from ISO 8601 (date or timestamp) or a few common WHOIS spellings."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    return _date(str(value))


@lru_cache(maxsize=CACHE)
def _date(value: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    if ISO_DATE.match(value):
        try:
            return dt.date(int(value[:4]), int(value[5:7]), int(value[8:10]))
        except ValueError:
            raise Rejected(f"not a date: {value[:40]!r}") from None
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value.split(" (")[0].replace(" UTC", ""), pattern).date()
        except ValueError:
            continue
    raise Rejected(f"not a date: {value[:40]!r}")


def items(value) -> list[str]:
    """A list from a list, or from text separated by ``|``, ``,``, ``;`` or spaces."""
    if value is None:
        return []
    if isinstance(value, str):
        return list(_items(value))
    return [str(v).strip().lower().rstrip(".") for v in value if str(v).strip()]


@lru_cache(maxsize=CACHE)
def _items(value: str) -> tuple[str, ...]:
    return tuple(v.lower().rstrip(".") for v in re.split(r"[|,;\s]+", value) if v)


def statuses(value) -> list[str]:
    """EPP status codes without their explanatory URLs ("clientHold https://icann.org/...")."""
    if isinstance(value, str):
        return list(_statuses(value))
    return _status_codes(value)


@lru_cache(maxsize=1024)
def _statuses(value: str) -> tuple[str, ...]:
    return tuple(_status_codes(re.split(r"[|,;]+", value)))


def _status_codes(value) -> list[str]:
    out = []
    for status in value or []:
        code = str(status).strip().split(" ")[0].lower()
        if code and not code.startswith("http") and code not in out:
            out.append(code)
    return out


def record(values: dict) -> dict:
    """A store row (column -> value) from canonical API field names; Rejected if unusable."""
    if "_bad" in values:
        raise Rejected(values["_bad"])
    name = domain(values.get("domain"))
    address, proxy = email(values.get("registrantEmail"))
    tld = (text(values.get("tld")) or name.rpartition(".")[2]).lower().lstrip(".")
    return {
        "domain": name, "tld": tld,
        "registrar_name": text(values.get("registrarName"))[:255],
        "registrar_iana_id": str(values.get("registrarIanaId") or "").strip()[:16],
        "registrant_name": text(values.get("registrantName"))[:255],
        "registrant_company": text(values.get("registrantCompany"))[:255],
        "registrant_email": address[:255], "email_proxy": proxy,
        "registrant_phone": text(values.get("registrantPhone"))[:64],
        "registrant_country": text(values.get("registrantCountry"))[:64],
        "registrant_city": text(values.get("registrantCity"))[:128],
        "name_servers": join_list(dict.fromkeys(items(values.get("nameServers")))),
        "statuses": join_list(statuses(values.get("domainStatus"))),
        "created_date": date(values.get("createdDate")),
        "updated_date": date(values.get("updatedDate")),
        "expiry_date": date(values.get("expiryDate")),
    }


# --- bulk files ---------------------------------------------------------------------------
# ``row`` is ``record`` for the importer: the same values, as a tuple in ``TRACKED`` order
# with dates as ISO text (what both databases' staging tables take), and each distinct
# value of a field worked out once. Domains are unique per row, so they are not cached.

DOMAIN_NAME = re.compile(r"(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!-)[a-z0-9-]{1,63}(?<!-)")


class _Memo(dict):
    """value -> normalised value; a miss works it out (a hit never leaves C)."""

    def __init__(self, work):
        super().__init__()
        self.work = work

    def __missing__(self, value):
        if len(self) >= CACHE:
            self.clear()
        found = self[value] = self.work(value)
        return found


def _iso(value) -> str | None:
    found = date(value)
    return found.isoformat() if found is not None else None


def _email_cut(value) -> tuple[str, bool]:
    address, proxy = email(value)
    return address[:255], proxy


_tld = _Memo(lambda v: (lambda t: t.lower().lstrip(".") if t else None)(text(v)))
_registrar = _Memo(lambda v: text(v)[:255])
_iana = _Memo(lambda v: str(v or "").strip()[:16])
_name = _Memo(lambda v: text(v)[:255])
_company = _Memo(lambda v: text(v)[:255])
_email = _Memo(_email_cut)
_phone = _Memo(lambda v: text(v)[:64])
_country = _Memo(lambda v: text(v)[:64])
_city = _Memo(lambda v: text(v)[:128])
_servers = _Memo(lambda v: join_list(dict.fromkeys(items(v))))
_status_list = _Memo(lambda v: join_list(statuses(v)))
_day = _Memo(_iso)


def _domain_name(value) -> str:
    if isinstance(value, str):
        name = value.strip().rstrip(".").lower()
        if name.isascii() and len(name) <= 253 and DOMAIN_NAME.fullmatch(name):
            return name
    return domain(value)     # the slow path says why not, or handles IDNs


def row(values: dict[str, str]) -> tuple:
    """``record(values)`` as a tuple in ``TRACKED`` order, dates as ISO text.

    For text values (CSV cells); ``row_of`` takes any (JSON) values.
    """
    if "_bad" in values:
        raise Rejected(values["_bad"])
    get = values.get
    name = _domain_name(get("domain"))
    address, proxy = _email[get("registrantEmail")]
    tld = _tld[get("tld")]      # None: no tld given, the name's own
    return (
        name, name[name.rfind(".") + 1:] if tld is None else tld,
        _registrar[get("registrarName")], _iana[get("registrarIanaId")],
        _name[get("registrantName")], _company[get("registrantCompany")],
        address, _phone[get("registrantPhone")], _country[get("registrantCountry")],
        _city[get("registrantCity")], proxy,
        _servers[get("nameServers")], _status_list[get("domainStatus")],
        _day[get("createdDate")], _day[get("updatedDate")], _day[get("expiryDate")],
    )


def row_of(values: dict) -> tuple:
    """``row`` for values of any type (``1`` and ``True`` are one key to a dict)."""
    found = record(values)
    return tuple(found[c].isoformat() if isinstance(found[c], dt.date) else found[c]
                 for c in TRACKED)


# --- live answers --------------------------------------------------------------------------

RAW_PAIR = re.compile(r"^\s*registrant\s+(phone|city)\s*:\s*(.+?)\s*$", re.I | re.M)


def from_whois(result) -> dict | None:
    """A store row from a ``jobs.net.whois.WhoisResult``; None if it names no registration."""
    fields = result.fields
    if not result.found:
        return None
    extra = {key.lower(): value for key, value in RAW_PAIR.findall(result.raw or "")}
    try:
        return record({
            "domain": result.query, "registrarName": fields.get("registrar"),
            "registrarIanaId": fields.get("registrarIanaId"),
            "registrantName": fields.get("registrantName"),
            "registrantCompany": fields.get("registrantOrganization"),
            "registrantEmail": fields.get("registrantEmail"),
            "registrantCountry": fields.get("registrantCountry"),
            "registrantPhone": extra.get("phone"), "registrantCity": extra.get("city"),
            "nameServers": fields.get("nameServers"), "domainStatus": fields.get("statuses"),
            "createdDate": _lenient_date(fields.get("creationDate")),
            "updatedDate": _lenient_date(fields.get("updatedDate")),
            "expiryDate": _lenient_date(fields.get("expiryDate")),
        })
    except Rejected:
        return None  # an IP address or a handle: nothing to keep


def from_rdap(document: dict) -> dict | None:
    """A store row from an RDAP domain object (RFC 9083)."""
    events = {e.get("eventAction"): e.get("eventDate") for e in document.get("events", [])}
    registrant = _rdap_entity(document, "registrant")
    registrar = _rdap_entity(document, "registrar")
    iana = next((i.get("identifier") for e in document.get("entities", [])
                 if "registrar" in e.get("roles", [])
                 for i in e.get("publicIds", []) if i.get("type") == "IANA Registrar ID"), "")
    try:
        return record({
            "domain": document.get("ldhName") or document.get("unicodeName"),
            "registrarName": registrar.get("fn"), "registrarIanaId": iana,
            "registrantName": registrant.get("fn"), "registrantCompany": registrant.get("org"),
            "registrantEmail": registrant.get("email"), "registrantPhone": registrant.get("tel"),
            "registrantCountry": registrant.get("country"),
            "registrantCity": registrant.get("city"),
            "nameServers": [n.get("ldhName", "") for n in document.get("nameservers", [])],
            "domainStatus": [s.replace(" ", "") for s in document.get("status", [])],
            "createdDate": _lenient_date(events.get("registration")),
            "updatedDate": _lenient_date(events.get("last changed")),
            "expiryDate": _lenient_date(events.get("expiration")),
        })
    except Rejected:
        return None


def _rdap_entity(document: dict, role: str) -> dict:
    for entity in document.get("entities", []):
        if role in entity.get("roles", []):
            return _vcard(entity.get("vcardArray") or [None, []])
    return {}


def _vcard(card: list) -> dict:
    out: dict = {}
    for prop in card[1] if len(card) > 1 else []:
        name, params, _kind, value = (prop + [None] * 4)[:4]
        if name in ("fn", "org", "email", "tel") and name not in out:
            out[name] = value[0] if isinstance(value, list) else value
        elif name == "adr":
            parts = value if isinstance(value, list) else []
            parts = parts + [""] * (7 - len(parts))
            out.setdefault("country", (params or {}).get("cc") or parts[6])
            out.setdefault("city", parts[3])
    if isinstance(out.get("tel"), str):
        out["tel"] = out["tel"].removeprefix("tel:")
    return out


def _lenient_date(value):
    try:
        return date(value)
    except Rejected:
        return None
