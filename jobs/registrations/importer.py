"""Bulk registration files into the store: CSV or JSONL, plain or gzip, resumable.

Each file is one ``RegistrationImport`` run. Rows are read in batches; each batch is
upserted and the run's checkpoint (byte offset after the batch, line number, tallies)
written in one transaction, so a run killed at any moment resumes after the last batch
it stored and counts nothing twice. Every row that cannot become a record is counted
as rejected with its line number and the reason.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass

from django.db import connection, connections, transaction
from django.utils import timezone

from jobs.registrations import indexes, layouts, lease, normalize
from jobs.registrations.models import RegistrationImport
from jobs.registrations.store import registrations_upsert_rows

BATCH = 20000
# Files this large load with the search indexes set aside and rebuilt at the end.
DEFER_INDEXES_BYTES = 32 << 20
PARALLEL_INDEX_BUILDS = min(4, max(2, os.cpu_count() or 1))   # connections
KEPT_REJECTS = 1000          # reasons kept per run; the count is always complete
csv.field_size_limit(1 << 20)
log = logging.getLogger(__name__)

Progress = Callable[[RegistrationImport, int, int], None]   # (run, bytes done, bytes total)


class ImportFailed(Exception):
    """The file cannot be imported at all (unreadable, no domain column)."""


@dataclass
class Source:
    """A file being read: rows with their line numbers, and where the reading stands."""

    path: str
    raw: io.BufferedReader
    stream: io.BufferedIOBase
    position: int = 0       # bytes of the (decompressed) stream consumed
    line: int = 0

    def lines(self) -> Iterator[str]:
        # Whole lines: a UTF-8 character never holds a newline byte, so each line decodes
        # on its own.
        for chunk in self.stream:
            self.position += len(chunk)
            self.line += 1
            if self.line == 1:
                yield chunk.decode("utf-8", "replace").lstrip("\ufeff")
                continue
            yield chunk.decode("utf-8", "replace")


def open_source(path: str) -> Source:
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the caller through Source.raw
    except OSError as exc:
        raise ImportFailed(f"{path}: {exc.strerror}") from None
    gzipped = raw.read(2) == b"\x1f\x8b"
    raw.seek(0)
    stream = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
    return Source(path, raw, stream)


def fingerprint(path: str, organization_id: int | None) -> tuple[str, int]:
    """Same file, same organization: the same run to resume."""
    try:
        with open(path, "rb") as handle:
            size, head = os.fstat(handle.fileno()).st_size, handle.read(1 << 16)
    except OSError as exc:
        raise ImportFailed(f"{path}: {exc.strerror}") from None
    key = f"{os.path.abspath(path)}|{size}|{organization_id}".encode()
    return hashlib.sha256(key + head).hexdigest(), size


def registrations_import(path: str, *, organization_id: int | None = None,
                         restart: bool = False, progress: Progress | None = None,
                         created_by: str = "", run: RegistrationImport | None = None,
                         defer_indexes: bool | None = None) -> RegistrationImport:
    """Import one file, resuming an unfinished run of the same file unless ``restart``.

    ``defer_indexes`` (default: for files of 32 MB and more) drops the search indexes
    for the load and builds them again at the end, also after an interruption; for a
    process killed outright, ``registrations_repair`` does.
    """
    with lease.import_lease():
        return _import_file(path, organization_id, restart, progress, created_by, run,
                            defer_indexes)


def _import_file(path, organization_id, restart, progress, created_by, run,
                 defer_indexes) -> RegistrationImport:
    if run is not None and not _claimed(run):
        run.refresh_from_db()
        return run      # delivered twice: another worker has it, or it has ended
    try:
        digest, size = fingerprint(path, organization_id)
        run = run or _run_for(path, digest, size, organization_id, restart, created_by)
        source = open_source(path)
    except ImportFailed as exc:   # a file gone or unreadable fails now, not at a repair
        if run is not None:
            _stop(run, RegistrationImport.Status.FAILED, str(exc))
        raise
    defer_indexes = size >= DEFER_INDEXES_BYTES if defer_indexes is None else defer_indexes
    try:
        if defer_indexes:
            with connection.cursor() as cursor:
                indexes.search_indexes_drop(cursor, connection.vendor)
        _import(run, source, organization_id, progress or (lambda *a: None))
    except KeyboardInterrupt:
        _stop(run, RegistrationImport.Status.FAILED,
              f"Interrupted after line {run.line}; run the same command again to resume.")
        raise
    except ImportFailed as exc:
        _stop(run, RegistrationImport.Status.FAILED, str(exc))
        raise
    finally:
        source.raw.close()
        if defer_indexes:
            _indexes_create_side_by_side()
        with connection.cursor() as cursor:
            indexes.search_indexes_create(cursor, connection.vendor, analyze=defer_indexes)
    _stop(run, RegistrationImport.Status.DONE, "")
    return run


def _indexes_create_side_by_side() -> None:
    """PostgreSQL: build the set-aside indexes on several connections at once.

    Each build is one server process's work (a GIN build is not parallel), so on a
    machine with cores to spare they take the time of the longest one rather than of
    all of them; ``search_indexes_create`` then finds nothing missing. Not inside a
    transaction (the other connections would wait for its lock on the table).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    statements = [create for _name, create in indexes.deferrable(connection.vendor)]
    pending = queue.SimpleQueue()
    for create in sorted(statements, key=lambda sql: "USING gin" not in sql):  # longest first
        pending.put(create)

    def build() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '256MB'")
                while True:
                    try:
                        cursor.execute(pending.get_nowait())
                    except queue.Empty:
                        return
        finally:
            connections["default"].close()

    workers = min(PARALLEL_INDEX_BUILDS, len(statements))
    with ThreadPoolExecutor(workers) as pool:
        for done in [pool.submit(build) for _ in range(workers)]:
            done.result()


