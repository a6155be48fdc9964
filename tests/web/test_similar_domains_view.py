"""The lookalike-domains result on a job's page: summary, filters, sorting, pages, and the
CSV and JSON downloads (the shared result table, ``jobs.web.tables``)."""

import copy
import csv
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import pytest
from django.urls import reverse

from jobs.models import JobStatus
from jobs.operations.base import make_test_context
from jobs.operations.similar_domains import operation as op
from jobs.runner import call_run
from tests.factories import JobFactory
from tests.web.conftest import HX

TECHNIQUES = ["typosquatting", "homoglyph", "tld_variation"]
ROW = re.compile(r'<tr><td data-label="Domain"(.*?)</tr>', re.S)
STATE = re.compile(r'<span class="lk-state lk-state-([\w-]+)">([^<]*)</span>')
NAME = re.compile(r'<span class="lk-name" dir="ltr">([^<]*)</span>')
FORMULA_NS = "=HYPERLINK(\"http://evil.example\")"


@cache
def generated() -> dict:
    """A real result (no DNS lookups): about 300 names, IDNs among them."""
    params = op.Params(domain="example.com", techniques=TECHNIQUES, limit=100)
    # A thread of its own: a browser test's caller may already run an event loop (from
    # Python 3.12 on, asyncio.run() sees Playwright's), as a worker never does.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call_run, op.run, params, make_test_context()).result()


def unresolved_result() -> dict:
    return copy.deepcopy(generated())


def resolved_result() -> dict:
    """The generated names as if looked up: three registered, one SERVFAIL, the rest
    NXDOMAIN."""
    result = unresolved_result()
    names = result["similarDomains"]
    for entry in names:
        entry.update(registered=False, dnsStatus="NXDOMAIN", dnsA=[], dnsAaaa=[], dnsMx=[],
                     dnsNs=[])
    idn = next(e for e in names if "punycode" in e)
    names[0].update(registered=True, dnsStatus="NOERROR", dnsA=["192.0.2.10"],
                    dnsAaaa=["2001:db8::10"], dnsMx=["10 mail.xample.com."],
                    dnsNs=["ns1.parking.example.", "ns2.parking.example."])
    names[5].update(registered=True, dnsStatus="NOERROR", dnsA=["192.0.2.11"],
                    dnsNs=[FORMULA_NS], dnsMx=["+1 mx.example."])
    idn.update(registered=True, dnsStatus="NOERROR", dnsA=["198.51.100.7"])
    names[7].update(registered=False, dnsStatus="SERVFAIL")
    result["resolution"] = {"status": "completed", "checked": len(names), "registered": 3,
                            "total": len(names),
                            "statuses": {"NOERROR": 3, "SERVFAIL": 1,
                                         "NXDOMAIN": len(names) - 4}}
    return result


def completed(org, result, **fields):
    return JobFactory(organization=org, type="similar_domains", status=JobStatus.COMPLETED,
                      target="example.com", result=result,
                      params={"domain": "example.com", "techniques": TECHNIQUES, "limit": 100},
                      **fields)


@pytest.fixture
def plain_job(org):
    return completed(org, unresolved_result())


@pytest.fixture
def resolved_job(org):
    return completed(org, resolved_result())


def page(web, job, query="", headers=None):
    url = reverse("job-detail", args=[job.pk]) + (f"?{query}" if query else "")
    response = web.get(url, headers=headers or {})
    assert response.status_code == 200
    return response.content.decode()


def fragment(web, job, query=""):
    url = reverse("job-table", args=[job.pk, "lookalikes"]) + (f"?{query}" if query else "")
    return web.get(url, headers=HX)


def rows(html: str) -> list[str]:
    return ROW.findall(html)


def names(html: str) -> list[str]:
    return [NAME.search(row).group(1) for row in rows(html)]


def states(html: str) -> list[tuple[str, str]]:
    return STATE.findall(html)


def export(web, job, fmt, query=""):
    url = (reverse("job-table-export", args=[job.pk, "lookalikes", fmt])
           + (f"?{query}" if query else ""))
    return web.get(url)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


# --- the page ---------------------------------------------------------------------------


