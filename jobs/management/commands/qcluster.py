"""``manage.py qcluster``: django-q2's worker cluster, run as a service (``jobs.cluster``).

It replaces django-q2's command of the same name (``jobs`` comes first in
``INSTALLED_APPS``), so every way of starting a worker stops and recovers the same way.
"""

import os

from django.conf import settings
from django_q.management.commands import qcluster

from jobs.cluster import cluster_run


class Command(qcluster.Command):
    help = ("Runs the job workers until TERM, INT or HUP; running jobs are handed back "
            "to the queue on the way out.")

    def handle(self, *args, **options):
        if options.get("run_once"):
            return super().handle(*args, **options)
        settings.SECRET_KEY  # noqa: B018 - refuse to start unsigned, as django-q2 does
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        cluster_run()
