from django.db.models.signals import post_delete, post_migrate
from django.dispatch import receiver

from jobs.artifacts import artifact_delete
from jobs.models import ScreenshotCapture

SCHEDULES = {
    # name: (function, minutes between runs)
    "jobs: reap lost jobs": ("jobs.tasks.reap_lost_jobs", 1),
    "jobs: purge expired jobs": ("jobs.tasks.purge_expired_jobs", 60),
    "jobs: send due webhook deliveries": ("jobs.tasks.sweep_deliveries", 1),
}


@receiver(post_migrate)
def install_schedules(sender, **kwargs):
    """Keep the housekeeping schedules present after every migrate (idempotent)."""
    if sender.label != "jobs":
        return
    from django_q.models import Schedule

    from jobs.operations import specs

    periodic = {**SCHEDULES, **{p.name: (p.func, p.minutes) for spec in specs()
                                for p in spec.periodic}}
    for name, (func, minutes) in periodic.items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes,
                      "repeats": -1},
        )


@receiver(post_delete, sender=ScreenshotCapture)
def delete_capture_file(sender, instance, **kwargs):
    """A capture's image goes with its row: the job purge, retention or a cleared history."""
    artifact_delete(instance.file)