def test_summary_and_first_page_of_an_unresolved_result(web, plain_job):
    html = page(web, plain_job)
    total = plain_job.result["totalCount"]
    assert total > 250
    assert '<span class="mono">example.com</span>' in html
    assert f'<dd class="lk-total">{total}</dd>' in html
    assert "DNS lookups skipped" in html
    assert len(rows(html)) == 100
    assert f"Showing 1–100 of {total} names" in html
    # Nothing was looked up: no registered filter, column or DNS columns.
    assert 'name="lookalikes-f-registered"' not in html and "lk-state" not in html
    assert 'data-column="addresses"' not in html
    assert 'class="json-tree"' not in html  # the type's own template, not the fallback


def test_techniques_are_named_as_requested_with_the_label_and_what_they_try(web, plain_job):
    html = page(web, plain_job)
    lines = re.findall(r'<tr class="lk-technique-row">(.*?)</tr>', html, re.S)
    assert len(lines) == 3
    first = lines[1]
    assert "<code>homoglyph</code>" in first and ">UTFVARS</span>" in first
    assert "Letters that look like the original ones" in first
    # In the table too: the request name, the published label beside it.
    row = rows(html)[0]
    assert "<code>typosquatting</code>" in row and ">TYPO</span>" in row
    assert '<option value="homoglyph">homoglyph · UTFVARS (100)</option>' in html


def test_techniques_that_reached_the_limit_are_flagged(web, org):
    params = op.Params(domain="example.com", techniques=["typosquatting", "prefix"], limit=5)
    result = call_run(op.run, params, make_test_context())
    assert result["analysis"]["truncated"] == {"typosquatting": True, "prefix": True}
    html = page(web, completed(org, result))
    assert html.count("limit reached</span>") == 2
    assert "reached the limit of 5 names: there are more of those kinds" in html

    roomy = op.Params(domain="example.com", techniques=["tld_variation"], limit=10000)
    result = call_run(op.run, roomy, make_test_context())
    assert result["analysis"]["truncated"] == {"tld_variation": False}
    html = page(web, completed(org, result))
    assert "limit reached" not in html and 'id="lk-truncated"' not in html


def test_resolved_summary_and_states(web, resolved_job):
    html = page(web, resolved_job, "lookalikes-sort=registered")
    total = resolved_job.result["totalCount"]
    assert f"3 of {total} registered" in html
    assert "1 could not be checked (SERVFAIL 1)." in html
    found = states(html)
    assert found[:4] == [("registered", "Registered")] * 3 + [("unknown", "Unknown (SERVFAIL)")]
    assert found[4] == ("not-registered", "Not registered")
    first = rows(html)[0].replace("<wbr>", "")
    assert "192.0.2.10" in first and "2001:db8::10" in first
    assert "10 mail.xample.com." in first and "ns1.parking.example." in first
    for key in ("addresses", "mx", "ns"):
        assert f'<th scope="col" data-column="{key}">' in html


def test_a_timeout_is_no_answer_not_free(web, org):
    result = resolved_result()
    result["similarDomains"][9].update(registered=False, dnsStatus="TIMEOUT")
    html = page(web, completed(org, result), "lookalikes-f-registered=no-answer")
    assert states(html) == [("no-answer", "No answer")]


def test_with_no_server_reached_even_nxdomain_is_no_answer(web, org):
    result = resolved_result()
    result["resolution"] = op._unavailable("127.0.0.1:53: every query timed out")
    html = page(web, completed(org, result))
    assert "No DNS server answered" in html
    assert {state for state, _text in states(html)} == {"no-answer"}
    assert "Not registered" not in html


def test_dns_servers_that_never_answered_are_said_plainly(web, org):
    result = unresolved_result()
    result["resolution"] = op._unavailable("127.0.0.1:53: no answer in time")
    html = page(web, completed(org, result))
    assert "No DNS server answered" in html
    assert "127.0.0.1:53: no answer in time" in html


def test_partial_resolution_says_where_it_stopped(web, org):
    result = resolved_result()
    result["resolution"].update(status="partial", checked=120,
                                message="Stopped at the job's time limit after 120 of 300.")
    html = page(web, completed(org, result))
    assert "3 of 120 registered" in html
    assert "Stopped at the job&#x27;s time limit after 120 of 300." in html


