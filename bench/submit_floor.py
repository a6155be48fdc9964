"""Submit's floor: how much of a submit is database (and Redis) work that the API
promises, and how much is Python, for ours and the baseline side by side.

One process, one request at a time, no server and no sockets: each side's request goes
straight to Django's WSGI handler, so what is timed is the request's own cost, without
the load generator and the other workers that share the cores under ``wrk``.

  ours       POST /v1/test/noop   (key, rate counter, validation, job + queue entry)
  baseline   POST /bench/insert   (one INSERT -> JsonResponse)
  floor      POST /v1/bench/floor (Django's handler, the /v1 middleware, the body read
                                   and a JSON 202: no key, no validation, no database)

For each side the script records the SQL a request runs (a Django execute wrapper, with
whether it ran inside a transaction) and then replays those statements on a bare DB-API
connection (sqlite3 or psycopg, no Django), in the same transactions and with fresh
values where a row must be unique, to time the database's part alone. Django's
connection check before a request's first query (``SELECT 1`` on PostgreSQL) is
recorded and replayed too, where the request made it. Time
spent in Redis commands (the rate counter, the queue push) is measured in place.

Run from the checkout root:
    .venv/bin/python bench/submit_floor.py [--quick] [--postgres] [--redis]

It prints, per side, µs per request and how they split, then two ratios: the measured
one, and the ceiling, what ours would reach if everything but its database and Redis
work cost no more than the floor request's Python (Django's handler, the /v1
middleware and a JSON response) -- as if authentication, validation, and building the
job and its queue entry were free.
"""

from __future__ import annotations

import io
import re
import sqlite3
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_throughput import seed  # noqa: E402
from bench.common import Bench, build_parser, load_average, ratio, table  # noqa: E402