def registrations_repair() -> dict[str, int]:
    """Finish what an importing process killed outright left undone, when no import runs.

    Its run, still "running", becomes failed with where it stopped (the same import
    resumes from there), and the search indexes it set aside are built again. While any
    import holds its lease, nothing is touched: the indexes may be aside on purpose.
    """
    with lease.repair_lease() as free:
        if not free:
            return {"busy": 1}
        lost = list(RegistrationImport.objects.filter(status=RegistrationImport.Status.RUNNING))
        for run in lost:
            _stop(run, RegistrationImport.Status.FAILED,
                  f"The importing process stopped after line {run.line}; "
                  "import the same file again to resume.")
        with connection.cursor() as cursor:
            missing = indexes.search_indexes_missing(cursor, connection.vendor)
        if missing:
            _indexes_create_side_by_side()
            with connection.cursor() as cursor:
                indexes.search_indexes_create(cursor, connection.vendor)
            log.warning("rebuilt search indexes a lost import had set aside: %s",
                        ", ".join(missing))
        return {"runs": len(lost), "indexes": len(missing)}


def _run_for(path, digest, size, organization_id, restart, created_by) -> RegistrationImport:
    unfinished = RegistrationImport.objects.filter(
        fingerprint=digest, status__in=[RegistrationImport.Status.RUNNING,
                                        RegistrationImport.Status.FAILED]).order_by("-pk")
    if restart:
        unfinished.update(status=RegistrationImport.Status.FAILED, message="Restarted.")
    elif (found := unfinished.first()) is not None:
        return found
    return RegistrationImport.objects.create(
        path=os.path.abspath(path), size=size, fingerprint=digest,
        organization_id=organization_id, created_by=created_by)


def _claimed(run: RegistrationImport) -> bool:
    """Take a queued run for this process, inside the import's lease (so the repair
    never takes it for a lost one). A task may be delivered twice, and an upload left
    waiting is queued again (``tasks.registration_imports_requeue``): only one copy
    finds it still queued."""
    now = timezone.now()
    taken = RegistrationImport.objects.filter(
        pk=run.pk, status=RegistrationImport.Status.QUEUED).update(
        status=RegistrationImport.Status.RUNNING, updated_at=now)
    if taken:
        run.status, run.updated_at = RegistrationImport.Status.RUNNING, now
    return bool(taken)


def _stop(run: RegistrationImport, status: str, message: str) -> None:
    run.status, run.message = status, message
    run.finished_at = run.updated_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at", "updated_at"])


@dataclass
class Batch:
    """Rows worked out from the file, and where the file stands after them."""

    rows: list[tuple]
    rejects: list[list]
    read: int
    position: int           # the checkpoint: source.position and line after the batch
    line: int
    done: int               # bytes of the file itself read (for the progress bar)


