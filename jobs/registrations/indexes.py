"""The search indexes of the registration store, per database vendor.

Django's portable indexes cannot say ``lower(col) text_pattern_ops`` nor build an FTS5
table, so the migration runs this SQL, each statement only on its own vendor (a no-op
elsewhere). Both vendors get a B-tree on ``lower(col)`` for exact and prefix matches;
wildcards anywhere use pg_trgm GIN indexes on PostgreSQL and, on SQLite, an FTS5 table
with the trigram tokenizer kept in step with ``jobs_registration`` by triggers.
"""

from __future__ import annotations

from django.db import migrations

TABLE = "jobs_registration"
FTS_TABLE = "jobs_registration_fts"
# Exact and prefix matches on lower(col).
BTREE = ("tld", "registrar_name", "registrar_iana_id", "registrant_name", "registrant_company",
         "registrant_email", "registrant_phone", "registrant_country", "registrant_city")
# Wildcards anywhere (infix): a trigram index. ``domain`` and the lists are stored lower-case.
# Each one costs import speed, so only the pivots investigators make: registrars and
# statuses are few distinct values (prefix search and a scan serve them).
TRIGRAM = ("domain", "registrant_name", "registrant_company", "registrant_email",
           "name_servers")
STORED_LOWER = ("domain", "name_servers", "statuses")
# PostgreSQL: one name server exactly. The trigram index serves wildcards; for an exact
# name such as ns1.x-dns12.net it is little use, as nearly every record has its
# trigrams ("ns1", "dns", "net"). See "Name servers" below.
NAME_SERVER_TABLE = "jobs_registration_name_server"


def expression(column: str) -> str:
    return column if column in STORED_LOWER else f"lower({column})"


