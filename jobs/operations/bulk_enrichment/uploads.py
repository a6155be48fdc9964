"""Pasted lists and uploaded files (TXT or CSV), turned into indicators before a job starts.

A text file is one indicator per line (``#`` comments and blank lines skipped). A CSV
file keeps its rows: the indicator column is the one whose cells most often classify
(a header row is recognised by not classifying), and the rows come back with the
enrichment columns appended when the job is done (``csv_round_trip``).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field

from jobs.operations.bulk_enrichment.indicators import Unrecognised, classify
from jobs.operations.bulk_enrichment.operation import MAX_INDICATORS

SAMPLE_ROWS = 200  # rows read to find the indicator column
MAX_BYTES = 5 * 1024 * 1024


class UploadInvalid(ValueError):
    pass


@dataclass
class Parsed:
    indicators: list[str]
    counts: Counter = field(default_factory=Counter)  # type -> count ("unrecognised" too)
    unrecognised: list[str] = field(default_factory=list)
    csv_text: str = ""
    column: int = 0
    has_header: bool = False
    header: str = ""

    @property
    def by_type(self) -> list[tuple[str, int]]:
        return self.counts.most_common()

    @property
    def is_csv(self) -> bool:
        return bool(self.csv_text)


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise UploadInvalid(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_text(text: str, *, as_csv: bool) -> Parsed:
    parsed = _parse_csv(text) if as_csv else _parse_lines(text)
    if not parsed.indicators:
        raise UploadInvalid("no indicators found")
    if len(parsed.indicators) > MAX_INDICATORS:
        raise UploadInvalid(f"{len(parsed.indicators):,} indicators; at most "
                            f"{MAX_INDICATORS:,} per job")
    _count(parsed)
    return parsed


def looks_like_csv(filename: str, text: str) -> bool:
    if filename.lower().endswith((".csv", ".tsv")):
        return True
    first = next((line for line in text.splitlines() if line.strip()), "")
    return first.count(",") >= 1 and not first.lstrip().startswith("#")


def _parse_lines(text: str) -> Parsed:
    lines = [line.strip() for line in text.splitlines()]
    return Parsed([line for line in lines if line and not line.startswith("#")])


def _parse_csv(text: str) -> Parsed:
    rows = list(csv.reader(io.StringIO(text)))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return Parsed([])
    column = _indicator_column(rows[:SAMPLE_ROWS])
    has_header = _is_header(rows[0], column)
    body = rows[1:] if has_header else rows
    cells = [row[column].strip() if column < len(row) else "" for row in body]
    return Parsed([cell for cell in cells if cell], csv_text=text, column=column,
                  has_header=has_header, header=rows[0][column] if has_header else "")


def _indicator_column(rows: list[list[str]]) -> int:
    hits: Counter[int] = Counter()
    for row in rows:
        for index, cell in enumerate(row):
            if _classifies(cell):
                hits[index] += 1
    return hits.most_common(1)[0][0] if hits else 0


def _is_header(row: list[str], column: int) -> bool:
    return column < len(row) and not _classifies(row[column])


def _classifies(cell: str) -> bool:
    try:
        classify(cell)
    except Unrecognised:
        return False
    return True


def _count(parsed: Parsed) -> None:
    for entry in parsed.indicators:
        try:
            parsed.counts[classify(entry).type] += 1
        except Unrecognised:
            parsed.counts["unrecognised"] += 1
            if len(parsed.unrecognised) < 10:
                parsed.unrecognised.append(entry)


def digest(indicators: list[str]) -> str:
    """Names a list of indicators, to find the CSV a job's list came from."""
    return hashlib.sha256("\n".join(indicators).encode()).hexdigest()
