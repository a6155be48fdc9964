"""The shared result tables: search, filter, sort, pages, fragments and exports."""

import csv
import io
import json

from django.urls import reverse

from jobs.models import JobStatus
from tests.factories import JobFactory
from tests.web.conftest import HX


def noop_job(org, n=12):
    return JobFactory(organization=org, type="test_noop", status=JobStatus.COMPLETED,
                      result={"n": n})


def fragment(web, job, query=None, headers=None):
    return web.get(reverse("job-table", args=[job.pk, "items"]), query or {}, headers=headers)


def test_a_table_is_paged_sorted_and_filtered(web, org):
    job = noop_job(org)
    query = {"items-sort": "-i", "items-f-parity": "odd"}
    html = fragment(web, job, query, headers=HX).content.decode()
    assert "Showing 1–5 of 6 items matching (of 12)" in html
    assert html.index(">11<") < html.index(">9<")  # descending
    assert ">10<" not in html  # even numbers filtered out
    assert 'aria-sort="descending"' in html


def test_search_matches_any_column(web, org):
    html = fragment(web, noop_job(org), {"items-q": "item 1"}, headers=HX).content.decode()
    assert "of 3 items" in html  # item 1, item 10, item 11


def test_without_htmx_the_fragment_sends_you_to_the_page(web, org):
    job = noop_job(org)
    response = fragment(web, job, {"items-page": "2"})
    assert response.status_code == 302
    assert response["Location"] == (reverse("job-detail", args=[job.pk])
                                    + "?items-page=2#table-items")


def test_exports_keep_the_filters_and_defuse_formulas(web, org):
    job = noop_job(org, n=5)
    url = reverse("job-table-export", args=[job.pk, "items", "csv"])
    rows = list(csv.reader(io.StringIO(web.get(url, {"items-f-parity": "odd"}).content.decode())))
    assert rows == [["i", "parity", "text"], ["1", "odd", "item 1"], ["3", "odd", "'=cmd"]]
    url = reverse("job-table-export", args=[job.pk, "items", "json"])
    body = json.loads(web.get(url, {"items-sort": "-i"}).content)
    assert body["count"] == 5 and body["rows"][0]["i"] == 4


def test_unknown_tables_formats_and_other_organizations_are_404(web, org, other_org):
    job = noop_job(org)
    assert web.get(reverse("job-table", args=[job.pk, "nope"]), headers=HX).status_code == 404
    assert web.get(reverse("job-table-export", args=[job.pk, "items", "xml"])).status_code == 404
    theirs = noop_job(other_org)
    assert fragment(web, theirs, headers=HX).status_code == 404
    running = JobFactory(organization=org, type="test_noop", status=JobStatus.PROCESSING)
    assert fragment(web, running, headers=HX).status_code == 404


def test_an_empty_table_says_so(web, org):
    html = fragment(web, noop_job(org, n=0), headers=HX).content.decode()
    assert "No items" in html and "Nothing to show." in html


# --- what columns can say about themselves ------------------------------------------------


def _view(org, table, rows, query=None):
    from jobs.web.tables import table_view

    return table_view(noop_job(org), table, rows, query or {})


def test_display_template_sort_key_and_hidden_columns(org):
    from jobs.web.tables import Column, Query, Table, csv_text, select

    order = ["high", "low"]
    table = Table("t", "T", rows=lambda result: [], columns=(
        Column("name", "Name", template="cells/not-rendered-here.html"),
        Column("level", "Level", filter=True, display=lambda v: f"{v} priority",
               sort_key=order.index),
        Column("secret", "Secret", shown=False),
        Column("extra", "Extra", hide_empty=True),
    ))
    rows = [{"name": "a", "level": "low", "secret": "=x", "extra": None},
            {"name": "b", "level": "high", "secret": "s", "extra": ""}]
    view = _view(org, table, rows, {"t-sort": "level"})
    # Export-only and empty hideable columns are not shown; sorting follows sort_key.
    assert [h.column.key for h in view.headers] == ["name", "level"]
    assert [[c.text for c in row] for row in view.rows] == [["b", "high priority"],
                                                               ["a", "low priority"]]
    assert view.rows[0][0].row is rows[1]
    assert view.selects[0].choices == [("high", "high priority", 1),
                                        ("low", "low priority", 1)]
    # Search finds the display text too; exports keep every column and raw values.
    assert select(table, rows, Query(search="h prio")) == [rows[1]]
    assert csv_text(table, rows).splitlines()[1] == "a,low,'=x,"
    rows[0]["extra"] = "here"
    assert [h.column.key for h in _view(org, table, rows).headers] == ["name", "level", "extra"]
