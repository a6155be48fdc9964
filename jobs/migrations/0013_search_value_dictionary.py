# On PostgreSQL, a table of the distinct registrant names and companies kept in step by
# triggers: a wildcard search on either finds the matching values there, then their
# records exactly (see jobs.registrations.indexes).

from django.db import migrations

from jobs.registrations import indexes


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0012_search_name_servers_places'),
    ]

    operations = indexes.value_operations()
