import django.db.models.deletion
from django.db import migrations, models


def _api_key_indexes(schema_editor, model) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(
            cursor, model._meta.db_table)
    return [name for name, c in constraints.items()
            if c["index"] and not c["unique"] and not c["primary_key"]
            and c["columns"] == ["api_key_id"]]


def api_key_index_drop(apps, schema_editor):
    model = apps.get_model("jobs", "Job")
    for name in _api_key_indexes(schema_editor, model):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def api_key_index_create(apps, schema_editor):
    model = apps.get_model("jobs", "Job")
    if not _api_key_indexes(schema_editor, model):
        schema_editor.add_index(model, models.Index(fields=["api_key"], name="job_api_key"))


class Migration(migrations.Migration):
    """Fewer index pages written per submitted job.

    The list by status and the reaper's index become one, status first. The API key's
    index goes: no query reads jobs by key. Dropped by name rather than with an
    AlterField, which on SQLite would remake the jobs table.
    """

    dependencies = [
        ("jobs", "0017_job_id_time_ordered"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="job",
            index=models.Index(fields=["status", "organization", "-created_at"],
                               name="job_status_org_created"),
        ),
        migrations.RemoveIndex(model_name="job", name="job_org_status_created"),
        migrations.RemoveIndex(model_name="job", name="job_reaper"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="job",
                    name="api_key",
                    field=models.ForeignKey(
                        blank=True, db_index=False, null=True,
                        on_delete=django.db.models.deletion.SET_NULL, related_name="jobs",
                        to="jobs.apikey"),
                ),
            ],
            database_operations=[
                migrations.RunPython(api_key_index_drop, api_key_index_create),
            ],
        ),
    ]
