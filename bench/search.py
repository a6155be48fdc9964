"""Registration search at scale: import speed and query latency, with and without indexes.

Generates ``--rows`` realistic records (Zipf-distributed registrars, registrants,
companies, e-mail domains and name servers), imports them with the same code as
``manage.py import_registrations`` (rows per second), then times each query class
(exact e-mail, registrant prefix, infix wildcard on company, name server, multi-field,
date range) as the search runs it (one page of 100 + the bounded count), beside the
same query with its index out of play in the same run (PostgreSQL: index and bitmap
scans disabled for the query; SQLite: ``NOT INDEXED`` and a plain LIKE instead of the
FTS5 table). Query values are drawn with the same skew as the data.

    .venv/bin/python bench/search.py [--rows 1000000] [--postgres] [--queries 40] [--import-only]
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


def generate(path: Path, rows: int, seed: int = 7) -> dict[str, list]:
    """Write a canonical CSV of ``rows`` records; returns the value lists used (for queries)."""
    rng = random.Random(seed)
    v = vocabulary(rng, rows)
    columns = {
        "person": zipf(v["people"], rows, rng), "company": zipf(v["companies"], rows, rng),
        "registrar": zipf(v["registrars"], rows, rng, 1.3),
        "ns": zipf(v["providers"], rows, rng, 1.2), "mail": zipf(v["mail_domains"], rows, rng),
        "country": zipf(COUNTRIES, rows, rng), "city": zipf(CITIES, rows, rng),
    }
    emails = []
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
            emails.append(email)
            registrar, iana = columns["registrar"][i]
            year, day = 1995 + i % 30, 1 + (i * 7919) % 365
            created = f"{year}-{1 + day % 12:02d}-{1 + day % 28:02d}"
            writer.writerow([
                f"{rng.choice(WORDS)}{rng.choice(WORDS)}{i}.{rng.choice(TLDS)}", registrar, iana,
                person, company, email, f"+1.{5550000000 + i % 10**6}", columns["country"][i],
                columns["city"][i], f"ns1.{columns['ns'][i]}|ns2.{columns['ns'][i]}",
                STATUSES[i % len(STATUSES)], created, f"{min(year + 3, 2026)}-01-15",
                f"{year + 5}-{1 + day % 12:02d}-{1 + day % 28:02d}"])
    return {"emails": emails, **columns}


def query_texts(data: dict, n: int, rng: random.Random) -> dict[str, list[str]]:
    """n queries per class, values drawn from the data (so popular values come up often)."""
    pick = lambda key: data[key][rng.randrange(len(data[key]))]  # noqa: E731
    classes = {
        "exact e-mail": lambda: f"registrantEmail:{pick('emails')}",
        "registrant prefix": lambda: f"registrantName:{pick('person').split()[0][:4]}*",
        "infix wildcard on company":
            lambda: f"registrantCompany:*{pick('company').split()[1][1:5].lower()}*",
        "name server": lambda: f"nameServer:ns1.{pick('ns')}",
        "multi-field": lambda: (f"registrarName:{pick('registrar')[0].split()[0][:6]}* "
                                f"registrantCountry:{pick('country')} "
                                f"registrantCity:\"{pick('city')}\""),
        "date range": lambda: (lambda y, m: f"createdAfter:{y}-{m:02d}-01 "
                                            f"createdBefore:{y}-{m:02d}-28")(
            rng.randrange(1995, 2025), rng.randrange(1, 13)),
    }
    return {name: [make() for _ in range(n)] for name, make in classes.items()}


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
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--import-only", action="store_true",
                        help="measure the import and stop (no query timings)")
    args = parser.parse_args(argv)
    args.redis, args.quick = False, False
    bench = Bench("search", args)
    print(f"registration search: {args.rows:,} rows, {bench.database_label}", flush=True)
    bench.migrate()
    bench.django_setup()

    csv_path = bench.tmp / "records.csv"
    started = time.perf_counter()
    data = generate(csv_path, args.rows)
    print(f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s "
          f"({csv_path.stat().st_size / 1e6:.0f} MB)", flush=True)

    from django.db import connection

    from jobs.registrations.importer import registrations_import

    started = time.perf_counter()
    run = registrations_import(str(csv_path))
    seconds = time.perf_counter() - started
    rate = run.read / seconds
    print(f"imported: read {run.read:,}, inserted {run.inserted:,}, rejected {run.rejected} "
          f"in {seconds:.1f} s = {rate:,.0f} rows/s (target 50,000: ratio {rate / 50000:.2f})",
          flush=True)
    if args.import_only:
        print(f"RATIO import_rows_per_s_vs_50k {rate / 50000:.3f}")
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    rng = random.Random(11)
    queries = query_texts(data, args.queries, rng)
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
        b50 = statistics.median(base) * 1000
        rows.append([name, f"{p50:.1f}", f"{p99:.1f}", f"{b50:.0f}",
                     f"{percentile(base, 0.99) * 1000:.0f}", f"{b50 / p50:.0f}x"])
        print(f"  {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms; without index p50 {b50:.0f} ms",
              flush=True)
    print()
    print(table(["query class", "p50 ms", "p99 ms", "no-index p50 ms", "no-index max ms",
                 "speed-up (p50)"], rows))
    print(f"RATIO import_rows_per_s_vs_50k {rate / 50000:.3f}")


if __name__ == "__main__":
    main()