BODY = b'{"n": 1}'
PATHS = {"baseline": "/bench/insert", "ours": "/v1/test/noop", "floor": "/v1/bench/floor"}
EXPECTED = {"baseline": "202", "ours": "202", "floor": "202"}
# How a connection check (``is_usable``) shows among the recorded statements.
CHECK = "SELECT 1 -- connection check"
UUID_TEXT = re.compile(r"^[0-9a-f]{32}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                       r"[0-9a-f]{12}$")


class Requests:
    """Requests sent straight to the WSGI handler, with what each one ran."""

    def __init__(self, key: str):
        from django.core.wsgi import get_wsgi_application
        from django.db import connection

        self.app = get_wsgi_application()
        self.key = key
        self.connection = connection
        self.recording: list | None = None
        self.redis_seconds = 0.0
        self._time_redis()
        self._record_checks()

    def _record_checks(self) -> None:
        """Django checks a connection on the raw driver, past the execute wrappers."""
        is_usable = self.connection.is_usable

        def checked():
            if self.recording is not None:
                self.recording.append((CHECK, None, False, self.connection.in_atomic_block))
            return is_usable()

        self.connection.is_usable = checked

    def _record(self, execute, sql, params, many, context):
        # Django's SQLite backend sends its BEGIN through here; the replay issues its own.
        if self.recording is not None and not sql.lstrip().upper().startswith("BEGIN"):
            self.recording.append((sql, params, many, self.connection.in_atomic_block))
        return execute(sql, params, many, context)

    def _time_redis(self) -> None:
        """Add the wall time of every Redis command and pipeline to ``redis_seconds``."""
        try:
            import redis.client
        except ImportError:
            return
        bench = self

        def timed(original):
            def call(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    bench.redis_seconds += time.perf_counter() - started
            return call

        redis.client.Redis.execute_command = timed(redis.client.Redis.execute_command)
        redis.client.Pipeline.execute = timed(redis.client.Pipeline.execute)

    def send(self, side: str) -> None:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": PATHS[side], "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(BODY),
            "wsgi.errors": sys.stderr, "CONTENT_LENGTH": str(len(BODY)),
            "CONTENT_TYPE": "application/json", "HTTP_AUTHORIZATION": f"Bearer {self.key}",
        }
        status = []
        body = self.app(environ, lambda line, headers: status.append(line))
        b"".join(body)
        body.close()
        if not status[0].startswith(EXPECTED[side]):
            raise SystemExit(f"{side}: {PATHS[side]} answered {status[0]}")

    def statements(self, side: str) -> list:
        """The statements one request runs, as two requests in a row agree on them."""
        for _ in range(5):
            runs = []
            for _ in range(2):
                self.recording = []
                # Only while recording: the wrapper's own cost stays out of the timings.
                with self.connection.execute_wrapper(self._record):
                    self.send(side)
                runs.append(self.recording)
            self.recording = None
            if [s[0] for s in runs[0]] == [s[0] for s in runs[1]]:
                return runs[1]
        raise SystemExit(f"{side}: requests in a row ran different statements")

    def time(self, side: str, count: int) -> tuple[float, float]:
        """µs per request, and µs of it in Redis."""
        self.redis_seconds = 0.0
        started = time.perf_counter()
        for _ in range(count):
            self.send(side)
        elapsed = time.perf_counter() - started
        return elapsed / count * 1e6, self.redis_seconds / count * 1e6


# --- the bare replay -------------------------------------------------------------------


def fresh(value):
    """A new value in place of one that identifies the row (ids, the baseline's bucket)."""
    if isinstance(value, uuid.UUID):
        return uuid.uuid4()
    if isinstance(value, str) and UUID_TEXT.match(value):
        return uuid.uuid4().hex if len(value) == 32 else str(uuid.uuid4())
    return value


def groups(statements: list) -> list[tuple[bool, list]]:
    """Consecutive statements run together: (in a transaction, [(sql, params, many)])."""
    out: list[tuple[bool, list]] = []
    for sql, params, many, atomic in statements:
        if out and out[-1][0] == atomic and atomic:
            out[-1][1].append((sql, params, many))
        else:
            out.append((atomic, [(sql, params, many)]))
    return out


class Replay:
    """A side's statements on a bare connection, no Django in between."""

    def __init__(self, settings_db: dict):
        self.vendor = "sqlite" if "sqlite3" in settings_db["ENGINE"] else "postgresql"
        if self.vendor == "sqlite":
            self.db = sqlite3.connect(settings_db["NAME"], isolation_level=None,
                                      timeout=settings_db["OPTIONS"].get("timeout", 5),
                                      check_same_thread=False)
            self.db.executescript(settings_db["OPTIONS"]["init_command"])
            from jobs.records import SUBMISSION_DDL

            for statement in SUBMISSION_DDL:   # ours' submit writes through this view
                self.db.execute(statement)
            self.begin = f"BEGIN {settings_db['OPTIONS'].get('transaction_mode', '')}".strip()
        else:
            import psycopg

            self.db = psycopg.connect(
                dbname=settings_db["NAME"], user=settings_db["USER"],
                host=settings_db["HOST"], port=settings_db["PORT"] or 5432, autocommit=True)
            self.db.execute("SET TIME ZONE 'UTC'")
            self.begin = "BEGIN"

    def _sql(self, sql: str) -> str:
        if self.vendor == "sqlite":
            from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

            return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
        return sql

    def prepare(self, statements: list) -> list[tuple[bool, list]]:
        return [(atomic, [(self._sql(sql), params, many) for sql, params, many in batch])
                for atomic, batch in groups(statements)]

    def time(self, prepared: list, count: int) -> float:
        """µs per request for the prepared statements, replayed ``count`` times."""
        cursor = self.db.cursor()
        started = time.perf_counter()
        for _ in range(count):
            for atomic, batch in prepared:
                if atomic:
                    cursor.execute(self.begin)
                for sql, params, many in batch:
                    values = ([tuple(fresh(v) for v in row) for row in params] if many
                              else tuple(fresh(v) for v in params or ()))
                    if many:
                        cursor.executemany(sql, values)
                    else:
                        cursor.execute(sql, values)
                        if cursor.description:
                            cursor.fetchall()
                if atomic:
                    cursor.execute("COMMIT")
        return (time.perf_counter() - started) / count * 1e6

    def close(self) -> None:
        self.db.close()


def main() -> None:
    parser = build_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    count, rounds = (500, 3) if args.quick else (2000, 5)
    bench = Bench("submit_floor", args)
    try:
        bench.header("Submit floor")
        bench.migrate()
        key, _ids = seed(bench)
        from django.conf import settings

        requests = Requests(key)
        for side in PATHS:                  # warm: imports, caches, the key's last use
            for _ in range(200):
                requests.send(side)
        recorded = {side: requests.statements(side) for side in PATHS}
        replay = Replay(settings.DATABASES["default"])
        prepared = {side: replay.prepare(statements) for side, statements in recorded.items()}

        timings = {side: {"request": [], "redis": [], "database": []} for side in PATHS}
        for _ in range(rounds):             # interleaved: each side under the same load
            for side in PATHS:
                request, in_redis = requests.time(side, count)
                timings[side]["request"].append(request)
                timings[side]["redis"].append(in_redis)
                timings[side]["database"].append(replay.time(prepared[side], count))
        replay.close()

        med = {side: {part: statistics.median(values) for part, values in parts.items()}
               for side, parts in timings.items()}
        rows = []
        for side in PATHS:
            m = med[side]
            rest = m["request"] - m["database"] - m["redis"]
            statements = ", ".join(_kind(sql) for sql, *_ in recorded[side]) or "none"
            transactions = sum(1 for atomic, _ in groups(recorded[side]) if atomic)
            rows.append([side, f"{m['request']:.0f}", f"{m['database']:.0f}",
                         f"{m['redis']:.0f}", f"{rest:.0f}",
                         f"{statements}; {transactions} transaction(s)"])
        print(f"{count} requests x {rounds} rounds per side, interleaved; medians in µs "
              "per request")
        print(table(["side", "request", "database (bare)", "Redis", "rest (Python)",
                     "statements"], rows))
        base, ours, floor = med["baseline"], med["ours"], med["floor"]
        floor_python = floor["request"] - floor["database"] - floor["redis"]
        best = floor_python + ours["database"] + ours["redis"]
        measured = ratio(1 / ours["request"], 1 / base["request"])
        ceiling = ratio(1 / best, 1 / base["request"])
        print(f"ratio, measured in process: {measured:.2f}")
        print(f"ceiling: ours' database and Redis work ({ours['database'] + ours['redis']:.0f}"
              f" µs) + the floor request's Python ({floor_python:.0f} µs) = {best:.0f} µs "
              f"against the baseline's {base['request']:.0f} µs: {ceiling:.2f}")
        print(f"load average {bench.load_before} before, {load_average()} after")
        print(f"RATIO submit_floor.measured {measured:.3f}")
        print(f"RATIO submit_floor.ceiling {ceiling:.3f}")
    finally:
        bench.close()


def _kind(sql: str) -> str:
    if sql == CHECK:
        return "connection check"
    words = sql.split()
    verb = words[0].upper()
    table_name = ""
    for marker in ("INTO", "FROM", "UPDATE"):
        if marker in (w.upper() for w in words):
            index = [w.upper() for w in words].index(marker)
            table_name = words[index + 1].strip('"') if index + 1 < len(words) else ""
            break
    return f"{verb} {table_name}".strip()


if __name__ == "__main__":
    main()
