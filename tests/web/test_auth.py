"""Signing in and out, organization scoping and switching."""

import re

import pytest
from django.urls import reverse

from jobs.web.orgs import SESSION_KEY
from tests.factories import JobFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.web.conftest import HX

PAGES = ["home", "job-list", "job-new-index", "api-keys"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_users_are_sent_to_sign_in(client, db, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_anonymous_job_pages_redirect_too(client, org):
    job = JobFactory(organization=org)
    for name in ["job-detail", "job-progress", "job-json"]:
        response = client.get(reverse(name, args=[job.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_anonymous_htmx_poll_is_told_to_load_sign_in(client, org):
    job = JobFactory(organization=org)
    response = client.get(reverse("job-progress", args=[job.pk]),
                          headers={**HX, "HX-Current-URL": f"http://testserver/jobs/{job.pk}/"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/login/?next=/jobs/{job.pk}/"
    assert response.content == b""


def test_sign_in_page(client, db):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Sign in · SecOps Jobs</title>" in html
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_sign_in_and_out(client, member):
    response = client.post(reverse("login"), {"username": "alice",
                                              "password": "correct horse battery"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200

    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_is_explained(client, member):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_sign_in_goes_back_to_the_page_asked_for(client, member):
    response = client.post(reverse("login"), {"username": "alice",
                                              "password": "correct horse battery",
                                              "next": "/keys/"})
    assert response["Location"] == "/keys/"


def test_user_without_organization_gets_a_clear_message(client, db):
    client.force_login(UserFactory(username="loner"))
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 403
        assert "not in any organization" in response.content.decode()


def test_sign_out_is_a_post_form_in_the_nav(web):
    html = web.get(reverse("home")).content.decode()
    assert f'<form method="post" action="{reverse("logout")}">' in html
    assert "Sign out" in html


def test_every_page_carries_the_csrf_token_for_htmx(web):
    html = web.get(reverse("home")).content.decode()
    assert re.search(r'<body hx-headers=\'\{"X-CSRFToken": "[A-Za-z0-9]{64}"\}\'>', html)


def test_admin_link_only_for_staff(web, member):
    assert 'href="/admin/"' not in web.get(reverse("home")).content.decode()
    member.is_staff = True
    member.save()
    assert 'href="/admin/"' in web.get(reverse("home")).content.decode()


@pytest.fixture
def two_orgs(member, org, other_org):
    MembershipFactory(user=member, organization=other_org)
    JobFactory(organization=org, target="acme-target")
    JobFactory(organization=other_org, target="globex-target")
    return org, other_org


def test_first_organization_by_default_and_switching(web, two_orgs):
    org, other = two_orgs
    html = web.get(reverse("job-list")).content.decode()
    assert "acme-target" in html and "globex-target" not in html
    assert 'name="organization"' in html  # the switcher, since there are two

    response = web.post(reverse("organization-switch"), {"organization": other.pk})
    assert response["Location"] == reverse("home")
    assert web.session[SESSION_KEY] == other.pk
    html = web.get(reverse("job-list")).content.decode()
    assert "globex-target" in html and "acme-target" not in html


def test_cannot_switch_to_an_organization_you_are_not_in(web, org):
    stranger = OrganizationFactory(name="initech")
    JobFactory(organization=stranger, target="initech-target")
    response = web.post(reverse("organization-switch"), {"organization": stranger.pk},
                        follow=True)
    assert "You are not a member of that organization." in response.content.decode()
    assert SESSION_KEY not in web.session
    assert "initech-target" not in web.get(reverse("job-list")).content.decode()


def test_a_stale_organization_in_the_session_falls_back(web, org):
    session = web.session
    session[SESSION_KEY] = 999_999
    session.save()
    assert "acme" in web.get(reverse("home")).content.decode()


def test_switching_needs_post(web):
    assert web.get(reverse("organization-switch")).status_code == 405


def test_single_organization_shows_its_name_without_a_switcher(web):
    html = web.get(reverse("home")).content.decode()
    assert 'class="org-name"' in html
    assert 'name="organization"' not in html
