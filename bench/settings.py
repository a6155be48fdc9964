"""Settings for the benchmarks: the test settings (so the ``test_noop`` job type exists)
with the baseline views mounted, tasks queued for real workers, and no pruning of saved
django-q2 results.

``save_limit`` matters only to the baseline: our jobs are queued with ``save=False``, but
the bare django-q2 tasks are saved (django-q2's default) so their completions can be
counted, and pruning would add a locking scan of the results table to every baseline task.
"""

from tests.settings import *  # noqa: F403
from tests.settings import Q_CLUSTER

ROOT_URLCONF = "bench.urls"
Q_CLUSTER = {**Q_CLUSTER, "sync": False, "save_limit": 0}
