"""Writing records: one bulk upsert per batch, with history, on either database.

A batch goes into a temporary staging table (``COPY`` on PostgreSQL, ``executemany`` on
SQLite), then two statements do the rest in the database: one keeps the current state
of every record the batch changes as a ``RegistrationVersion``, one upserts. A value the
batch does not know (empty) never erases one the store has, so a WHOIS answer and an
RDAP answer for the same domain merge into one record. A batch of domains that are all
new (a fresh bulk load) is inserted as it is instead, when the caller expects that.
"""

from __future__ import annotations

import threading
from datetime import date, datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jobs.registrations import normalize
from jobs.registrations.models import DATE_FIELDS, TRACKED

TABLE = "jobs_registration"
STAGE = "registration_stage"
TEXT_COLUMNS = tuple(c for c in TRACKED if c != "email_proxy" and c not in DATE_FIELDS.values())
DATE_COLUMNS = tuple(DATE_FIELDS.values())
SAVE_ORDER = ("rdap", "whois")


def registrations_upsert(rows: list[dict], *, organization_id: int | None, source: str,
                         now: datetime | None = None) -> tuple[int, int]:
    """Store normalised rows (``normalize.record``); returns (inserted, updated).

    Rows for the same domain within the batch are merged first, later values winning.
    """
    return registrations_upsert_rows(
        [tuple(_stage_value(row[c]) for c in TRACKED) for row in rows],
        organization_id=organization_id, source=source, now=now)


def registrations_upsert_rows(rows: list[tuple], *, organization_id: int | None, source: str,
                              now: datetime | None = None,
                              expect_new: bool = False) -> tuple[int, int]:
    """``registrations_upsert`` for rows already in staging form (``normalize.row``):
    tuples in ``TRACKED`` order, dates as ISO text.

    ``expect_new``: first try to insert the batch as it is, which a fresh load's batches
    (no domain in the store yet) do at the cost of writing them once; a domain already
    stored undoes the attempt and the batch goes the staged way.
    """
    rows = list(_merge_by_domain(rows).values())
    if not rows:
        return 0, 0
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        _tune(cursor)
        if expect_new and _insert_new(cursor, rows, organization_id, source, now):
            return len(rows), 0
        _stage(cursor, rows)
        match = _match(organization_id)
        cursor.execute(f"SELECT count(*) FROM {STAGE} s JOIN {TABLE} r ON {match}", [])
        updated = cursor.fetchone()[0]
        if updated:   # nothing to keep a version of when every domain is new
            cursor.execute(_history_sql(match), [now])
        cursor.execute(_upsert_sql(organization_id), [source, now, now, organization_id])
    return len(rows) - updated, updated


def _insert_new(cursor, rows: list[tuple], organization_id, source: str, now) -> bool:
    """Insert rows whose domains are all new; False (and nothing written) if one is not."""
    columns = (*TRACKED, "source", "first_seen", "last_seen", "organization_id")
    extra = (source, now, now, organization_id)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with (connection.wrap_database_errors,
                      cursor.cursor.copy(f"COPY {TABLE} ({', '.join(columns)}) FROM STDIN")
                      as copy):
                    for row in rows:
                        copy.write_row(row + extra)
            else:
                # The text the driver would make of ``now`` on every row, made once.
                extra = (source, now.isoformat(" "), now.isoformat(" "), organization_id)
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {TABLE} ({', '.join(columns)}) "
                                   f"VALUES ({marks})", [row + extra for row in rows])
    except IntegrityError:
        return False
    return True


def _tune(cursor) -> None:
    """Room for a batch's index updates: they dominate the cost of a bulk upsert."""
    if connection.vendor == "postgresql":
        # GIN trigram entries go to the pending list and are merged in bulk, not one by one.
        cursor.execute("SET LOCAL gin_pending_list_limit = '64MB'")
    else:
        cursor.execute("PRAGMA cache_size = -131072")   # 128 MB of pages for the indexes


def _merge_by_domain(rows: list[tuple]) -> dict[str, tuple]:
    merged: dict[str, tuple] = {}
    for row in rows:
        known = merged.get(row[0])
        merged[row[0]] = row if known is None else tuple(
            value if value not in ("", None, False) else old
            for value, old in zip(row, known, strict=True))
    return merged


