"""/healthz, /healthz/web and the staff queue-health page (dashboard and admin)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.status import Stat

from jobs.models import JobStatus
from tests.factories import JobFactory, MembershipFactory, UserFactory
from tests.web.conftest import HX


class FakeCluster:
    """What django-q2's Stat.get_all returns for one live cluster (its real fields)."""

    cluster_id = "7f3e"
    host = "worker-1"
    status = "Idle"
    workers = [101, 102]
    task_q_size = 0
    tob = timestamp = None


@pytest.fixture
def staff(client, org):
    user = UserFactory(username="root-user", is_staff=True, is_superuser=True)
    MembershipFactory(organization=org, user=user)
    client.force_login(user)
    return client


@pytest.fixture
def one_cluster(monkeypatch):
    monkeypatch.setattr(Stat, "get_all", staticmethod(lambda broker=None: [FakeCluster()]))


@pytest.fixture
def no_cluster(monkeypatch):
    monkeypatch.setattr(Stat, "get_all", staticmethod(lambda broker=None: []))


def test_healthz_needs_a_live_worker(client, db, no_cluster):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok" and "no worker cluster" in body["reason"]


def test_healthz_is_ok_with_database_broker_and_worker(client, db, one_cluster):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_the_web_only_check_ignores_workers(client, db, no_cluster):
    assert client.get("/healthz/web").json() == {"status": "ok"}


def test_queue_page_shows_queue_running_and_failures(staff, org, one_cluster):
    now = timezone.now()
    JobFactory(organization=org, status=JobStatus.PENDING, created_at=now - timedelta(seconds=90))
    JobFactory(organization=org, type="test_sleep", status=JobStatus.PROCESSING,
               worker="host:1:abc", progress_message="Sleeping, step 2 of 5...",
               heartbeat_at=now, started_at=now)
    JobFactory(organization=org, type="test_fail", status=JobStatus.FAILED,
               error_code="TARGET_UNREACHABLE", error_at=now, completed_at=now)
    html = staff.get(reverse("queue-health")).content.decode()
    assert "worker-1" in html and "Sleeping, step 2 of 5..." in html
    assert "TARGET_UNREACHABLE" in html and "<rect" in html
    fragment = staff.get(reverse("queue-health"), headers={**HX, "HX-Target": "queue-health"})
    assert fragment.content.decode().lstrip().startswith('<div id="queue-health"')


def test_queue_page_says_when_no_worker_runs(staff, no_cluster):
    html = staff.get(reverse("queue-health")).content.decode()
    assert "No worker cluster has reported" in html and "No job ended in the last hour." in html


def test_queue_page_is_for_staff_only(web):
    assert web.get(reverse("queue-health")).status_code == 403


def test_the_admin_shows_it_too(staff, one_cluster):
    response = staff.get(reverse("admin:jobs_queue_health"))
    assert response.status_code == 200 and "worker-1" in response.content.decode()
    listing = staff.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert reverse("admin:jobs_queue_health") in listing
