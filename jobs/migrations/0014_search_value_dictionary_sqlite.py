# On SQLite too, the table of distinct registrant names and companies, kept in step by
# triggers: a wildcard search on either finds the matching values there, then their
# records through the column's index (see jobs.registrations.indexes).

from django.db import migrations

from jobs.registrations import indexes


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0013_search_value_dictionary'),
    ]

    operations = indexes.sqlite_value_operations()