def _import(run, source: Source, organization_id, progress: Progress) -> None:
    rows = _rows(source, run)
    convert = normalize.row_of if run.layout == "jsonl" else normalize.row
    if run.status != RegistrationImport.Status.RUNNING:
        run.status = RegistrationImport.Status.RUNNING
        run.save(update_fields=["status"])
    expect_new = True
    batches = _batches(source, rows, convert, run.size)
    if connection.vendor == "postgresql":
        # SQLite's work runs in this process and takes the interpreter back for every
        # row it binds: a reader thread there measured no gain.
        batches = _read_ahead(batches)
    with closing(batches):
        for batch in batches:
            expect_new = _commit(run, batch, organization_id, expect_new)
            progress(run, batch.done, run.size)


def _batches(source: Source, rows, convert, size: int) -> Iterator[Batch]:
    batch: list[tuple] = []
    rejects: list[list] = []
    read = 0
    for line, values in rows:
        read += 1
        try:
            batch.append(convert(values))
        except normalize.Rejected as exc:
            rejects.append([line, str(exc)])
        if len(batch) + len(rejects) >= BATCH:
            yield Batch(batch, rejects, read, source.position, source.line, source.raw.tell())
            batch, rejects, read = [], [], 0
    yield Batch(batch, rejects, read, source.position, source.line, size)


def _read_ahead(batches: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """The batches, worked out in a thread while the database stores the one before.

    Reading and normalising is Python work; storing on PostgreSQL is the server's (psycopg
    lets go of the interpreter while it waits), so on two cores the two overlap. Closing
    this stops the thread; an error in it is raised here.
    """
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for batch in batches:
                if not hand_over(batch):
                    return
            hand_over(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the importing thread
            hand_over(exc)

    thread = threading.Thread(target=work, name="registration-import-reader", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _commit(run, batch: Batch, organization_id, expect_new: bool) -> bool:
    """Store a batch with the checkpoint after it; whether the next may expect new rows."""
    with transaction.atomic():
        inserted, updated = registrations_upsert_rows(
            batch.rows, organization_id=organization_id, source="import",
            expect_new=expect_new)
        run.read += batch.read
        run.inserted += inserted
        run.updated += updated
        run.rejected += len(batch.rejects)
        run.rejects = (run.rejects + batch.rejects)[:KEPT_REJECTS]
        run.offset, run.line, run.updated_at = batch.position, batch.line, timezone.now()
        run.save()
    return updated == 0


def _rows(source: Source, run: RegistrationImport) -> Iterator[tuple[int, dict]]:
    """(line number, canonical values) from the checkpoint on; rejects unreadable lines."""
    lines = source.lines()
    first = next(lines, "")
    if first.lstrip().startswith("{"):
        run.layout = "jsonl"
        return _jsonl(source, run, lines, first)
    run.layout = "csv"
    return _csv(source, run, lines, first)


def _skip_to_checkpoint(source: Source, run: RegistrationImport) -> None:
    if run.offset > source.position:
        source.stream.seek(run.offset)
        source.position, source.line = run.offset, run.line


def _csv(source, run, lines, header_line) -> Iterator[tuple[int, dict]]:
    header = next(csv.reader([header_line]), [])
    try:
        layout, fields = layouts.resolve(header)
    except ValueError as exc:
        raise ImportFailed(f"{source.path}: {exc}") from None
    run.layout = f"csv:{layout}"
    _skip_to_checkpoint(source, run)
    reader = csv.reader(source.lines())
    width = len(header)
    gather = layouts.gatherer(fields)
    for values in reader:
        if len(values) != width:
            if values:
                yield source.line, {"_bad": f"{len(values)} columns, header has {width}"}
            continue
        yield source.line, gather(values)


def _jsonl(source, run, lines, first) -> Iterator[tuple[int, dict]]:
    if run.offset:
        _skip_to_checkpoint(source, run)
        pending = []
    else:
        pending = [first]
    for text in _chain(pending, source.lines()):
        if not text.strip():
            continue
        try:
            document = json.loads(text)
        except ValueError as exc:
            yield source.line, {"_bad": f"not JSON: {exc.msg}"}
            continue
        if not isinstance(document, dict):
            yield source.line, {"_bad": "not a JSON object"}
            continue
        fields = [layouts.field(k) for k in document]
        yield source.line, layouts.gather(fields, [_flat(v) for v in document.values()])


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _flat(value):
    return "|".join(str(v) for v in value) if isinstance(value, list) else value