class VendorSQL(migrations.RunSQL):
    """RunSQL that only runs on one database vendor."""

    def __init__(self, vendor: str, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, args, {**kwargs, "vendor": self.vendor}


def _postgresql() -> list[VendorSQL]:
    ops = [VendorSQL("postgresql", "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                     migrations.RunSQL.noop),
           VendorSQL("postgresql", f"CREATE INDEX registration_domain_pattern ON {TABLE} "
                                   "(domain text_pattern_ops)",
                     "DROP INDEX registration_domain_pattern")]
    for column in BTREE:
        ops.append(VendorSQL(
            "postgresql",
            f"CREATE INDEX registration_{column}_lower ON {TABLE} "
            f"(lower({column}) text_pattern_ops)",
            f"DROP INDEX registration_{column}_lower"))
    for column in TRIGRAM:
        ops.append(VendorSQL(
            "postgresql",
            f"CREATE INDEX registration_{column}_trgm ON {TABLE} "
            f"USING gin ({expression(column)} gin_trgm_ops)",
            f"DROP INDEX registration_{column}_trgm"))
    return ops


def _sqlite() -> list[VendorSQL]:
    ops = [VendorSQL("sqlite", f"CREATE INDEX registration_domain_plain ON {TABLE} (domain)",
                     "DROP INDEX registration_domain_plain")]
    for column in BTREE:
        ops.append(VendorSQL(
            "sqlite", f"CREATE INDEX registration_{column}_lower ON {TABLE} (lower({column}))",
            f"DROP INDEX registration_{column}_lower"))
    columns = ", ".join(TRIGRAM)
    new = ", ".join(f"new.{c}" for c in TRIGRAM)
    old = ", ".join(f"old.{c}" for c in TRIGRAM)
    delete = (f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {columns}) "
              f"VALUES ('delete', old.id, {old});")
    insert = f"INSERT INTO {FTS_TABLE}(rowid, {columns}) VALUES (new.id, {new});"
    ops += [
        VendorSQL("sqlite", f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({columns}, "
                            f"content='{TABLE}', content_rowid='id', tokenize='trigram')",
                  f"DROP TABLE {FTS_TABLE}"),
        VendorSQL("sqlite", f"CREATE TRIGGER registration_fts_ai AFTER INSERT ON {TABLE} "
                            f"BEGIN {insert} END", "DROP TRIGGER registration_fts_ai"),
        VendorSQL("sqlite", f"CREATE TRIGGER registration_fts_ad AFTER DELETE ON {TABLE} "
                            f"BEGIN {delete} END", "DROP TRIGGER registration_fts_ad"),
        VendorSQL("sqlite", f"CREATE TRIGGER registration_fts_au AFTER UPDATE OF {columns} "
                            f"ON {TABLE} BEGIN {delete} {insert} END",
                  "DROP TRIGGER registration_fts_au"),
    ]
    return ops


def operations() -> list[VendorSQL]:
    return [*_postgresql(), *_sqlite()]


# --- set aside during a bulk load --------------------------------------------------------
# Building an index once over a loaded table is many times faster than updating it row by
# row; the unique indexes stay (the upsert needs them). Names match the migration's.

DATE_INDEXES = {"registration_created": "created_date", "registration_updated": "updated_date",
                "registration_expiry": "expiry_date"}
FTS_TRIGGERS = ("registration_fts_ai", "registration_fts_ad", "registration_fts_au")


def deferrable(vendor: str) -> list[tuple[str, str]]:
    """(name, CREATE ... IF NOT EXISTS) of every index a bulk load may set aside."""
    if vendor == "postgresql":
        return [*covering_indexes(), *((f"registration_{c}_trgm",
                f"CREATE INDEX IF NOT EXISTS registration_{c}_trgm ON {TABLE} "
                f"USING gin ({expression(c)} gin_trgm_ops)") for c in TRIGRAM),
                (PLACE_INDEX, place_index()), *NAME_SERVER_INDEXES.items()]
    found = [(name, f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} ({column})")
             for name, column in DATE_INDEXES.items()]
    found.append((PLACE_INDEX, place_index("sqlite")))
    return found + [(f"registration_{c}_lower", f"CREATE INDEX IF NOT EXISTS "
                     f"registration_{c}_lower ON {TABLE} (lower({c}))") for c in BTREE]


# --- PostgreSQL: B-trees that answer a count from the index alone -------------------------
# A search counts up to 10,000 matches and collects their ids before reading any row.
# Read from the table, each match costs a random page visit; an index-only scan reads
# them from the index. So on PostgreSQL the B-trees carry the id and the organization
# (whose records are visible) and, for lower(col), the column itself: PostgreSQL cannot
# take lower(col) from an index on it. Not partial: ANALYZE gathers no statistics on the
# expression of a partial index, and without them the planner guesses 0.5 % for every
# value. Same names as before.

def covering_indexes() -> list[tuple[str, str]]:
    found = [(name, f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} ({column}) "
                    "INCLUDE (id, organization_id)") for name, column in DATE_INDEXES.items()]
    return found + [(f"registration_{c}_lower",
                     f"CREATE INDEX IF NOT EXISTS registration_{c}_lower ON {TABLE} "
                     f"(lower({c}) text_pattern_ops) INCLUDE ({c}, id, organization_id)")
                    for c in BTREE]


# Country, city and registrar are each in a large share of the records (the largest
# country or registrar in a third of them), so a search combining them found few
# records through any one index and checked the others on the table: seconds at 10M
# rows. One B-tree on the three, in that order (equal country and city, then a
# registrar name or prefix), answers such a search, or any leading part of it, from
# the index alone.
PLACE_INDEX = "registration_place_registrar"
PLACE_COLUMNS = ("registrant_country", "registrant_city", "registrar_name")


def place_index(vendor: str = "postgresql") -> str:
    if vendor == "sqlite":   # no operator classes nor INCLUDE; same search, same order
        keys = ", ".join(f"lower({c})" for c in PLACE_COLUMNS)
        return f"CREATE INDEX IF NOT EXISTS {PLACE_INDEX} ON {TABLE} ({keys})"
    keys = ", ".join(f"lower({c}) text_pattern_ops" for c in PLACE_COLUMNS)
    return (f"CREATE INDEX IF NOT EXISTS {PLACE_INDEX} ON {TABLE} ({keys}) "
            f"INCLUDE ({', '.join(PLACE_COLUMNS)}, id, organization_id)")


def sqlite_place_operations() -> list[VendorSQL]:
    """Migration 0015: the index of places and registrars on SQLite too."""
    return [VendorSQL("sqlite", place_index("sqlite"), f"DROP INDEX {PLACE_INDEX}")]


def covering_operations() -> list[VendorSQL]:
    """Migration 0010: the PostgreSQL B-trees above replace the ones of 0009."""
    before = dict([*((name, f"CREATE INDEX {name} ON {TABLE} ({column})")
                     for name, column in DATE_INDEXES.items()),
                   *((f"registration_{c}_lower", f"CREATE INDEX registration_{c}_lower ON "
                      f"{TABLE} (lower({c}) text_pattern_ops)") for c in BTREE)])
    ops = []
    for name, create in covering_indexes():
        ops += [VendorSQL("postgresql", f"DROP INDEX IF EXISTS {name}", before[name]),
                VendorSQL("postgresql", create, f"DROP INDEX IF EXISTS {name}")]
    return ops


def _index_names(cursor, vendor: str) -> set[str]:
    if vendor == "postgresql":
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename IN (%s, %s)",
                       [TABLE, NAME_SERVER_TABLE])
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                       [TABLE])
    return {row[0] for row in cursor.fetchall()}


