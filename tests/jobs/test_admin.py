import pytest

from jobs import lifecycle
from jobs.models import ApiKey, hash_key
from tests.factories import JobFactory, MembershipFactory, UserFactory


@pytest.fixture
def staff_client(client, org):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    MembershipFactory(user=user, organization=org)
    client.force_login(user)
    return client


def test_job_admin_lists_and_shows_formatted_json(staff_client, org):
    job = JobFactory(organization=org, params={"domain": "example.com"})
    lifecycle.job_claim(job_id=job.pk, worker="w", timeout=60, job_type=job.type)
    lifecycle.job_complete(job_id=job.pk, worker="w", result={"answer": 42})
    listing = staff_client.get("/admin/jobs/job/?status__exact=COMPLETED")
    assert listing.status_code == 200 and str(job.pk) in listing.content.decode()
    detail = staff_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert "&quot;answer&quot;: 42" in detail and "&quot;domain&quot;" in detail
    assert 'name="_save"' not in detail  # read-only


def test_job_admin_has_no_add(staff_client):
    assert staff_client.get("/admin/jobs/job/add/").status_code == 403


def test_creating_a_key_in_admin_shows_it_once(staff_client, org):
    response = staff_client.post("/admin/jobs/apikey/add/",
                                 {"organization": org.pk, "name": "from-admin"}, follow=True)
    page = response.content.decode()
    key = ApiKey.objects.get(name="from-admin")
    raw = page.split("<code>")[1].split("</code>")[0]
    assert raw.startswith("sok_") and hash_key(raw) == key.hashed_key
    assert raw not in staff_client.get(f"/admin/jobs/apikey/{key.pk}/change/").content.decode()


def test_revoke_action(staff_client, key):
    staff_client.post("/admin/jobs/apikey/", {"action": "revoke",
                                              "_selected_action": [key[0].pk]})
    key[0].refresh_from_db()
    assert key[0].revoked_at is not None


@pytest.mark.parametrize("url", ["/admin/django_q/schedule/", "/admin/django_q/success/",
                                 "/admin/django_q/failure/", "/admin/jobs/organization/"])
def test_other_admin_pages(staff_client, url):
    assert staff_client.get(url).status_code == 200


def test_admin_needs_staff(client, org):
    user = UserFactory(username="plain")
    MembershipFactory(user=user, organization=org)
    client.force_login(user)
    assert client.get("/admin/jobs/job/").status_code == 302


def test_queued_tasks_page_shows_a_job_entry_as_its_task(staff_client):
    import uuid

    from django.contrib import admin
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    from jobs.queue import run_job_line

    if OrmQ not in admin.site._registry:
        pytest.skip("the queued-tasks page exists with the database broker only")
    job_id = uuid.uuid4()
    line = OrmQ.objects.create(key="k", payload=run_job_line(job_id, "test_noop"))
    other = OrmQ.objects.create(key="k", payload=SignedPackage.dumps(
        {"id": "t1", "name": "housekeeping", "func": "jobs.tasks.purge_expired_jobs"}))
    listing = staff_client.get("/admin/django_q/ormq/").content.decode()
    assert f"job-{job_id}" in listing and "jobs.tasks.run_job" in listing
    assert "housekeeping" in listing and "jobs.tasks.purge_expired_jobs" in listing
    assert "BadSignature" not in listing
    detail = staff_client.get(f"/admin/django_q/ormq/{line.pk}/change/").content.decode()
    assert str(job_id) in detail and "test_noop" in detail
    assert staff_client.get(f"/admin/django_q/ormq/{other.pk}/change/").status_code == 200
