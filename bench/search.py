"""Registration search at scale: import speed and query latency, with and without indexes.

Generates ``--rows`` realistic records (Zipf-distributed registrars, registrants,
companies, e-mail domains and name servers), imports them with the same code as
``manage.py import_registrations`` (rows per second), then times each query class
(exact e-mail, registrant prefix, infix wildcard on company, name server, multi-field,
date range) as the search runs it (one page of 100 + the bounded count), beside the
same query with its index out of play in the same run (PostgreSQL: index and bitmap
scans disabled for the query; SQLite: ``NOT INDEXED`` and a plain LIKE instead of the
FTS5 table). Query values are drawn with the same skew as the data.

    .venv/bin/python bench/search.py [--rows 1000000] [--postgres] [--queries 40]
        [--load import|copy] [--reuse-db NAME] [--import-only]

``--load copy`` is a loading shortcut for measuring queries (COPY of the normalized rows,
indexes built once after), not an import; ``--reuse-db`` keeps the records in a named
PostgreSQL database (or SQLite file) and reuses them on the next run; ``--import-only``
times the import and stops.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Bench, table  # noqa: E402

FIRST = ["james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "david",
         "elizabeth", "wei", "fatima", "ivan", "olga", "carlos", "ana", "yuki", "ahmed", "lena",
         "pierre", "sofia", "raj", "chen", "anna", "omar", "nina", "li", "jose", "emma", "paul"]
LAST = ["smith", "johnson", "garcia", "miller", "davis", "wang", "kumar", "ivanov", "müller",
        "martin", "lee", "brown", "wilson", "silva", "tanaka", "nguyen", "khan", "rossi",
        "dubois", "novak", "kowalski", "hansen", "jones", "lopez", "chen", "ali", "kim"]
WORDS = ["acme", "global", "tech", "digital", "solutions", "media", "trade", "shop", "cloud",
         "data", "net", "labs", "north", "blue", "green", "star", "prime", "smart", "web",
         "secure", "alpha", "nova", "matrix", "vertex", "pixel", "hyper", "micro", "quantum"]
SUFFIXES = ["Ltd", "LLC", "Inc.", "GmbH", "S.A.", "Corp", "Limited", "B.V.", "Pty Ltd"]
TLDS = ["com"] * 50 + ["net"] * 8 + ["org"] * 7 + ["io", "de", "uk", "info", "xyz", "shop",
                                                   "online", "site", "app", "dev"] * 2
COUNTRIES = ["US", "CN", "DE", "GB", "FR", "RU", "JP", "IN", "BR", "CA", "NL", "AU", "ES",
             "IT", "PL", "KR", "SE", "TR", "UA", "VN", "HK", "SG", "PA", "IS", "CH"]
CITIES = ["New York", "Beijing", "Berlin", "London", "Paris", "Moscow", "Tokyo", "Mumbai",
          "São Paulo", "Toronto", "Amsterdam", "Sydney", "Madrid", "Rome", "Warsaw", "Seoul",
          "Austin", "Panama City", "Reykjavik", "Zurich", "Kyiv", "Singapore", "Hanoi"]
STATUSES = ["clientTransferProhibited", "clientTransferProhibited|clientDeleteProhibited",
            "ok", "clientHold", "serverHold|clientTransferProhibited", "pendingDelete"]
PROXY = "withheldforprivacy.com"


def zipf(population: list, n: int, rng: random.Random, s: float = 1.1) -> list:
    weights = list(itertools.accumulate(1 / (rank ** s) for rank in range(1, len(population) + 1)))
    return rng.choices(population, cum_weights=weights, k=n)


def vocabulary(rng: random.Random, rows: int) -> dict[str, list]:
    people = [f"{rng.choice(FIRST).title()} {rng.choice(LAST).title()}"
              for _ in range(max(rows // 8, 100))]
    companies = [f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {rng.choice(SUFFIXES)}"
                 for _ in range(max(rows // 10, 100))]
    registrars = [(f"{rng.choice(WORDS).title()}{rng.choice(WORDS)} Registrar, Inc.", str(1000 + i))
                  for i in range(400)]
    providers = [f"{rng.choice(WORDS)}{rng.choice(WORDS)}-dns{i}.net" for i in range(3000)]
    mail_domains = ["gmail.com", "outlook.com", "yahoo.com", "qq.com", "mail.ru", PROXY] + [
        f"{rng.choice(WORDS)}{i}.com" for i in range(20000)]
    return {"people": people, "companies": companies, "registrars": registrars,
            "providers": providers, "mail_domains": mail_domains}


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write a canonical CSV of ``rows`` records."""
    rng = random.Random(seed)
    v = vocabulary(rng, rows)
    columns = {
        "person": zipf(v["people"], rows, rng), "company": zipf(v["companies"], rows, rng),
        "registrar": zipf(v["registrars"], rows, rng, 1.3),
        "ns": zipf(v["providers"], rows, rng, 1.2), "mail": zipf(v["mail_domains"], rows, rng),
        "country": zipf(COUNTRIES, rows, rng), "city": zipf(CITIES, rows, rng),
    }
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["domain", "registrarName", "registrarIanaId", "registrantName",
                         "registrantCompany", "registrantEmail", "registrantPhone",
                         "registrantCountry", "registrantCity", "nameServers", "domainStatus",
                         "createdDate", "updatedDate", "expiryDate"])
        for i in range(rows):
            person, company = columns["person"][i], columns["company"][i]
            mail_domain = columns["mail"][i]
            local = person.lower().replace(" ", ".") if mail_domain != PROXY else f"x{i:x}"
            email = f"{local}@{mail_domain}"
            registrar, iana = columns["registrar"][i]
            year, day = 1995 + i % 30, 1 + (i * 7919) % 365
            created = f"{year}-{1 + day % 12:02d}-{1 + day % 28:02d}"
            writer.writerow([
                f"{rng.choice(WORDS)}{rng.choice(WORDS)}{i}.{rng.choice(TLDS)}", registrar, iana,
                person, company, email, f"+1.{5550000000 + i % 10**6}", columns["country"][i],
                columns["city"][i], f"ns1.{columns['ns'][i]}|ns2.{columns['ns'][i]}",
                STATUSES[i % len(STATUSES)], created, f"{min(year + 3, 2026)}-01-15",
                f"{year + 5}-{1 + day % 12:02d}-{1 + day % 28:02d}"])


