from django.db import migrations, models


class Migration(migrations.Migration):
    """An organization's list by type reads the type from the newest-first index, one
    index where there were two: one page fewer written per submitted job."""

    dependencies = [
        ("jobs", "0018_job_indexes_fewer_writes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="job",
            index=models.Index(fields=["organization", "-created_at", "type"],
                               name="job_org_created_type"),
        ),
        migrations.RemoveIndex(model_name="job", name="job_org_created"),
        migrations.RemoveIndex(model_name="job", name="job_org_type_created"),
    ]
