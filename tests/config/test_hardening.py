"""Production settings pass Django's deployment checks; pages carry a strict CSP;
sign-in is throttled against guessing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SECRET_KEY": "x7Vq2-lN0pR9sT4uW8yZ1bC3dF5gH6jK9mN2pQ4rS7tV0wX3zA5cE8fG1hJ4kL6",
    "ALLOWED_HOSTS": "jobs.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://jobs.example.com",
    "SESSION_COOKIE_SECURE": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL_HEADER": "1",
}


def check_deploy(extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0", **extra})
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy",
                           "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_production_recipe_passes_check_deploy():
    done = check_deploy(PRODUCTION)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_machine_generated_secret_with_a_shared_database_is_flagged(tmp_path):
    settings = {**PRODUCTION, "SECRET_KEY": "", "VAR_DIR": str(tmp_path),
                "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    done = check_deploy(settings)
    assert done.returncode != 0 and "jobs.W004" in done.stdout + done.stderr


def test_every_page_carries_a_content_security_policy(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy
    assert "<script>" not in response.content.decode()  # no inline script


@pytest.mark.django_db
def test_sign_in_is_paused_after_repeated_failures(client, settings):
    from tests.factories import UserFactory

    UserFactory(username="bob", password="right password here")
    settings.AXES_FAILURE_LIMIT = 3
    statuses = [client.post(reverse("login"), {"username": "bob", "password": "wrong"})
                .status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # the form again twice, then the pause
    response = client.post(reverse("login"), {"username": "bob",
                                              "password": "right password here"})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    other = client.post(reverse("login"), {"username": "carol", "password": "wrong"})
    assert other.status_code == 200  # only that user name from that address waits


def _templates():
    yield from (ROOT / "templates").rglob("*.html")
    yield from (ROOT / "jobs").rglob("templates/**/*.html")


def test_no_template_carries_inline_script():
    # The policy would block it in the browser; catch it here first.
    import re

    inline = re.compile(r"""<script(?![^>]*\bsrc=)(?![^>]*type="application/json")[^>]*>"""
                        r"""|\son[a-z]+=["']|javascript:""", re.IGNORECASE)
    found = [f"{path.relative_to(ROOT)}: {match.group(0)}"
             for path in _templates() for match in inline.finditer(path.read_text())]
    assert not found, "\n".join(found)
