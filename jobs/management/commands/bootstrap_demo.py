"""First-run helper for the README's run command: a demo organization, user and key.

The password and key are kept in var/ (mode 0600) so that running again prints the
same ones instead of piling up new keys; a revoked or deleted key is replaced.
"""

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from jobs.models import ApiKey, hash_key
from jobs.services import api_key_create, organization_get_or_create, user_create_or_update

ORG, USER, KEY_NAME = "demo", "demo", "demo-key"


def _secret_file(name: str):
    path = settings.VAR_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write_private(path, value: str) -> None:
    path.touch(mode=0o600)
    path.write_text(value)


class Command(BaseCommand):
    help = "Create (or reuse) the demo organization, user and API key, and print them."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url, **options):
        org = organization_get_or_create(name=ORG)
        password_file = _secret_file("demo-password")
        if not password_file.exists():
            _write_private(password_file, secrets.token_urlsafe(12))
        password = password_file.read_text().strip()
        user_create_or_update(organization=org, username=USER, password=password, staff=True)

        key_file = _secret_file("demo-api-key")
        raw = key_file.read_text().strip() if key_file.exists() else ""
        if not raw or not ApiKey.objects.active().filter(hashed_key=hash_key(raw)).exists():
            _, raw = api_key_create(organization=org, name=KEY_NAME)
            _write_private(key_file, raw)

        self.stdout.write(
            "\n"
            f"  Service:   {url}\n"
            f"  Sign in:   user {USER}, password {password}\n"
            f"  API key:   {raw}\n"
            f"  Try it:    curl -H 'Authorization: Bearer {raw}' {url}v1/ops/jobs/list\n"
        )
