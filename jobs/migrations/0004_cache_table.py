"""The database cache table, used for shared cluster stats when there is no Redis."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0003_observations")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
