"""Result tables: filter, search, sort, paginate and export, written once for every page.

An operation's presenter declares its tables as data (``Table`` with ``Column``s and a
``rows(result)`` function over its typed result). This module turns a table and a query
string into what ``web/_table.html`` shows, serves the table alone for htmx
(``job-table``) and exports the rows the filters keep as CSV or JSON
(``job-table-export``). Without JavaScript the same links reload the job's page.

Query parameters are prefixed with the table's name (``nodes-q``, ``nodes-sort``,
``nodes-page``, ``nodes-f-type``), so several tables share one page and one URL.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from pydantic import ValidationError

from jobs.models import Job, JobStatus
from jobs.operations import UnknownOperation, get_operation
from jobs.web import selectors
from jobs.web.orgs import WebRequest, organization_required

# A spreadsheet runs a cell that starts with one of these as a formula; results hold text
# from anyone's servers, so such a cell is written as text (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9.-]+")
MAX_FILTER_CHOICES = 200


@dataclass(frozen=True)
class Column:
    """One column: ``key`` names the row's field (and the CSV header).

    The row keeps the raw value (what sorts, filters, searches and exports); ``display``
    turns it into the text shown in cells and filter choices, and ``template`` (a cell
    template given ``row``, ``value``, ``text`` and ``column``) shows a cell with markup.
    """

    key: str
    label: str
    sortable: bool = True
    filter: bool = False          # offer a select of the values present (exact match)
    mono: bool = False            # addresses, hashes, names: monospace
    numeric: bool = False         # sorts as a number, aligned right
    display: Callable[[Any], str] | None = None
    template: str = ""
    sort_key: Callable[[Any], Any] | None = None   # raw value -> sort key
    shown: bool = True            # False: only searched and exported, never a column
    hide_empty: bool = False      # left out while no row has a value for it

    def text(self, value: Any) -> str:
        if self.display is not None and value not in (None, ""):
            return self.display(value)
        return cell_text(value)


@dataclass(frozen=True)
class Cell:
    column: Column
    text: str
    value: Any
    row: dict

    def __iter__(self):
        # ``{% for column, text in row %}`` in templates written before cells had more.
        return iter((self.column, self.text))


@dataclass(frozen=True)
class Table:
    name: str                                  # url-safe; anchor and query prefix
    title: str
    columns: tuple[Column, ...]
    rows: Callable[[Any], list[dict[str, Any]]]   # typed result -> row dicts
    page_size: int = 50
    empty: str = "Nothing to show."
    noun: str = "row"

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


@dataclass(frozen=True)
class Query:
    """What the query string asks of one table; values it does not know are ignored."""

    search: str = ""
    sort: str = ""
    page: str = ""
    filters: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, table: Table, query: Mapping) -> Query:
        prefix = f"{table.name}-"
        sort = str(query.get(prefix + "sort") or "")
        column = table.column(sort.lstrip("-"))
        filters = tuple((c.key, str(query.get(f"{prefix}f-{c.key}") or ""))
                        for c in table.columns if c.filter and query.get(f"{prefix}f-{c.key}"))
        return cls(search=str(query.get(prefix + "q") or "")[:200].strip(),
                   sort=sort if column is not None and column.sortable else "",
                   page=str(query.get(prefix + "page") or "")[:10], filters=filters)

    @property
    def active(self) -> bool:
        return bool(self.search or self.filters)

    def pairs(self, table: Table, **changes: Any) -> list[tuple[str, str]]:
        values = {"search": self.search, "sort": self.sort, "page": "",
                  "filters": dict(self.filters), **changes}
        prefix = f"{table.name}-"
        pairs = [(prefix + "q", values["search"]), (prefix + "sort", values["sort"])]
        pairs += [(f"{prefix}f-{k}", v) for k, v in values["filters"].items()]
        if values["page"] not in ("", "1"):
            pairs.append((prefix + "page", values["page"]))
        return [(k, v) for k, v in pairs if v]

    def encode(self, table: Table, **changes: Any) -> str:
        return urlencode(self.pairs(table, **changes))


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set):
        return ", ".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _sort_key(column: Column) -> Callable[[dict], Any]:
    def key(row: dict) -> Any:
        value = row.get(column.key)
        if column.sort_key is not None:
            return (value in (None, "", []), column.sort_key(value))
        if column.numeric:
            return (value is None, value if isinstance(value, int | float) else 0)
        return (value in (None, "", []), cell_text(value).casefold())

    return key


def select(table: Table, rows: list[dict], query: Query) -> list[dict]:
    """The rows the query keeps, in the order it asks for (stable)."""
    chosen = rows
    for key, wanted in query.filters:
        chosen = [r for r in chosen if _matches(r.get(key), wanted)]
    if query.search:
        needle = query.search.casefold()
        chosen = [r for r in chosen if any(needle in text.casefold() for text in _texts(table, r))]
    if query.sort:
        column = table.column(query.sort.lstrip("-"))
        chosen = sorted(chosen, key=_sort_key(column), reverse=query.sort.startswith("-"))
    return chosen


def _texts(table: Table, row: dict) -> Iterable[str]:
    """What search looks in: every column's raw text, and its display text if it has one."""
    for column in table.columns:
        value = row.get(column.key)
        yield cell_text(value)
        if column.display is not None and value not in (None, ""):
            yield column.display(value)


