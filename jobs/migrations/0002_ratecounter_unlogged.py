from django.db import migrations


def unlogged(apps, schema_editor):
    # Rate counters are worth nothing after a crash; on PostgreSQL skip the WAL (and its
    # fsync) that every counted request would otherwise pay for.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE jobs_ratecounter SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE jobs_ratecounter SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]
    operations = [migrations.RunPython(unlogged, logged)]
