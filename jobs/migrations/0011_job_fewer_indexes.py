"""A submitted job writes two index pages fewer.

The organization index repeats the first column of the three composite indexes, and API
jobs (the most) have no user. The two indexes are dropped in place; altering the fields
the usual way would rebuild the whole jobs table on SQLite.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _single_column_index(schema_editor, column: str) -> str | None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "jobs_job")
    for name, info in constraints.items():
        if info["index"] and not info["unique"] and not info["primary_key"] \
                and info["columns"] == [column]:
            return name
    return None


def drop_indexes(apps, schema_editor):
    for column in ("organization_id", "user_id"):
        name = _single_column_index(schema_editor, column)
        if name:
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_indexes(apps, schema_editor):
    for column in ("organization_id", "user_id"):
        schema_editor.execute(f'CREATE INDEX "jobs_job_{column}_plain" ON "jobs_job" ("{column}")')


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0010_search_covering_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='job',
                    name='organization',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='jobs', to='jobs.organization'),
                ),
                migrations.AlterField(
                    model_name='job',
                    name='user',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='jobs', to=settings.AUTH_USER_MODEL),
                ),
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
        migrations.AddIndex(
            model_name='job',
            index=models.Index(condition=models.Q(('user__isnull', False)), fields=['user'], name='job_user'),
        ),
    ]
