# On PostgreSQL the search's B-trees (the date indexes and those on lower(col)) carry
# the column, the id and the organization, so a search counts and collects its matches
# from the index alone; see jobs/registrations/indexes.py. Their names stay; SQLite's
# are unchanged. The organization column loses its own index
# (see the model).

import django.db.models.deletion
from django.db import migrations, models

from jobs.registrations import indexes


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0009_registrations'),
    ]

    operations = [
        # Only PostgreSQL drops the index: on SQLite, altering the field would rebuild
        # the table without the search indexes and FTS5 triggers of 0009.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AlterField(
                model_name='registration',
                name='organization',
                field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='jobs.organization'),
            )],
            database_operations=[indexes.VendorSQL(
                "postgresql", "DROP INDEX IF EXISTS jobs_registration_organization_id_6287673c",
                "CREATE INDEX jobs_registration_organization_id_6287673c "
                "ON jobs_registration (organization_id)")],
        ),
        *indexes.covering_operations(),
    ]