def _matches(value: Any, wanted: str) -> bool:
    if isinstance(value, list | tuple | set):
        return any(cell_text(v) == wanted for v in value)
    return cell_text(value) == wanted


# --- what the template shows ------------------------------------------------------------


@dataclass
class HeaderCell:
    column: Column
    query: str
    aria_sort: str = ""
    mark: str = ""


@dataclass
class FilterSelect:
    column: Column
    chosen: str
    choices: list[tuple[str, str, int]]   # (value, text, count)


@dataclass
class TableView:
    table: Table
    query: Query
    page: Page
    headers: list[HeaderCell]
    selects: list[FilterSelect]
    rows: list[list[Cell]]
    total: int
    page_url: str
    fragment_url: str
    csv_url: str
    json_url: str
    clear_query: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        return f"table-{self.table.name}"

    def link(self, **changes: Any) -> str:
        return self.query.encode(self.table, **changes)

    @property
    def previous_query(self) -> str:
        return self.link(page=str(self.page.previous_page_number()))

    @property
    def next_query(self) -> str:
        return self.link(page=str(self.page.next_page_number()))


def table_view(job: Job, table: Table, rows: list[dict], query: Mapping) -> TableView:
    parsed = Query.parse(table, query)
    chosen = select(table, rows, parsed)
    page = Paginator(chosen, table.page_size).get_page(parsed.page)
    export = parsed.encode(table)
    export = f"?{export}" if export else ""
    columns = visible_columns(table, rows)
    return TableView(
        table=table, query=parsed, page=page, total=len(rows),
        headers=[_header(table, c, parsed) for c in columns],
        selects=[_select(c, rows, parsed) for c in columns if c.filter],
        rows=[[Cell(c, c.text(r.get(c.key)), r.get(c.key), r) for c in columns]
              for r in page.object_list],
        page_url=reverse("job-detail", args=[job.pk]),
        fragment_url=reverse("job-table", args=[job.pk, table.name]),
        csv_url=reverse("job-table-export", args=[job.pk, table.name, "csv"]) + export,
        json_url=reverse("job-table-export", args=[job.pk, table.name, "json"]) + export,
        clear_query=parsed.encode(table, search="", filters={}),
    )


def visible_columns(table: Table, rows: list[dict]) -> list[Column]:
    """The columns shown: not export-only, and not empty in every row if they may hide."""
    return [c for c in table.columns if c.shown and not (
        c.hide_empty and all(r.get(c.key) in (None, "", []) for r in rows))]


