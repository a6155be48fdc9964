"""Pages issue a handful of queries whatever the number of jobs."""

import pytest
from django.urls import reverse

from jobs.models import JobStatus
from tests.factories import JobFactory, api_key_with_raw
from tests.web.conftest import HX

# Session, user, membership, page data, and the notice of disabled webhook endpoints.
MAX_QUERIES = 8
STATUSES = list(JobStatus)


@pytest.fixture
def many_jobs(org):
    jobs = [JobFactory(organization=org, status=STATUSES[i % len(STATUSES)],
                       type=["test_sleep", "test_noop"][i % 2], target=f"host{i}.example",
                       result={"i": i} if STATUSES[i % len(STATUSES)] == "COMPLETED" else None)
            for i in range(30)]
    for i in range(5):
        api_key_with_raw(org, name=f"key-{i}")
    return jobs


def page_urls(jobs):
    done = next(j for j in jobs if j.status == JobStatus.COMPLETED)
    running = next(j for j in jobs if j.status == JobStatus.PROCESSING)
    return [
        (reverse("home"), {}),
        (reverse("job-list"), {}),
        (reverse("job-list") + "?status=COMPLETED&q=host", {}),
        (reverse("job-list") + "?q=host", {"HX-Request": "true", "HX-Target": "job-table"}),
        (reverse("job-detail", args=[done.pk]), {}),
        (reverse("job-detail", args=[running.pk]), {}),
        (reverse("job-progress", args=[running.pk]), HX),
        (reverse("job-json", args=[done.pk]), {}),
        (reverse("job-new-index"), {}),
        (reverse("job-new", args=["test_sleep"]), {}),
        (reverse("api-keys"), {}),
    ]


def test_every_page_with_30_jobs(web, many_jobs, django_assert_max_num_queries):
    for url, headers in page_urls(many_jobs):
        with django_assert_max_num_queries(MAX_QUERIES, info=url):
            response = web.get(url, headers=headers)
        assert response.status_code in (200, 286), url


def test_query_count_does_not_grow_with_jobs(web, org):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        cache.clear()  # result summaries are cached between requests
        with CaptureQueriesContext(connection) as ctx:
            web.get(url)
        return len(ctx.captured_queries)

    JobFactory.create_batch(2, organization=org, status=JobStatus.PROCESSING)
    JobFactory.create_batch(2, organization=org, status=JobStatus.COMPLETED)
    few = {url: count(url) for url in ["/", "/jobs/"]}
    JobFactory.create_batch(30, organization=org, status=JobStatus.PROCESSING)
    JobFactory.create_batch(30, organization=org, status=JobStatus.COMPLETED)
    assert {url: count(url) for url in ["/", "/jobs/"]} == few