def test_filter_by_technique_shows_punycode_for_idns(web, plain_job):
    html = page(web, plain_job, "lookalikes-f-technique=homoglyph")
    found = rows(html)
    assert found and all('<span class="lk-tag" title="Published label in results">UTFVARS'
                         in row for row in found)
    idn = next(e for e in plain_job.result["similarDomains"] if "punycode" in e)
    assert f'<span class="lk-name" dir="ltr">{idn["unicode"]}</span>' in html
    assert f'<span class="lk-puny" dir="ltr">{idn["punycode"]}</span>' in html
    assert '<option value="homoglyph" selected>' in html
    assert "matching (of" in html


def test_bitsquatting_is_told_apart_from_typosquatting(web, org):
    params = op.Params(domain="example.com", techniques=["typosquatting", "bitsquatting"],
                       limit=20)
    job = completed(org, call_run(op.run, params, make_test_context()))
    html = page(web, job, "lookalikes-f-technique=bitsquatting")
    assert len(rows(html)) == 20
    assert all("<code>bitsquatting</code>" in row and ">TYPO</span>" in row
               for row in rows(html))


@pytest.mark.parametrize(("value", "expected"), [
    ("registered", {"Registered"}), ("not-registered", {"Not registered"}),
    ("unknown", {"Unknown (SERVFAIL)"})])
def test_filter_by_registered(web, resolved_job, value, expected):
    html = page(web, resolved_job, f"lookalikes-f-registered={value}")
    assert {text for _state, text in states(html)} == expected
    assert f'<option value="{value}" selected>' in html


def test_filters_combine(web, resolved_job):
    html = page(web, resolved_job,
                "lookalikes-f-technique=homoglyph&lookalikes-f-registered=registered")
    idn = next(e for e in resolved_job.result["similarDomains"] if "punycode" in e)
    assert names(html) == [idn["unicode"]]


def test_search_finds_unicode_and_records(web, resolved_job):
    idn = next(e for e in resolved_job.result["similarDomains"] if "punycode" in e)
    assert names(page(web, resolved_job, f"lookalikes-q={idn['unicode']}")) == [idn["unicode"]]
    assert names(page(web, resolved_job, "lookalikes-q=parking")) == ["xample.com"]


def test_unknown_filter_values_are_ignored(web, plain_job):
    html = page(web, plain_job, "lookalikes-sort=evil&lookalikes-page=x&technique=NOPE")
    assert len(rows(html)) == 100
    assert "Showing 1–100" in html


@pytest.mark.parametrize("sort", ["domain", "-domain"])
def test_sort_by_domain(web, plain_job, sort):
    html = page(web, plain_job, f"lookalikes-f-technique=typosquatting&lookalikes-sort={sort}")
    shown = names(html)
    expected = sorted((e["domain"] for e in plain_job.result["similarDomains"]
                       if e["technique"] == "TYPO"), key=str.casefold,
                      reverse=sort.startswith("-"))
    assert shown == expected[:len(shown)]
    direction = "descending" if sort.startswith("-") else "ascending"
    assert f'data-column="domain" aria-sort="{direction}"' in html
    # The header links to the other direction and keeps the filter.
    other = "domain" if sort.startswith("-") else "-domain"
    job_url = reverse("job-detail", args=[plain_job.pk])
    assert (f'href="{job_url}?lookalikes-sort={other}&amp;lookalikes-f-technique=typosquatting'
            '#table-lookalikes"') in html


def test_pages_keep_filters_and_sort(web, plain_job):
    job_url = reverse("job-detail", args=[plain_job.pk])
    html = page(web, plain_job, "lookalikes-sort=fuzzer&lookalikes-page=2")
    total = plain_job.result["totalCount"]
    assert f"Showing 101–200 of {total} names" in html
    assert f'href="{job_url}?lookalikes-sort=fuzzer#table-lookalikes"' in html  # page 1
    assert f'href="{job_url}?lookalikes-sort=fuzzer&amp;lookalikes-page=3#table-lookalikes"' in html
    last = page(web, plain_job, "lookalikes-page=999")
    assert f"Showing 201–{total} of {total} names" in last
    assert 'rel="next"' not in last


