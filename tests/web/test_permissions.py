"""No page shows or touches another organization's jobs or keys."""

import pytest
from django.urls import reverse

from jobs.models import JobStatus
from tests.factories import JobFactory, api_key_with_raw
from tests.web.conftest import HX


@pytest.fixture
def theirs(other_org):
    job = JobFactory(organization=other_org, type="test_sleep", status=JobStatus.PROCESSING,
                     target="secret-target.globex")
    key, _raw = api_key_with_raw(other_org, name="globex-secret-key")
    return job, key


@pytest.mark.parametrize("name", ["job-detail", "job-progress", "job-json"])
@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_another_organizations_job_is_404(web, theirs, name, headers):
    job, _key = theirs
    assert web.get(reverse(name, args=[job.pk]), headers=headers).status_code == 404


@pytest.mark.parametrize("name", ["job-cancel", "job-rerun"])
def test_another_organizations_job_cannot_be_changed(web, theirs, name):
    job, _key = theirs
    assert web.post(reverse(name, args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.status == JobStatus.PROCESSING
    assert type(job).objects.count() == 1


def test_another_organizations_key_cannot_be_revoked(web, theirs):
    _job, key = theirs
    assert web.post(reverse("api-key-revoke", args=[key.pk])).status_code == 404
    key.refresh_from_db()
    assert key.is_active


@pytest.mark.parametrize("url", ["/", "/jobs/", "/jobs/?q=secret", "/jobs/?status=PROCESSING",
                                 "/keys/"])
def test_lists_show_only_your_organization(web, org, theirs, url):
    JobFactory(organization=org, target="mine.acme")
    html = web.get(url).content.decode()
    assert "secret-target.globex" not in html
    assert "globex-secret-key" not in html
    assert str(theirs[0].pk) not in html


def test_counts_are_only_your_organization(web, theirs):
    counts = web.get("/").context["status_counts"]
    assert sum(count for _value, _label, count in counts) == 0


def test_not_found_page_has_the_layout(web, db):
    response = web.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Not found · SecOps Jobs</title>" in html
    assert 'aria-label="Main"' in html