def _trigger_names(cursor) -> set[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    return {row[0] for row in cursor.fetchall()}


def search_indexes_missing(cursor, vendor: str) -> list[str]:
    """What a bulk load set aside and nothing has put back yet (indexes, SQLite triggers)."""
    existing = _index_names(cursor, vendor)
    missing = [name for name, _create in deferrable(vendor) if name not in existing]
    if vendor == "sqlite":
        triggers = _trigger_names(cursor)
        missing += [name for name in (FTS_TRIGGERS[0], VALUE_TRIGGERS[0])
                    if name not in triggers]
    return missing


def search_indexes_drop(cursor, vendor: str) -> None:
    for name, _create in deferrable(vendor):
        cursor.execute(f"DROP INDEX IF EXISTS {name}")
    if vendor == "sqlite":
        for trigger in (*FTS_TRIGGERS, *VALUE_TRIGGERS):
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")


def search_indexes_create(cursor, vendor: str, *, analyze: bool = True) -> None:
    """Build what ``search_indexes_drop`` set aside; harmless when nothing is missing."""
    existing = _index_names(cursor, vendor)
    missing = [create for name, create in deferrable(vendor) if name not in existing]
    if missing and vendor == "postgresql":
        # Inside a transaction, deferred foreign-key checks would forbid CREATE INDEX.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET maintenance_work_mem = '256MB'")
    for create in missing:
        cursor.execute(create)
    if vendor == "sqlite":
        triggers = _trigger_names(cursor)
        if FTS_TRIGGERS[0] not in triggers:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
            for operation in _sqlite()[-3:]:
                cursor.execute(operation.sql)
        if VALUE_TRIGGERS[0] not in triggers:   # refill the values, then follow writes
            for forward, _reverse in _sqlite_value_sql()[1:]:
                cursor.execute(forward)
    if analyze:   # the planner needs to know the table grew
        cursor.execute(f"ANALYZE {TABLE}")


# --- PostgreSQL: name servers ---------------------------------------------------------
# A record's name servers are one '|'-joined column; searching one of them through a
# GIN index of the list's elements still decodes every posting of a popular name server
# (0.14 s for 580,000 records at 10M) before the first row. So each (name server,
# record) pair is also a row of its own table, whose B-tree gives a search's ids in
# order and from the index alone, like the covering indexes above. Statement triggers
# with transition tables keep it in step with every write, a bulk COPY included, at the
# cost of one INSERT ... SELECT per statement rather than a call per row.

# A record's list holds each name once (``normalize`` drops repeats).
NAME_SERVER_ELEMENTS = ("SELECT n.name, r.id, r.organization_id FROM {rows} r, "
                        "unnest(string_to_array(trim(both '|' from r.name_servers), '|')) "
                        "AS n(name) WHERE n.name <> ''")
NAME_SERVER_INDEXES = {
    "registration_name_server_lookup":
        f"CREATE INDEX IF NOT EXISTS registration_name_server_lookup ON {NAME_SERVER_TABLE} "
        "(name_server, registration_id) INCLUDE (organization_id)",
    "registration_name_server_record":
        f"CREATE INDEX IF NOT EXISTS registration_name_server_record ON {NAME_SERVER_TABLE} "
        "(registration_id)",
}
_NS_COLUMNS = f"{NAME_SERVER_TABLE} (name_server, registration_id, organization_id)"
_NS_TRIGGERS = {
    # name: (event, transition tables, body)
    "registration_ns_insert": ("INSERT", "NEW TABLE AS new_rows",
                               f"INSERT INTO {_NS_COLUMNS} "
                               f"{NAME_SERVER_ELEMENTS.format(rows='new_rows')};"),
    "registration_ns_update": (
        "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "WITH changed AS (SELECT n.* FROM new_rows n JOIN old_rows o USING (id) "
        "WHERE n.name_servers IS DISTINCT FROM o.name_servers "
        "OR n.organization_id IS DISTINCT FROM o.organization_id), "
        f"gone AS (DELETE FROM {NAME_SERVER_TABLE} s USING changed c "
        "WHERE s.registration_id = c.id) "
        f"INSERT INTO {_NS_COLUMNS} {NAME_SERVER_ELEMENTS.format(rows='changed')};"),
    "registration_ns_delete": ("DELETE", "OLD TABLE AS old_rows",
                               f"DELETE FROM {NAME_SERVER_TABLE} s USING old_rows o "
                               "WHERE s.registration_id = o.id;"),
}


def _statement_trigger(name: str, event: str, tables: str,
                       body: str) -> list[tuple[str, str]]:
    """(forward, reverse): a function running ``body`` once per ``event`` statement on the
    records (with their transition ``tables``, if any), and its trigger."""
    referencing = f" REFERENCING {tables}" if tables else ""
    return [(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
             f"{body} RETURN NULL; END $$", f"DROP FUNCTION {name}()"),
            (f"CREATE TRIGGER {name} AFTER {event} ON {TABLE}{referencing} "
             f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()", f"DROP TRIGGER {name} ON {TABLE}")]


def _name_server_sql() -> list[tuple[str, str]]:
    """(forward, reverse) statements that create the table and its triggers."""
    # In this order inside the migration's transaction: the triggers' lock holds off
    # writers until the fill is committed, and the indexes are built once, after it.
    ops = [(f"CREATE TABLE {NAME_SERVER_TABLE} (name_server text NOT NULL, "
            "registration_id bigint NOT NULL, organization_id bigint)",
            f"DROP TABLE {NAME_SERVER_TABLE}")]
    for name, (event, tables, body) in _NS_TRIGGERS.items():
        ops += _statement_trigger(name, event, tables, body)
    ops += [*_statement_trigger("registration_ns_truncate", "TRUNCATE", "",
                                f"TRUNCATE {NAME_SERVER_TABLE};"),
            (f"INSERT INTO {_NS_COLUMNS} {NAME_SERVER_ELEMENTS.format(rows=TABLE)}",
             migrations.RunSQL.noop),
            *((create, f"DROP INDEX {name}") for name, create in NAME_SERVER_INDEXES.items())]
    return ops


def name_server_operations() -> list[VendorSQL]:
    """Migration 0012: the name-server table, filled from the records there are, and
    the index of places and registrars."""
    return [*(VendorSQL("postgresql", forward, reverse)
              for forward, reverse in _name_server_sql()),
            VendorSQL("postgresql", place_index(), f"DROP INDEX {PLACE_INDEX}")]


# --- PostgreSQL: the distinct values of names and companies -------------------------------
# Companies and registrant names repeat: ten million records hold far fewer distinct ones.
# A pattern such as *ixel* found through the records' trigram index meets every record of
# every matching company (a bitmap of hundreds of thousands of rows at 10M) before it can
# count to the bound; found in a table of the distinct values, it meets each company once,
# and the matching values are then looked up exactly in the column's covering B-tree.
# Values are added by statement triggers like the name servers' and never removed by an
# update or delete: a value no record holds any more matches nothing.
VALUE_TABLE = "jobs_registration_value"
VALUE_COLUMNS = ("registrant_name", "registrant_company")
VALUE_ROWS = ("SELECT DISTINCT v.field, v.value FROM {rows} r, LATERAL (VALUES "
              + ", ".join(f"('{c}', lower(r.{c}))" for c in VALUE_COLUMNS)
              + ") AS v(field, value) WHERE v.value <> ''")
_VALUE_INSERT = (f"INSERT INTO {VALUE_TABLE} (field, value) {{select}} "
                 "ON CONFLICT DO NOTHING")


def value_index(column: str) -> str:
    return f"registration_value_{column}_trgm"


def _value_sql() -> list[tuple[str, str]]:
    ops = [(f"CREATE TABLE {VALUE_TABLE} (field text NOT NULL, value text NOT NULL, "
            "PRIMARY KEY (field, value))", f"DROP TABLE {VALUE_TABLE}")]
    body = _VALUE_INSERT.format(select=VALUE_ROWS.format(rows="new_rows")) + ";"
    for event in ("INSERT", "UPDATE"):
        ops += _statement_trigger(f"registration_value_{event.lower()}", event,
                                  "NEW TABLE AS new_rows", body)
    ops += [*_statement_trigger("registration_value_truncate", "TRUNCATE", "",
                                f"TRUNCATE {VALUE_TABLE};"),
            (_VALUE_INSERT.format(select=VALUE_ROWS.format(rows=TABLE)),
             migrations.RunSQL.noop)]
    ops += [(f"CREATE INDEX {value_index(c)} ON {VALUE_TABLE} USING gin (value gin_trgm_ops) "
             f"WHERE field = '{c}'", f"DROP INDEX {value_index(c)}") for c in VALUE_COLUMNS]
    return ops


def value_operations() -> list[VendorSQL]:
    """Migration 0013: the table of distinct values, filled from the records there are."""
    return [VendorSQL("postgresql", forward, reverse) for forward, reverse in _value_sql()]


# SQLite: the same table, kept by row triggers (set aside during a bulk load like the FTS5
# ones, and refilled in one pass after it). Its matching values are found by reading the
# field's part of the table: a small one, next to the records' FTS5 table, which gathers
# every matching record of a common pattern before the first is returned.
VALUE_TRIGGERS = ("registration_value_ai", "registration_value_au")


def _sqlite_value_sql() -> list[tuple[str, str]]:
    """(forward, reverse): the table, then its fill and triggers (rerun after a load)."""
    # Not INSERT OR IGNORE: an upsert's own conflict handling would replace the IGNORE.
    def each(row: str) -> str:
        return " ".join(f"INSERT INTO {VALUE_TABLE} (field, value) SELECT '{c}', "
                        f"lower({row}.{c}) WHERE {row}.{c} <> '' AND NOT EXISTS (SELECT 1 "
                        f"FROM {VALUE_TABLE} WHERE field = '{c}' AND value = lower({row}.{c}));"
                        for c in VALUE_COLUMNS)

    columns = ", ".join(VALUE_COLUMNS)
    return [(f"CREATE TABLE IF NOT EXISTS {VALUE_TABLE} (field text NOT NULL, "
             "value text NOT NULL, PRIMARY KEY (field, value)) WITHOUT ROWID",
             f"DROP TABLE {VALUE_TABLE}"),
            (f"INSERT OR IGNORE INTO {VALUE_TABLE} (field, value) " + " UNION ".join(
                f"SELECT '{c}', lower({c}) FROM {TABLE} WHERE {c} <> ''" for c in VALUE_COLUMNS),
             migrations.RunSQL.noop),
            (f"CREATE TRIGGER {VALUE_TRIGGERS[0]} AFTER INSERT ON {TABLE} BEGIN {each('new')} "
             "END", f"DROP TRIGGER {VALUE_TRIGGERS[0]}"),
            (f"CREATE TRIGGER {VALUE_TRIGGERS[1]} AFTER UPDATE OF {columns} ON {TABLE} BEGIN "
             f"{each('new')} END", f"DROP TRIGGER {VALUE_TRIGGERS[1]}")]


def sqlite_value_operations() -> list[VendorSQL]:
    """Migration 0014: the table of distinct values on SQLite."""
    return [VendorSQL("sqlite", forward, reverse) for forward, reverse in _sqlite_value_sql()]