def test_filtering_to_nothing_says_so(web, plain_job):
    html = page(web, plain_job, "lookalikes-f-technique=levenshtein")
    assert rows(html) == []
    assert "Nothing matches." in html and "Clear the filters" in html


def test_export_links_follow_the_filters(web, resolved_job):
    html = page(web, resolved_job, "lookalikes-f-technique=typosquatting"
                                   "&lookalikes-f-registered=registered&lookalikes-sort=domain")
    csv_url = reverse("job-table-export", args=[resolved_job.pk, "lookalikes", "csv"])
    assert (f'href="{csv_url}?lookalikes-sort=domain&amp;lookalikes-f-technique=typosquatting'
            '&amp;lookalikes-f-registered=registered" download') in html


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_final_progress_fragment_carries_the_table(web, resolved_job, headers):
    # The live part of the page is swapped in once the job ends: it must hold the table.
    response = web.get(reverse("job-progress", args=[resolved_job.pk]), headers=headers)
    if not headers:
        assert response.status_code == 302
        return
    assert response.status_code == 286
    html = response.content.decode()
    assert 'id="table-lookalikes"' in html and len(rows(html)) == 100


# --- the htmx fragment --------------------------------------------------------------------


def test_fragment_for_htmx(web, resolved_job):
    response = fragment(web, resolved_job,
                        "lookalikes-f-technique=homoglyph&lookalikes-sort=-domain")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="table-lookalikes"')
    assert "<html" not in html and "lk-summary" not in html
    assert rows(html) and all("UTFVARS" in row for row in rows(html))
    job_url = reverse("job-detail", args=[resolved_job.pk])
    assert response["HX-Push-Url"] == (f"{job_url}?lookalikes-sort=-domain"
                                       "&lookalikes-f-technique=homoglyph")
    assert "HX-Request" in response["Vary"]


def test_fragment_without_htmx_goes_to_the_page_with_the_same_query(web, plain_job):
    url = (reverse("job-table", args=[plain_job.pk, "lookalikes"])
           + "?lookalikes-sort=domain&lookalikes-page=2&x=1")
    response = web.get(url)
    assert response.status_code == 302
    job_url = reverse("job-detail", args=[plain_job.pk])
    assert response["Location"] == (f"{job_url}?lookalikes-sort=domain&lookalikes-page=2"
                                    "#table-lookalikes")


def test_fragment_and_page_keep_queries_few(web, resolved_job, django_assert_max_num_queries):
    for url, headers in [
            (reverse("job-detail", args=[resolved_job.pk]) + "?lookalikes-sort=domain", {}),
            (reverse("job-table", args=[resolved_job.pk, "lookalikes"]) + "?lookalikes-page=2",
             HX),
            (reverse("job-table-export", args=[resolved_job.pk, "lookalikes", "csv"]), {})]:
        with django_assert_max_num_queries(7, info=url):
            assert web.get(url, headers=headers).status_code == 200


# --- downloads ----------------------------------------------------------------------------


def test_csv_export_with_filters(web, resolved_job):
    response = export(web, resolved_job, "csv",
                      "lookalikes-f-registered=registered&lookalikes-sort=domain")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition == (f'attachment; filename="lookalikes-example.com-'
                           f'{str(resolved_job.pk)[:8]}.csv"')
    found = csv_rows(response)
    assert list(found[0]) == ["domain", "unicode", "punycode", "technique", "label", "fuzzer",
                              "registered", "dns_status", "addresses", "mx", "ns"]
    assert len(found) == 3 and {r["registered"] for r in found} == {"registered"}
    assert [r["domain"] for r in found] == sorted((r["domain"] for r in found), key=str.casefold)
    first = resolved_job.result["similarDomains"][0]
    row = next(r for r in found if r["domain"] == first["domain"])
    assert row["addresses"] == "192.0.2.10, 2001:db8::10"
    assert row["ns"] == "ns1.parking.example., ns2.parking.example."
    assert row["mx"] == "10 mail.xample.com." and row["dns_status"] == "NOERROR"
    assert row["technique"] == "typosquatting" and row["label"] == "TYPO"
    idn = next(r for r in found if r["punycode"])
    assert idn["domain"] == idn["punycode"] and idn["punycode"].startswith("xn--")
    assert idn["unicode"] and not idn["unicode"].isascii()


