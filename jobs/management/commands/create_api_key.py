from django.core.management.base import BaseCommand

from jobs.services import api_key_create, organization_get_or_create


class Command(BaseCommand):
    help = "Create an API key for an organization (created if missing); prints the key last."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization name")
        parser.add_argument("--name", required=True, help="a name for the key, e.g. ci-key")

    def handle(self, *args, org, name, **options):
        organization = organization_get_or_create(name=org)
        key, raw = api_key_create(organization=organization, name=name)
        self.stderr.write(f"Created key {key.name!r} ({key.prefix}…) for {organization.name}. "
                          "It is shown only now; store it somewhere safe.")
        self.stdout.write(raw)
