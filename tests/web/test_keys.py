"""The API keys page: list, create (shown once), revoke."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from jobs.models import ApiKey, hash_key
from tests.factories import api_key_with_raw
from tests.web.conftest import HX


def test_list_shows_name_prefix_created_and_last_used(web, org, key):
    api_key, _raw = key
    api_key.last_used_at = timezone.now() - timedelta(hours=3)
    api_key.save()
    response = web.get(reverse("api-keys"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>API keys · SecOps Jobs</title>" in html
    assert "ci-key" in html
    assert f"<code>{api_key.prefix}…</code>" in html
    assert "3\xa0hours ago</time>" in html
    assert f'action="{reverse("api-key-revoke", args=[api_key.pk])}"' in html


def test_empty_list(web):
    assert "No keys yet" in web.get(reverse("api-keys")).content.decode()


def test_create_shows_the_key_once_with_copy_and_curl(web, member):
    response = web.post(reverse("api-keys"), {"name": "laptop"})
    assert response.status_code == 302 and response["Location"] == reverse("api-keys")
    response = web.get(reverse("api-keys"))
    assert response["Cache-Control"] == "no-store"
    raw = response.context["created"]["raw"]
    key = ApiKey.objects.get(name="laptop")
    assert key.hashed_key == hash_key(raw)
    assert key.created_by == member
    html = response.content.decode()
    assert f'value="{raw}"' in html
    assert 'data-copy="new-key"' in html
    assert f'curl -H "Authorization: Bearer {raw}"' in html
    assert "http://testserver/v1/ops/jobs/list" in html
    assert raw not in web.get(reverse("api-keys")).content.decode()


def test_reloading_after_creating_makes_no_second_key(web):
    response = web.post(reverse("api-keys"), {"name": "laptop"}, follow=True)
    assert response.redirect_chain == [(reverse("api-keys"), 302)]
    assert response.context["created"] is not None
    # A reload is a GET of the page the browser was sent to: no key, no second key.
    again = web.get(reverse("api-keys"))
    assert again.context["created"] is None and "Cache-Control" not in again
    assert ApiKey.objects.filter(name="laptop").count() == 1


def test_a_created_key_is_not_shown_in_another_organization(web, member, other_org):
    from tests.factories import MembershipFactory

    MembershipFactory(organization=other_org, user=member)
    web.post(reverse("api-keys"), {"name": "laptop"})
    web.post(reverse("organization-switch"), {"organization": other_org.pk})
    html = web.get(reverse("api-keys")).content.decode()
    assert "laptop" not in html and 'id="new-key"' not in html


def test_create_needs_a_name(web):
    response = web.post(reverse("api-keys"), {"name": "  "})
    assert "This field is required." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoke_without_htmx(web, key):
    api_key, _raw = key
    response = web.post(reverse("api-key-revoke", args=[api_key.pk]))
    assert response["Location"] == reverse("api-keys")
    api_key.refresh_from_db()
    assert not api_key.is_active
    html = web.get(reverse("api-keys")).content.decode()
    assert "Key “ci-key” revoked." in html
    assert "Revoked" in html


def test_revoke_with_htmx_answers_with_the_row(web, key):
    api_key, _raw = key
    response = web.post(reverse("api-key-revoke", args=[api_key.pk]), headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="key-{api_key.pk}"')
    assert "Revoked" in html and "hx-post" not in html


def test_revoke_twice(web, key):
    api_key, _raw = key
    web.post(reverse("api-key-revoke", args=[api_key.pk]))
    response = web.post(reverse("api-key-revoke", args=[api_key.pk]), follow=True)
    assert "was already revoked" in response.content.decode()


def test_revoke_needs_post(web, key):
    assert web.get(reverse("api-key-revoke", args=[key[0].pk])).status_code == 405


def test_revoked_key_no_longer_opens_the_api(web, key, client):
    api_key, raw = key
    web.post(reverse("api-key-revoke", args=[api_key.pk]))
    response = client.get("/v1/ops/jobs/list", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_other_keys_are_listed_active_first(web, org):
    old, _ = api_key_with_raw(org, name="old")
    web.post(reverse("api-key-revoke", args=[old.pk]))
    api_key_with_raw(org, name="new")
    names = [k.name for k in web.get(reverse("api-keys")).context["keys"]]
    assert names == ["new", "old"]
