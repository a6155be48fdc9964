from io import StringIO

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from jobs.models import ApiKey, Membership, Organization, hash_key


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


def test_create_api_key_creates_the_org_and_prints_the_key_last(db):
    out = run("create_api_key", "--org", "acme", "--name", "ci-key")
    raw = out.strip().splitlines()[-1]
    key = ApiKey.objects.get(name="ci-key")
    assert key.organization == Organization.objects.get(name="acme")
    assert hash_key(raw) == key.hashed_key and raw.startswith(key.prefix)
    run("create_api_key", "--org", "acme", "--name", "second")
    assert Organization.objects.filter(name="acme").count() == 1


def test_create_user_creates_or_updates_a_member(db):
    run("create_user", "--org", "acme", "--username", "ann", "--password", "pw-one-long")
    run("create_user", "--org", "acme", "--username", "ann", "--password", "pw-two-long",
        "--staff")
    user = authenticate(RequestFactory().post("/login/"), username="ann",
                        password="pw-two-long")
    assert user is not None and user.is_staff
    assert Membership.objects.filter(user=user, organization__name="acme").count() == 1


def test_bootstrap_demo_reuses_its_key_and_password(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = run("bootstrap_demo", "--url", "http://127.0.0.1:8000/")
    second = run("bootstrap_demo", "--url", "http://127.0.0.1:8000/")
    assert first == second and "API key:   sok_" in first
    assert ApiKey.objects.filter(name="demo-key").count() == 1
    ApiKey.objects.update(revoked_at="2026-01-01T00:00:00Z")
    third = run("bootstrap_demo")
    assert third != first and ApiKey.objects.filter(revoked_at__isnull=True).count() == 1
    assert oct((tmp_path / "demo-api-key").stat().st_mode)[-3:] == "600"