def sample(count: int, rng: random.Random) -> list[dict]:
    """``count`` stored records at random rows: values drawn from them come up as often as
    they occur in the data (popular values often), whether the rows were just loaded or
    are reused from an earlier run."""
    from django.db import connection

    columns = ("registrant_email", "registrant_name", "registrant_company", "name_servers",
               "registrar_name", "registrant_country", "registrant_city")
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM jobs_registration")
        low, high = cursor.fetchone()
        ids = sorted({rng.randint(low, high) for _ in range(count)})
        cursor.execute(f"SELECT {', '.join(columns)} FROM jobs_registration "
                       f"WHERE id IN ({', '.join(map(str, ids))}) ORDER BY id")
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def query_texts(records: list[dict], n: int, rng: random.Random) -> dict[str, list[str]]:
    """n queries per class, values taken from random stored records."""
    pick = lambda key: records[rng.randrange(len(records))][key]  # noqa: E731
    classes = {
        "exact e-mail": lambda: f"registrantEmail:{pick('registrant_email')}",
        "registrant prefix": lambda: f"registrantName:{pick('registrant_name').split()[0][:4]}*",
        "infix wildcard on company":
            lambda: f"registrantCompany:*{pick('registrant_company').split()[1][1:5].lower()}*",
        "name server": lambda: f"nameServer:{pick('name_servers').strip('|').split('|')[0]}",
        "multi-field": lambda: (f"registrarName:{pick('registrar_name').split()[0][:6]}* "
                                f"registrantCountry:{pick('registrant_country')} "
                                f"registrantCity:\"{pick('registrant_city')}\""),
        "date range": lambda: (lambda y, m: f"createdAfter:{y}-{m:02d}-01 "
                                            f"createdBefore:{y}-{m:02d}-28")(
            rng.randrange(1995, 2025), rng.randrange(1, 13)),
    }
    return {name: [make() for _ in range(n)] for name, make in classes.items()}


def copy_load(path: Path) -> int:
    """A loading shortcut for measuring queries, not the importer: every CSV row goes
    through ``normalize.record`` as an import would, straight into the empty table (COPY
    on PostgreSQL), with the search indexes set aside and built once at the end. No
    history, no upsert, no import run is recorded."""
    from django.db import connection, transaction
    from django.utils import timezone

    from jobs.registrations import indexes, normalize
    from jobs.registrations.models import TRACKED

    names = (*TRACKED, "source", "first_seen", "last_seen")
    now, loaded = timezone.now(), 0
    with connection.cursor() as cursor:
        indexes.search_indexes_drop(cursor, connection.vendor)
    with open(path, newline="") as source, transaction.atomic(), connection.cursor() as cursor:
        rows = ([*(r[c] for c in TRACKED), "bench", now, now]
                for r in map(normalize.record, csv.DictReader(source)))
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY jobs_registration ({', '.join(names)}) "
                                    "FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    loaded += 1
        else:
            marks = ", ".join(["%s"] * len(names))
            while batch := list(itertools.islice(rows, 20_000)):
                cursor.executemany(f"INSERT INTO jobs_registration ({', '.join(names)}) "
                                   f"VALUES ({marks})", batch)
                loaded += len(batch)
    with connection.cursor() as cursor:
        indexes.search_indexes_create(cursor, connection.vendor)
    return loaded


