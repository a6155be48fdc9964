import uuid6
from django.db import migrations, models


class Migration(migrations.Migration):
    """New jobs get time-ordered ids (UUIDv7). The default lives in Python only, so the
    database is left alone: on SQLite an AlterField would remake the jobs table."""

    dependencies = [
        ("jobs", "0016_registration_import_queued"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="job",
                    name="id",
                    field=models.UUIDField(default=uuid6.uuid7, editable=False,
                                           primary_key=True, serialize=False),
                ),
            ],
        ),
    ]
