"""The overview page."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from jobs.models import JobStatus
from tests.factories import JobFactory


def test_counts_running_jobs_recent_jobs_and_operation_buttons(web, org):
    running = JobFactory(organization=org, type="test_sleep", status=JobStatus.PROCESSING,
                         target="busy.example", progress_current=2, progress_total=5,
                         progress_message="Scanning SSL...")
    JobFactory(organization=org, status=JobStatus.PENDING, target="queued.example")
    done = JobFactory(organization=org, status=JobStatus.COMPLETED, target="done.example")
    JobFactory.create_batch(2, organization=org, status=JobStatus.FAILED)

    response = web.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Overview · SecOps Jobs</title>" in html
    counts = response.context["status_counts"]
    assert counts == [("PENDING", "Pending", 1), ("PROCESSING", "Running", 1),
                      ("COMPLETED", "Completed", 1), ("FAILED", "Failed", 2),
                      ("CANCELLED", "Cancelled", 0)]
    assert f'href="{reverse("job-list")}?status=FAILED"' in html

    # Running now: with a progress bar; the overview around it refreshes itself.
    assert running in response.context["active_jobs"]
    assert done not in response.context["active_jobs"]
    assert 'aria-valuenow="40"' in html
    assert "Scanning SSL..." in html
    assert f'<div id="overview" hx-get="{reverse("home")}" hx-trigger="every 2s"' in html
    assert html.count("hx-trigger=") == 1, "only the overview polls, not its rows"
    # Recently finished.
    assert done in response.context["recent_jobs"]
    assert running not in response.context["recent_jobs"]

    for job_type in ["test_sleep", "test_fail", "test_noop", "test_crash"]:
        assert f'href="{reverse("job-new", args=[job_type])}"' in html


def test_empty_organization(web):
    html = web.get(reverse("home")).content.decode()
    assert "Nothing is running right now." in html
    assert "No jobs yet" in html
    assert 'hx-trigger="every 10s"' in html


def test_times_are_relative_with_the_exact_time_on_hover(web, org):
    when = timezone.now() - timedelta(minutes=2, seconds=5)
    JobFactory(organization=org, status=JobStatus.COMPLETED, created_at=when)
    html = web.get(reverse("home")).content.decode()
    exact = timezone.localtime(when)
    assert (f'<time datetime="{exact.isoformat()}" '
            f'title="{exact.day} {exact:%b %Y, %H:%M:%S} UTC">2\xa0minutes ago</time>') in html


def test_a_fresh_job_is_just_now(web, org):
    JobFactory(organization=org, status=JobStatus.COMPLETED)
    assert "just now</time>" in web.get(reverse("home")).content.decode()


def test_the_overview_refreshes_as_one_fragment(web, org):
    running = JobFactory(organization=org, status=JobStatus.PROCESSING, target="busy.example")
    headers = {"HX-Request": "true", "HX-Target": "overview"}

    fragment = web.get(reverse("home"), headers=headers)
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert html.lstrip().startswith('<div id="overview"') and "<title>" not in html
    assert "busy.example" in html and 'hx-trigger="every 2s"' in html
    assert "HX-Target" in fragment["Vary"]

    # The job ends: the next refresh moves it to recently finished, counts included,
    # and the overview slows down to an occasional look for jobs started elsewhere.
    running.status = JobStatus.COMPLETED
    running.save()
    html = web.get(reverse("home"), headers=headers).content.decode()
    assert "Nothing is running right now." in html
    assert 'hx-trigger="every 10s"' in html
    assert '<span class="stat-count">1</span> <span class="stat-label"><span ' \
           'class="status-icon" aria-hidden="true"></span>Completed' in html


def test_running_now_lists_running_jobs_before_waiting_ones_and_says_how_many_more(web, org):
    now = timezone.now()
    # Ten newer jobs waiting for a worker must not push the running ones out of view.
    running = [JobFactory(organization=org, status=JobStatus.PROCESSING,
                          target=f"run{i}.example", created_at=now - timedelta(hours=1, minutes=i))
               for i in range(3)]
    waiting = [JobFactory(organization=org, status=JobStatus.PENDING, target=f"wait{i}.example",
                          created_at=now - timedelta(minutes=i)) for i in range(10)]
    for headers in [{}, {"HX-Request": "true", "HX-Target": "overview"}]:
        response = web.get(reverse("home"), headers=headers)
        shown = response.context["active_jobs"]
        assert shown[:3] == running and shown[3:] == waiting[:5]
        html = response.content.decode()
        assert "+5 more:" in html
        assert f'<a href="{reverse("job-list")}?status=PENDING">5 waiting</a>' in html
        assert "running</a>" not in html  # every running job is shown


def test_more_running_jobs_than_rows(web, org):
    JobFactory.create_batch(10, organization=org, status=JobStatus.PROCESSING)
    html = web.get(reverse("home")).content.decode()
    assert "+2 more:" in html
    assert f'<a href="{reverse("job-list")}?status=PROCESSING">2 running</a>' in html
    assert "waiting</a>" not in html


def test_finished_jobs_show_their_result_summary(web, org):
    JobFactory(organization=org, type="test_noop", status=JobStatus.COMPLETED,
               target="done.example", result={"n": 7})
    html = web.get(reverse("home")).content.decode()
    assert '<td data-label="Result" class="cell-summary">n = 7</td>' in html
