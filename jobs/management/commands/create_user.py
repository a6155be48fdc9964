from django.core.management.base import BaseCommand

from jobs.services import organization_get_or_create, user_create_or_update


class Command(BaseCommand):
    help = "Create or update a dashboard user who is a member of an organization."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True)
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--staff", action="store_true", help="may use the admin")

    def handle(self, *args, org, username, password, staff, **options):
        organization = organization_get_or_create(name=org)
        user = user_create_or_update(organization=organization, username=username,
                                     password=password, staff=staff)
        self.stdout.write(f"User {user.username} is a member of {organization.name}"
                          + (" (staff)" if staff else ""))
