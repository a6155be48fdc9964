"""The search language and its SQL: ``field:value`` terms, ``*`` wildcards, date ranges.

``parse`` turns the ``query`` text into terms (``registrantCompany:"Acme Corp"
nameServer:ns1.*``; a bare word is a domain pattern) and raises ``QueryError`` naming
the problem. ``compile_terms`` turns terms into a WHERE clause each database answers
from an index: a B-tree on ``lower(col)`` for exact values and prefixes (a range on
SQLite, whose LIKE cannot use an expression index), pg_trgm GIN or the FTS5 trigram
table for wildcards elsewhere. A leading wildcard on a registrant name or company is
first matched against the table of distinct values, and becomes a list of exact values.
Matching is case-insensitive.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import connection

from jobs.registrations.indexes import (
    BTREE,
    FTS_TABLE,
    NAME_SERVER_TABLE,
    STORED_LOWER,
    TRIGRAM,
    VALUE_COLUMNS,
    VALUE_TABLE,
)
from jobs.registrations.models import DATE_FIELDS, LIST_FIELDS, TEXT_FIELDS

RANGES = {f"{stem}{side}": (column, op)
          for stem, column in (("created", "created_date"), ("updated", "updated_date"),
                               ("expiry", "expiry_date"))
          for side, op in (("After", ">="), ("Before", "<="))}
FIELDS = {**TEXT_FIELDS, **LIST_FIELDS, **DATE_FIELDS, **{k: v[0] for k, v in RANGES.items()}}
# Shorter names people type; each maps to an API field name.
SYNONYMS = {"email": "registrantEmail", "registrant": "registrantName",
            "company": "registrantCompany", "organization": "registrantCompany",
            "org": "registrantCompany", "registrar": "registrarName", "ns": "nameServer",
            "nameservers": "nameServer", "status": "domainStatus", "phone": "registrantPhone",
            "country": "registrantCountry", "city": "registrantCity",
            "created": "createdDate", "updated": "updatedDate", "expiry": "expiryDate",
            "expires": "expiryDate", "ianaid": "registrarIanaId"}
_BY_KEY = {**{name.lower(): name for name in FIELDS}, **SYNONYMS}
TOKEN = re.compile(r'\s*(?:([A-Za-z_]+):)?(?:"((?:[^"\\]|\\.)*)"|(\S+))')
MIN_TRIGRAM = 3
# A leading-wildcard pattern on a name or company matching this many distinct values or
# fewer is looked up value by value; past it, through the records' trigram index.
VALUE_CAP = 2_000


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class Term:
    field: str      # an API field name (or a range name such as createdAfter)
    value: str


def field_name(name: str) -> str:
    found = _BY_KEY.get(name.lower().replace("_", ""))
    if not found:
        raise QueryError(f"unknown field {name!r}; known fields: {', '.join(FIELDS)}")
    return found


def parse(text: str) -> list[Term]:
    """Terms of a ``query``; every term must match (AND). ``AND`` between terms is allowed."""
    terms, position = [], 0
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise QueryError(f"cannot read the query from {text[position:][:30]!r}")
        name, quoted, bare = match.groups()
        if bare is not None and bare.startswith('"'):
            raise QueryError(f"unclosed quote in {text[position:].strip()[:30]!r}")
        position = match.end()
        if name is None and bare == "AND":
            continue
        value = quoted.replace('\\"', '"') if quoted is not None else bare
        if name is None and bare is not None and bare.endswith(":"):
            raise QueryError(f"no value after {bare!r}")
        terms.append(term(field_name(name) if name else "domain", value))
    if not terms:
        raise QueryError("the query is empty")
    return terms


def term(field: str, value: str) -> Term:
    """A checked term: dates are YYYY-MM-DD, patterns are more than wildcards."""
    value = value.strip()
    if not value:
        raise QueryError(f"{field}: empty value")
    if field in DATE_FIELDS or field in RANGES:
        if "*" in value:
            raise QueryError(f"{field}: dates take no wildcards; use {field_range_hint(field)}")
        try:
            dt.date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else 1 / 0
        except (ValueError, ZeroDivisionError):
            raise QueryError(f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None
    elif not value.replace("*", ""):
        raise QueryError(f"{field}: a value of only wildcards would match everything")
    return Term(field, value)


def field_range_hint(field: str) -> str:
    stem = field.removesuffix("Date").removesuffix("After").removesuffix("Before")
    return f"{stem}After / {stem}Before"


# --- SQL -----------------------------------------------------------------------------------


@dataclass
class Where:
    sql: str
    params: list
    anywhere: bool = False   # a pattern with a leading wildcard (a trigram search)
    # ... and each such pattern's column has a covering B-tree to read in order.
    covered: bool = False
    # PostgreSQL, one exact name server and nothing else: the finder reads the ids from
    # the name-server table alone.
    name_server: str | None = None
    # SQLite: a condition names the FTS5 table, which the finder joins to the records.
    fts: bool = False


def compile_terms(terms: list[Term]) -> Where:
    """The terms' conditions, AND-ed; which records are visible is the finder's part."""
    clauses: list[str] = []
    params: list = []
    patterns: list[Term] = []
    for item in terms:
        found = _known_values(item)
        if found is None:
            found = _clause(item)
            patterns += [item] if _trigram_pattern(item) else []
        clauses.append(found[0])
        params += found[1]
    only = terms[0] if len(terms) == 1 and _name_server_exact(terms[0]) else None
    sql = " AND ".join(clauses)
    return Where(sql, params, bool(patterns),
                 covered=bool(patterns) and all(
                     TEXT_FIELDS.get(item.field) in BTREE for item in patterns),
                 name_server=only.value.lower() if only else None,
                 fts=f"{FTS_TABLE}." in sql)


def _trigram_pattern(item: Term) -> bool:
    """A wildcard before the value's first letter, on a column with a trigram index."""
    column = TEXT_FIELDS.get(item.field) or LIST_FIELDS.get(item.field)
    return column in TRIGRAM and item.value.startswith("*") or (
        item.field in LIST_FIELDS and column in TRIGRAM and "*" in item.value)