def timed_search(text: str, *, indexed: bool) -> float:
    from django.db import connection, transaction

    from jobs.operations.search import finder, query

    terms = query.parse(text)
    start = time.perf_counter()
    with transaction.atomic():
        if not indexed:
            _without_indexes(connection)
        finder.search(terms, organization_id=None, limit=100, offset=0)
    return time.perf_counter() - start


class _Unindexed:
    """SQLite: the same query with ``NOT INDEXED`` and LIKE instead of the FTS5 table."""

    def __enter__(self):
        from jobs.operations.search import finder, query

        self.saved = (query.TRIGRAM, finder.SOURCE)
        query.TRIGRAM, finder.SOURCE = (), f"{finder.TABLE} r NOT INDEXED"

    def __exit__(self, *exc):
        from jobs.operations.search import finder, query

        query.TRIGRAM, finder.SOURCE = self.saved


def _without_indexes(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off; "
                           "SET LOCAL enable_indexonlyscan = off")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=40, help="queries per class (indexed)")
    parser.add_argument("--baseline-queries", type=int, default=5,
                        help="queries per class without the index (each is a full scan)")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--load", choices=("import", "copy"), default="import",
                        help="import: the importer, timed; copy: a loading shortcut "
                             "(COPY, indexes built after) to measure queries only")
    parser.add_argument("--reuse-db", metavar="NAME",
                        help="keep the records in this PostgreSQL database (or SQLite file): "
                             "loaded when it has none, else used as it is")
    parser.add_argument("--seed", type=int, default=11, help="seed of the query values")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--import-only", action="store_true",
                        help="measure the import and stop (no query timings)")
    args = parser.parse_args(argv)
    args.redis, args.quick = False, False
    bench = Bench("search", args, database=args.reuse_db)
    print(f"registration search: {args.rows:,} rows, {bench.database_label}", flush=True)
    bench.migrate()
    bench.django_setup()

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM jobs_registration")
        stored = cursor.fetchone()[0]
    rate = None
    if stored:
        print(f"reusing {stored:,} stored records ({args.reuse_db})", flush=True)
    else:
        rate = load(bench, args)
        if args.import_only:
            if rate is not None:
                print(f"RATIO import_rows_per_s_vs_50k {rate / 50000:.3f}")
            return
    with connection.cursor() as cursor:
        # After a bulk load autovacuum would do this within minutes: statistics, and on
        # PostgreSQL the visibility map that lets index-only scans skip the table.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" and not stored
                       else "ANALYZE")

    rng = random.Random(args.seed)
    queries = query_texts(sample(4 * args.queries, rng), args.queries, rng)
    rows = []
    for name, texts in queries.items():
        timed_search(texts[0], indexed=True)  # warm the cache for this class
        ours = [timed_search(t, indexed=True) for t in texts]
        base_texts = texts[:args.baseline_queries]
        if connection.vendor == "sqlite":
            with _Unindexed():
                base = [timed_search(t, indexed=False) for t in base_texts]
        else:
            base = [timed_search(t, indexed=False) for t in base_texts]
        p50, p99 = percentile(ours, 0.5) * 1000, percentile(ours, 0.99) * 1000
        b50 = statistics.median(base) * 1000 if base else float("nan")
        slowest = max(zip(ours, texts, strict=True))[1]
        rows.append([name, f"{p50:.1f}", f"{p99:.1f}", f"{b50:.0f}",
                     f"{percentile(base, 0.99) * 1000:.0f}" if base else "-",
                     f"{b50 / p50:.0f}x" if base else "-"])
        print(f"  {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms; without index p50 {b50:.0f} ms; "
              f"slowest: {slowest}", flush=True)
    print()
    print(table(["query class", "p50 ms", "p99 ms", "no-index p50 ms", "no-index max ms",
                 "speed-up (p50)"], rows))
    if rate is not None:
        print(f"RATIO import_rows_per_s_vs_50k {rate / 50000:.3f}")


def load(bench: Bench, args) -> float | None:
    """Generate and load the records; the import's rows/s (None for the COPY shortcut)."""
    csv_path = bench.tmp / "records.csv"
    started = time.perf_counter()
    generate(csv_path, args.rows)
    print(f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s "
          f"({csv_path.stat().st_size / 1e6:.0f} MB)", flush=True)
    started = time.perf_counter()
    if args.load == "copy":
        loaded = copy_load(csv_path)
        print(f"loaded {loaded:,} rows with the COPY shortcut (not the importer) and built "
              f"the indexes in {time.perf_counter() - started:.1f} s", flush=True)
        csv_path.unlink()
        return None
    from jobs.registrations.importer import registrations_import

    run = registrations_import(str(csv_path))
    seconds = time.perf_counter() - started
    rate = run.read / seconds
    print(f"imported: read {run.read:,}, inserted {run.inserted:,}, rejected {run.rejected} "
          f"in {seconds:.1f} s = {rate:,.0f} rows/s (target 50,000: ratio {rate / 50000:.2f})",
          flush=True)
    csv_path.unlink()
    return rate


if __name__ == "__main__":
    main()