def test_csv_export_of_everything(web, plain_job):
    found = csv_rows(export(web, plain_job, "csv"))
    assert len(found) == plain_job.result["totalCount"]
    assert {r["registered"] for r in found} == {""}


def test_csv_cells_cannot_be_formulas(web, resolved_job):
    found = csv_rows(export(web, resolved_job, "csv", "lookalikes-f-registered=registered"))
    fifth = resolved_job.result["similarDomains"][5]["domain"]
    row = next(r for r in found if r["domain"] == fifth)
    assert row["ns"] == "'" + FORMULA_NS
    assert row["mx"] == "'+1 mx.example."
    cells = [cell for r in found for cell in r.values()]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_json_export_with_filters(web, resolved_job):
    response = export(web, resolved_job, "json",
                      "lookalikes-f-technique=homoglyph&lookalikes-f-registered=registered")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="lookalikes-')
    body = json.loads(response.content)
    assert body["filters"] == {"search": None, "sort": None, "technique": "homoglyph",
                               "registered": "registered"}
    (entry,) = body["rows"]
    assert body["count"] == 1
    assert entry["punycode"].startswith("xn--") and entry["registered"] == "registered"
    assert body["jobId"] == str(resolved_job.pk) and body["table"] == "lookalikes"


def test_unknown_export_format_is_404(web, plain_job):
    assert export(web, plain_job, "xlsx").status_code == 404


# --- whose, and when ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["job-table", "job-table-export", "job-detail"])
@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_another_organizations_job_is_404(web, other_org, name, headers):
    theirs = completed(other_org, resolved_result())
    args = {"job-table": [theirs.pk, "lookalikes"],
            "job-table-export": [theirs.pk, "lookalikes", "csv"],
            "job-detail": [theirs.pk]}[name]
    assert web.get(reverse(name, args=args), headers=headers).status_code == 404


@pytest.mark.parametrize("status", [JobStatus.PENDING, JobStatus.PROCESSING,
                                    JobStatus.FAILED, JobStatus.CANCELLED])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_unfinished_jobs_have_no_downloads(web, org, status, fmt):
    job = JobFactory(organization=org, type="similar_domains", status=status,
                     target="example.com")
    assert export(web, job, fmt).status_code == 404
    assert fragment(web, job).status_code == 404


def test_other_job_types_have_no_lookalike_views(web, org):
    job = JobFactory(organization=org, type="test_noop", status=JobStatus.COMPLETED,
                     result={"n": 1})
    assert export(web, job, "csv").status_code == 404
    assert fragment(web, job).status_code == 404


def test_the_summary_in_job_lists(web, org, resolved_job):
    html = web.get(reverse("job-list")).content.decode()
    assert (f"{resolved_job.result['totalCount']} names, 3 registered (limit reached)"
            in html)


# --- the form that starts one -------------------------------------------------------------


def test_new_job_form_for_lookalikes(web):
    html = web.get(reverse("job-new", args=["similar_domains"])).content.decode()
    for name in op.Technique.__args__:
        assert (f'<input type="checkbox" name="techniques" value="{name}"'
                f'{" checked" if name == "typosquatting" else ""}>') in html
    assert '<legend>Options</legend>' in html
    assert 'name="options.resolve"' in html and 'name="options.distance"' in html


def test_new_job_form_starts_one(web, org):
    response = web.post(reverse("job-new", args=["similar_domains"]), {
        "domain": "example.com", "techniques": ["typosquatting", "homoglyph"],
        "limit": "20", "options.distance": "1"})
    assert response.status_code == 302
    from jobs.models import Job

    job = Job.objects.get()
    assert job.params["techniques"] == ["typosquatting", "homoglyph"]
    assert job.params["limit"] == 20


def test_an_odd_result_still_renders(web, org):
    job = completed(org, {"domain": "example.com", "similarDomains": "nope", "resolution": 3})
    html = page(web, job)
    assert "does not match this version's result format" in html
    assert export(web, job, "csv").status_code == 404
