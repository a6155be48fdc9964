# On PostgreSQL, a table of (name server, record) pairs kept in step by triggers: an
# exact name-server search reads its ids from its index instead of the trigram index;
# and one index for searches combining country, city and registrar (see
# jobs.registrations.indexes).

from django.db import migrations

from jobs.registrations import indexes


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0011_job_fewer_indexes'),
    ]

    operations = indexes.name_server_operations()
