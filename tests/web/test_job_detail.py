"""A job's page, its live fragment, cancelling, running again and the JSON download."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job, JobStatus
from tests.factories import JobFactory
from tests.web.conftest import HX


@pytest.fixture
def running(org):
    now = timezone.now()
    return JobFactory(organization=org, type="test_sleep", status=JobStatus.PROCESSING,
                      target="slow.example", params={"seconds": 5.0, "steps": 5,
                                                     "target": "slow.example"},
                      progress_current=2, progress_total=5, progress_message="Sleeping...",
                      username="alice", metadata={"source": "dashboard"},
                      created_at=now - timedelta(seconds=70),
                      started_at=now - timedelta(seconds=65))


def test_running_job_page(web, running):
    response = web.get(reverse("job-detail", args=[running.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Test sleep · slow.example · SecOps Jobs</title>" in html
    assert "<h1>Test sleep</h1>" in html
    assert "alice (from the dashboard)" in html
    assert "1 min 5 s so far" in html
    assert 'aria-valuenow="40"' in html and "Sleeping..." in html
    assert (f'hx-get="{reverse("job-progress", args=[running.pk])}" hx-trigger="every 2s"'
            in html)
    assert 'id="cancel-job"' in html
    assert f'action="{reverse("job-cancel", args=[running.pk])}"' in html
    assert f'action="{reverse("job-rerun", args=[running.pk])}"' in html
    assert f'href="{reverse("job-json", args=[running.pk])}" download' in html
    assert "Raw JSON" not in html  # not until it ends


def test_pending_job_says_it_waits_for_a_worker(web, org):
    job = JobFactory(organization=org, status=JobStatus.PENDING)
    html = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "Waiting for a worker" in html
    assert 'id="cancel-job"' in html


def test_progress_fragment_while_running(web, running):
    response = web.get(reverse("job-progress", args=[running.pk]), headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="job-live"')
    assert "<html" not in html
    assert 'hx-trigger="every 2s"' in html
    assert "40%" in html


def test_progress_fragment_answers_286_with_the_result_at_the_end(web, org):
    job = JobFactory(organization=org, status=JobStatus.COMPLETED, result={"open": [22, 443]},
                     progress_current=3, progress_total=3)
    response = web.get(reverse("job-progress", args=[job.pk]), headers=HX)
    assert response.status_code == 286
    html = response.content.decode()
    assert "hx-trigger" not in html and 'id="cancel-job"' not in html
    assert "Completed" in html and "100%" in html
    assert 'class="json-tree"' in html and "open" in html and "443" in html


@pytest.mark.parametrize("status", [JobStatus.FAILED, JobStatus.CANCELLED])
def test_progress_fragment_stops_for_every_end(web, org, status):
    job = JobFactory(organization=org, status=status)
    assert web.get(reverse("job-progress", args=[job.pk]), headers=HX).status_code == 286


def test_progress_fragment_without_htmx_goes_to_the_page(web, running):
    response = web.get(reverse("job-progress", args=[running.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("job-detail", args=[running.pk])


def test_completed_job_shows_the_collapsible_json_view(web, org):
    job = JobFactory(organization=org, status=JobStatus.COMPLETED,
                     result={"domain": "example.com", "records": {"A": ["192.0.2.1"]},
                             "score": 12, "ok": True, "note": None})
    html = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert '<div class="json-tree">' in html
    assert '<span class="json-key">domain</span>' in html
    assert '"example.com"' in html and "192.0.2.1" in html
    assert '<span class="json-value json-boolean">true</span>' in html
    assert '<span class="json-value json-null">null</span>' in html
    assert "<details open>" in html
    assert "Raw JSON" in html and "&quot;domain&quot;: &quot;example.com&quot;" in html
    assert 'id="cancel-job"' not in html


def test_big_results_are_cut_in_the_tree(web, org):
    job = JobFactory(organization=org, status=JobStatus.COMPLETED,
                     result={"items": list(range(250))})
    html = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "… and 150 more" in html


def test_an_operation_presenter_replaces_the_json_view(web, org):
    # test_noop's SPEC has a presenter; its context reads the typed result.
    job = JobFactory(organization=org, type="test_noop", status=JobStatus.COMPLETED,
                     result={"n": 7})
    html = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert '<p class="custom">n is 7 for test_noop</p>' in html
    assert 'class="json-tree"' not in html


def test_failed_job_explains_the_error_in_plain_words(web, org):
    job = JobFactory(organization=org, status=JobStatus.FAILED, error_code="TARGET_UNREACHABLE",
                     error_message="unreachable.test did not answer.",
                     error_details="connect timeout after 5 s")
    html = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "The target could not be reached" in html
    assert "unreachable.test did not answer." in html
    assert "Details: connect timeout after 5 s" in html
    assert "<code>TARGET_UNREACHABLE</code>" in html


def test_unknown_error_codes_still_read_well(web, org):
    job = JobFactory(organization=org, status=JobStatus.FAILED, error_code="SOMETHING_NEW",
                     error_message="It broke.")
    html = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "The job failed" in html and "It broke." in html


def test_cancel_without_htmx(web, running):
    response = web.post(reverse("job-cancel", args=[running.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("job-detail", args=[running.pk])
    running.refresh_from_db()
    assert running.status == JobStatus.CANCELLED
    html = web.get(response["Location"]).content.decode()
    assert "Job cancelled." in html
    assert "This job was cancelled" in html
    assert 'id="cancel-job"' not in html


def test_cancel_with_htmx_answers_with_the_fragment(web, running):
    response = web.post(reverse("job-cancel", args=[running.pk]), headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="job-live"')
    assert "Cancelled" in html and "hx-trigger" not in html


def test_cancel_an_ended_job(web, org):
    job = JobFactory(organization=org, status=JobStatus.COMPLETED, result={})
    response = web.post(reverse("job-cancel", args=[job.pk]), follow=True)
    assert "The job had already ended." in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED


def test_cancel_needs_post(web, running):
    assert web.get(reverse("job-cancel", args=[running.pk])).status_code == 405


def test_run_again_with_the_same_parameters(web, running, member):
    response = web.post(reverse("job-rerun", args=[running.pk]))
    new = Job.objects.exclude(pk=running.pk).get()
    assert response["Location"] == reverse("job-detail", args=[new.pk])
    assert new.params == running.params
    assert new.type == "test_sleep" and new.status == JobStatus.PENDING
    assert (new.user, new.username, new.metadata) == (member, "alice", {"source": "dashboard"})


def test_run_again_with_parameters_that_no_longer_pass_shows_the_form(web, org):
    job = JobFactory(organization=org, type="test_sleep", status=JobStatus.COMPLETED,
                     params={"seconds": 5000})
    response = web.post(reverse("job-rerun", args=[job.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Input should be less than or equal to 600" in html
    assert 'value="5000"' in html
    assert Job.objects.count() == 1


def test_run_again_of_an_unknown_type(web, org):
    job = JobFactory(organization=org, type="retired_op", status=JobStatus.COMPLETED)
    response = web.post(reverse("job-rerun", args=[job.pk]), follow=True)
    assert "not available any more" in response.content.decode()


def test_download_json(web, org):
    job = JobFactory(organization=org, status=JobStatus.COMPLETED, result={"n": 1})
    response = web.get(reverse("job-json", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="job-{job.pk}.json"'
    body = json.loads(response.content)
    assert body["id"] == str(job.pk) and body["result"] == {"n": 1}
    assert body["status"] == "COMPLETED"


def test_unknown_job_is_404(web, db):
    assert web.get("/jobs/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert web.get("/jobs/not-a-uuid/").status_code == 404


def test_detail_page_with_htmx_header_is_still_the_whole_page(web, running):
    html = web.get(reverse("job-detail", args=[running.pk]), headers=HX).content.decode()
    assert "<html" in html and 'id="job-live"' in html


def test_the_job_page_draws_the_timeline(web, org):
    from jobs import runner

    job = JobFactory(organization=org, type="test_noop", params={"n": 2})
    runner.job_run(job_id=job.pk, job_type=job.type)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    html = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "Timeline" in html and "1 attempt on" in html
    steps = html[html.index("timeline-steps"):]
    assert steps.index("Submitted") < steps.index("Started") < steps.index("Completed</strong>")
