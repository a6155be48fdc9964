"""The jobs table: order, filters, search, pages, and rows that refresh themselves."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs.models import JobStatus
from tests.factories import JobFactory
from tests.web.conftest import HX

TABLE = {**HX, "HX-Target": "job-table"}


def make_jobs(org, n, **fields):
    now = timezone.now()
    return [JobFactory(organization=org, created_at=now - timedelta(minutes=i),
                       target=f"host{i}.example", **fields) for i in range(n)]


def listed(response):
    return [job.target for job in response.context["jobs"]]


def test_newest_first(web, org):
    make_jobs(org, 3)
    response = web.get(reverse("job-list"))
    assert response.status_code == 200
    assert listed(response) == ["host0.example", "host1.example", "host2.example"]
    assert "<title>Jobs · SecOps Jobs</title>" in response.content.decode()


def test_filter_by_status_and_type_and_search_target(web, org):
    JobFactory(organization=org, type="test_sleep", status=JobStatus.COMPLETED, target="a.example")
    JobFactory(organization=org, type="test_noop", status=JobStatus.COMPLETED, target="b.example")
    JobFactory(organization=org, type="test_sleep", status=JobStatus.FAILED, target="c.test")

    assert listed(web.get(reverse("job-list"), {"status": "FAILED"})) == ["c.test"]
    assert sorted(listed(web.get(reverse("job-list"), {"type": "test_sleep"}))) == [
        "a.example", "c.test"]
    assert listed(web.get(reverse("job-list"), {"q": "B.EXAM"})) == ["b.example"]
    assert listed(web.get(reverse("job-list"), {"type": "test_sleep",
                                                "status": "COMPLETED"})) == ["a.example"]


def test_unknown_filter_values_are_ignored(web, org):
    make_jobs(org, 2)
    response = web.get(reverse("job-list"), {"status": "BOGUS", "type": "nope"})
    assert response.status_code == 200
    assert len(listed(response)) == 2


def test_pages_of_25_keep_the_filters(web, org):
    make_jobs(org, 30, status=JobStatus.COMPLETED)
    first = web.get(reverse("job-list"), {"status": "COMPLETED"})
    assert len(listed(first)) == 25
    html = first.content.decode()
    assert "Page 1 of 2" in html
    assert 'href="?status=COMPLETED&amp;page=2"' in html
    second = web.get(reverse("job-list"), {"status": "COMPLETED", "page": 2})
    assert listed(second) == [f"host{i}.example" for i in range(25, 30)]
    assert web.get(reverse("job-list"), {"page": "999"}).status_code == 200


def test_empty_state(web):
    html = web.get(reverse("job-list")).content.decode()
    assert "No jobs yet" in html
    assert f'href="{reverse("job-new-index")}"' in html


def test_no_match_state(web, org):
    make_jobs(org, 1)
    html = web.get(reverse("job-list"), {"q": "zzz"}).content.decode()
    assert "No jobs match these filters" in html


def test_htmx_filter_request_gets_only_the_table(web, org):
    make_jobs(org, 2)
    response = web.get(reverse("job-list"), {"q": "host1"}, headers=TABLE)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="job-table"')
    assert "<html" not in html and "<form" not in html
    assert "host1.example" in html and "host0.example" not in html
    assert "HX-Request" in response["Vary"]


def test_without_htmx_the_whole_page(web, org):
    make_jobs(org, 1)
    html = web.get(reverse("job-list")).content.decode()
    assert "<html" in html
    assert 'id="job-table"' in html
    assert 'hx-get="/jobs/"' in html  # the filter form enhances itself


@pytest.mark.parametrize("headers", [{}, TABLE], ids=["page", "htmx"])
def test_the_table_polls_once_fast_while_a_job_runs(web, org, headers):
    running = JobFactory(organization=org, status=JobStatus.PROCESSING, target="run.example")
    JobFactory(organization=org, status=JobStatus.COMPLETED)
    html = web.get(reverse("job-list"), {"status": ""}, headers=headers).content.decode()
    assert html.count("hx-trigger=\"every") == 1, "one poll for the table, none per row"
    assert ('<div id="job-table" class="job-table" hx-get="/jobs/?status=" '
            'hx-trigger="every 2s" hx-target="this" hx-swap="outerHTML">') in html
    running.status = JobStatus.COMPLETED
    running.save()
    html = web.get(reverse("job-list"), headers=headers).content.decode()
    assert 'hx-get="/jobs/" hx-trigger="every 10s"' in html


def test_a_refresh_shows_new_jobs_and_keeps_the_filters(web, org):
    JobFactory(organization=org, status=JobStatus.COMPLETED, target="old.example")
    first = web.get(reverse("job-list"), {"q": "example"}, headers=TABLE)
    assert listed(first) == ["old.example"]
    JobFactory(organization=org, status=JobStatus.PENDING, target="new.example")
    JobFactory(organization=org, status=JobStatus.PENDING, target="new.test")
    again = web.get(reverse("job-list"), {"q": "example"}, headers=TABLE)
    assert listed(again) == ["new.example", "old.example"]
    assert 'hx-get="/jobs/?q=example"' in again.content.decode()


def test_target_is_the_link_text_and_the_result_is_summed_up(web, org):
    job = JobFactory(organization=org, type="test_noop", status=JobStatus.COMPLETED,
                     target="7", result={"n": 7})
    html = web.get(reverse("job-list")).content.decode()
    link = re.search(rf'<a class="row-link" href="{reverse("job-detail", args=[job.pk])}">'
                     r'(.*?)</a>', html).group(1)
    assert '<span class="mono">7</span>' in link
    assert '<td data-label="Result" class="cell-summary">n = 7</td>' in html


def test_summaries_are_worked_out_once(web, org, django_assert_num_queries):
    from django.core.cache import cache

    cache.clear()
    JobFactory.create_batch(3, organization=org, type="test_noop", status=JobStatus.COMPLETED,
                            result={"n": 1})
    with django_assert_num_queries(6):  # session, user, membership, count, page, results
        web.get(reverse("job-list"))
    with django_assert_num_queries(5):
        web.get(reverse("job-list"))


def test_a_homoglyph_target_shows_its_punycode_and_a_warning(web, org):
    job = JobFactory(organization=org, status=JobStatus.COMPLETED, target="p\u0430ypal.com")
    html = web.get(reverse("job-list")).content.decode()
    assert '<span class="mono" dir="ltr">xn--pypal-4ve.com</span>' in html
    assert "Mixed scripts (Cyrillic and Latin)" in html
    detail = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "<title>Test noop · xn--pypal-4ve.com (mixed scripts) · SecOps Jobs</title>" in detail
    assert detail.count("Mixed scripts (Cyrillic and Latin)") == 2  # heading and facts


def test_status_is_text_as_well_as_colour(web, org):
    JobFactory(organization=org, status=JobStatus.FAILED)
    html = web.get(reverse("job-list")).content.decode()
    assert '<span class="status status-failed"><span class="status-icon" aria-hidden="true">' \
           '</span>Failed</span>' in html


def test_htmx_request_for_the_page_itself_gets_the_whole_page(web, org):
    make_jobs(org, 1)
    for url in [reverse("job-list"), reverse("home")]:
        html = web.get(url, headers=HX).content.decode()
        assert "<html" in html and 'aria-label="Main"' in html


def test_ended_rows_say_how_they_ended(web, org):
    JobFactory(organization=org, status=JobStatus.FAILED, progress_message="Step 2",
               error_message="x.test did not answer.")
    JobFactory(organization=org, status=JobStatus.CANCELLED, progress_message="Step 3")
    html = web.get(reverse("job-list")).content.decode()
    assert "x.test did not answer." in html and "Cancelled" in html
    assert "Step 2" not in html and "Step 3" not in html