def _known_values(item: Term) -> tuple[str, list] | None:
    """A leading wildcard on a name or company: the distinct values that match (from
    their own table, see ``jobs.registrations.indexes``), then their records exactly
    through the column's B-tree. None when too many values match."""
    column = TEXT_FIELDS.get(item.field)
    if column not in VALUE_COLUMNS or not item.value.startswith("*"):
        return None
    with connection.cursor() as cursor:
        # Inlined, the column lets PostgreSQL match its partial trigram index.
        cursor.execute(f"SELECT value FROM {VALUE_TABLE} WHERE field = '{column}' "
                       "AND value LIKE %s ESCAPE '\\' LIMIT %s",
                       [_like(item.value.lower()), VALUE_CAP + 1])
        values = [row[0] for row in cursor.fetchall()]
    if len(values) > VALUE_CAP:
        return None
    if connection.vendor == "postgresql":
        return f"lower(r.{column}) = ANY(%s)", [values]
    return f"lower(r.{column}) IN ({', '.join(['%s'] * len(values))})", values


def _name_server_exact(item: Term) -> bool:
    return item.field == "nameServer" and "*" not in item.value and \
        connection.vendor == "postgresql"


def _clause(item: Term) -> tuple[str, list]:
    if item.field in RANGES:
        column, op = RANGES[item.field]
        return f"r.{column} {op} %s", [dt.date.fromisoformat(item.value)]
    if item.field in DATE_FIELDS:
        return f"r.{DATE_FIELDS[item.field]} = %s", [dt.date.fromisoformat(item.value)]
    value = item.value.lower()
    if item.field in LIST_FIELDS:
        if _name_server_exact(item):
            return (f"EXISTS (SELECT 1 FROM {NAME_SERVER_TABLE} s WHERE s.registration_id = r.id "
                    "AND s.name_server = %s)", [value])
        return _anywhere(LIST_FIELDS[item.field], f"%|{_like(value)}|%")
    column = TEXT_FIELDS[item.field]
    expr = column if column in STORED_LOWER else f"lower(r.{column})"
    expr = f"r.{column}" if column in STORED_LOWER else expr
    if "*" not in value:
        return f"{expr} = %s", [value]
    prefix = value.split("*", 1)[0]
    pattern = _like(value)
    if prefix:
        if connection.vendor == "postgresql":
            return f"{expr} LIKE %s ESCAPE '\\'", [pattern]
        # SQLite's LIKE cannot use an expression index: bound the prefix as a range.
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return f"{expr} >= %s AND {expr} < %s AND {expr} LIKE %s ESCAPE '\\'", [
            prefix, upper, pattern]
    return _anywhere(column, pattern)


def _anywhere(column: str, pattern: str) -> tuple[str, list]:
    """A pattern with a leading wildcard: the trigram index when the column has one."""
    if connection.vendor == "postgresql" or column not in TRIGRAM:
        expr = f"r.{column}" if column in STORED_LOWER else f"lower(r.{column})"
        return f"{expr} LIKE %s ESCAPE '\\'", [pattern]
    literal = max(re.split(r"(?<!\\)[%_]", pattern), key=len).replace("\\", "")
    if len(literal) < MIN_TRIGRAM:   # too short for trigrams: scan
        return f"lower(r.{column}) LIKE %s ESCAPE '\\'", [pattern]
    # FTS5 answers LIKE from its trigrams only without an ESCAPE clause. The finder joins
    # the FTS5 table: its matches then stream in rowid order and a search stops at its
    # bound, where ``r.id IN (SELECT rowid ...)`` would gather every match first.
    escape = " ESCAPE '\\'" if "\\" in pattern else ""
    return f"{FTS_TABLE}.{column} LIKE %s{escape}", [pattern]


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")