def _stage(cursor, rows: list[tuple]) -> None:
    if connection.vendor == "postgresql":
        types = {c: "date" if c in DATE_COLUMNS else "boolean" if c == "email_proxy" else "text"
                 for c in TRACKED}
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ("
                       + ", ".join(f"{c} {t}" for c, t in types.items()) + ")")
        cursor.execute(f"TRUNCATE {STAGE}")
        with cursor.cursor.copy(f"COPY {STAGE} ({', '.join(TRACKED)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        # Without statistics the planner takes the batch for a big table and joins it to
        # the store by scanning the store: a batch would cost the whole table's size.
        cursor.execute(f"ANALYZE {STAGE}")
        return
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ({', '.join(TRACKED)})")
    cursor.execute(f"DELETE FROM {STAGE}")
    marks = ", ".join(["%s"] * len(TRACKED))
    cursor.executemany(f"INSERT INTO {STAGE} VALUES ({marks})", rows)


def _stage_value(value):
    return value.isoformat() if isinstance(value, date) else value


def _match(organization_id: int | None) -> str:
    scope = ("r.organization_id IS NULL" if organization_id is None
             else f"r.organization_id = {int(organization_id)}")
    return f"r.domain = s.domain AND {scope}"


def _merged(column: str, new: str = "s", old: str = "r") -> str:
    """The value a column takes: the new one unless it is empty."""
    if column in DATE_COLUMNS:
        return f"COALESCE({new}.{column}, {old}.{column})"
    if column == "email_proxy":
        return (f"CASE WHEN {new}.registrant_email <> '' THEN {new}.email_proxy "
                f"ELSE {old}.email_proxy END")
    return f"COALESCE(NULLIF({new}.{column}, ''), {old}.{column})"


def _history_sql(match: str) -> str:
    postgres = connection.vendor == "postgresql"
    differs = " IS DISTINCT FROM " if postgres else " IS NOT "
    changed = " OR ".join(f"({_merged(c)}){differs}r.{c}" for c in TRACKED)
    build = "jsonb_build_object" if postgres else "json_object"
    values = ", ".join(f"'{c}', r.{c}" for c in TRACKED)
    return ("INSERT INTO jobs_registrationversion "
            "(registration_id, replaced_at, source, \"values\") "
            f"SELECT r.id, %s, r.source, {build}({values}) "
            f"FROM {STAGE} s JOIN {TABLE} r ON {match} WHERE {changed}")


def _upsert_sql(organization_id: int | None) -> str:
    columns = ", ".join(TRACKED)
    target = ("(domain) WHERE organization_id IS NULL" if organization_id is None
              else "(organization_id, domain) WHERE organization_id IS NOT NULL")
    updates = ", ".join(f"{c} = {_merged(c, 'excluded', TABLE)}" for c in TRACKED)
    source = (f"CASE WHEN ',' || {TABLE}.source || ',' LIKE '%%,' || excluded.source || ',%%' "
              f"THEN {TABLE}.source ELSE {TABLE}.source || ',' || excluded.source END")
    return (f"INSERT INTO {TABLE} ({columns}, source, first_seen, last_seen, organization_id) "
            f"SELECT {columns}, %s, %s, %s, %s FROM {STAGE} WHERE true "
            f"ON CONFLICT {target} DO UPDATE SET {updates}, source = {source}, "
            f"last_seen = excluded.last_seen")


class RegistrationRecorder:
    """Collects what a job's WHOIS (and RDAP) answers said; ``save()`` stores it.

    Called from the job's event loop or threads, so it only buffers in memory; the
    runner saves once when the job ends, visible to the job's organization only.
    """

    def __init__(self, organization_id: int):
        self.organization_id = organization_id
        self._rows: dict[tuple[str, str], dict] = {}
        self._lock = threading.Lock()

    def __call__(self, result) -> None:
        self._keep("whois", normalize.from_whois(result))

    def rdap(self, document: dict) -> None:
        # A registry's answer and the registrar's it links to: one record, the first
        # one's gaps filled from the second (the order ``RdapClient`` asks them in).
        self._keep("rdap", normalize.from_rdap(document), fill=True)

    def _keep(self, source: str, row: dict | None, *, fill: bool = False) -> None:
        if row:
            with self._lock:
                earlier = self._rows.get((source, row["domain"])) if fill else None
                if earlier is not None:
                    kept = {k: v for k, v in earlier.items() if v}
                    if earlier.get("registrant_email"):   # the flag goes with its e-mail
                        kept["email_proxy"] = earlier["email_proxy"]
                    row = {**row, **kept}
                self._rows[(source, row["domain"])] = row

    def __len__(self) -> int:
        return len(self._rows)

    def save(self) -> int:
        with self._lock:
            rows, self._rows = self._rows, {}
        # RDAP first, WHOIS second: where both give a value WHOIS's stays, as the
        # operations' results show it (WHOIS's answer, its gaps filled from RDAP).
        for source in sorted({s for s, _ in rows}, key=SAVE_ORDER.index):
            registrations_upsert([r for (s, _), r in rows.items() if s == source],
                                 organization_id=self.organization_id, source=source)
        return len(rows)
