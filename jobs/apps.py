import sys

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"

    def ready(self):
        from jobs import checks, signals, submission  # noqa: F401  (registers handlers)
        from jobs.operations import starter

        starter.install(submission.job_start, submission.SubmissionInvalid)

        if "qcluster" in sys.argv:
            self._preload_operations()

    @staticmethod
    def _preload_operations():
        """Import the task module and every operation before the worker processes fork.

        Each forked worker would otherwise import them on its first job (and again
        after every recycle), which puts ~100 ms on that job's start.
        """
        from jobs import tasks  # noqa: F401
        from jobs.operations import get_operation, registry

        for job_type in registry():
            get_operation(job_type)