def _header(table: Table, column: Column, query: Query) -> HeaderCell:
    if not column.sortable:
        return HeaderCell(column, "")
    current = query.sort.lstrip("-") == column.key
    descending = query.sort.startswith("-")
    following = f"-{column.key}" if current and not descending else column.key
    cell = HeaderCell(column, query.encode(table, sort=following))
    if current:
        cell.aria_sort = "descending" if descending else "ascending"
        cell.mark = "↓" if descending else "↑"
    return cell


def _select(column: Column, rows: Iterable[dict], query: Query) -> FilterSelect:
    counts: Counter[str] = Counter()
    for row in rows:
        value = row.get(column.key)
        for item in value if isinstance(value, list | tuple | set) else [value]:
            if item not in (None, ""):
                counts[cell_text(item)] += 1
    chosen = dict(query.filters).get(column.key, "")
    order = (lambda item: column.sort_key(item[0])) if column.sort_key else None
    choices = sorted(counts.items(), key=order)[:MAX_FILTER_CHOICES]
    return FilterSelect(column, chosen, [(value, column.text(value), count)
                                         for value, count in choices])


# --- the presenter's side -----------------------------------------------------------------


def tables_of(job: Job) -> tuple[Any, dict[str, Table]]:
    """(typed result, {name: table}) of a completed job whose operation declares tables."""
    try:
        spec = get_operation(job.type)
    except UnknownOperation:
        raise Http404("No such operation") from None
    if spec.presenter is None or job.status != JobStatus.COMPLETED:
        raise Http404("No tables for this job")
    try:
        result = spec.result.model_validate(job.result)
    except ValidationError:
        raise Http404("This result is in an older format") from None
    return result, {t.name: t for t in spec.presenter.tables}


def views_for(job: Job, result: Any, tables: Iterable[Table], query: Mapping) -> dict:
    """Every table of a result as shown on the job's page, by name."""
    return {t.name: table_view(job, t, t.rows(result), query) for t in tables}


def _job_table(request: WebRequest, job_id, name: str) -> tuple[Job, Table, Any]:
    job = selectors.job_get(organization=request.organization, job_id=job_id)
    result, tables = tables_of(job)
    if name not in tables:
        raise Http404("No such table")
    return job, tables[name], result


@organization_required
def job_table(request: WebRequest, job_id, name: str):
    """One table alone, for htmx; a plain request goes to the job's page, same query."""
    job, table, result = _job_table(request, job_id, name)
    view = table_view(job, table, table.rows(result), request.GET)
    query = view.link(page=str(view.page.number))
    address = view.page_url + (f"?{query}" if query else "")
    if not request.htmx:
        return redirect(f"{address}#{view.anchor}")
    response = render(request, "web/_table.html", {"t": view})
    patch_vary_headers(response, ("HX-Request",))
    response["HX-Push-Url"] = address
    return response


@organization_required
def job_table_export(request: WebRequest, job_id, name: str, fmt: str):
    if fmt not in ("csv", "json"):
        raise Http404("No such format")
    job, table, result = _job_table(request, job_id, name)
    query = Query.parse(table, request.GET)
    rows = select(table, table.rows(result), query)
    if fmt == "csv":
        body, content_type = csv_text(table, rows), "text/csv; charset=utf-8"
    else:
        body, content_type = json_text(job, table, query, rows), "application/json"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename(job, table, fmt)}"'
    return response


def csv_text(table: Table, rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.key for c in table.columns])
    writer.writerows([safe_cell(cell_text(row.get(c.key))) for c in table.columns]
                     for row in rows)
    return out.getvalue()


def safe_cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_START) else value


def json_text(job: Job, table: Table, query: Query, rows: list[dict]) -> str:
    body = {"jobId": str(job.pk), "type": job.type, "table": table.name,
            "filters": {"search": query.search or None, "sort": query.sort or None,
                        **{k: v for k, v in query.filters}},
            "count": len(rows), "rows": rows}
    return json.dumps(body, indent=2, ensure_ascii=False, default=str)


def filename(job: Job, table: Table, fmt: str) -> str:
    target = UNSAFE_FILENAME.sub("-", job.target or "").strip("-.") or "job"
    return f"{table.name}-{target}-{str(job.pk)[:8]}.{fmt}"
