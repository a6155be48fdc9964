"""Settings for the test suite: the real ones plus a few test-only operation types."""

import os

from config.env import env_bool
from config.settings import *  # noqa: F403
from config.settings import Q_CLUSTER

ROOT_URLCONF = "tests.urls"
JOB_OPERATIONS_EXTRA = {
    "test_sleep": "tests.support.operations.sleep",
    "test_fail": "tests.support.operations.fail",
    "test_crash": "tests.support.operations.crash",
    "test_noop": "tests.support.operations.noop",
}
# In-process tests run tasks inline; the end-to-end tests start real workers with 0.
Q_CLUSTER = {**Q_CLUSTER, "sync": env_bool("TEST_Q_SYNC", True)}
# Parallel test processes (pytest-xdist) have a database each but share one Redis: the
# cluster name keeps their rate counters and channels apart (key ids repeat across them).
# django-q2 reads Q_CLUSTER_NAME itself (a different name means another cluster): both say it.
if os.environ.get("PYTEST_XDIST_WORKER"):
    Q_CLUSTER["name"] = f"{Q_CLUSTER.get('name', 'secops')}-{os.environ['PYTEST_XDIST_WORKER']}"
    os.environ["Q_CLUSTER_NAME"] = Q_CLUSTER["name"]
TEMPLATES = [{**TEMPLATES[0],  # noqa: F405
              "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "tests" / "support" / "templates"]}]  # noqa: F405
# The test servers answer in microseconds, but a loaded 2-core machine running the suite
# in parallel may take seconds to schedule them: give banners room (behaviour is the same).
PORT_BANNER_TIMEOUT_MS = 8000
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic in tests: serve and resolve static files straight from static/.
STORAGES = {**STORAGES, "staticfiles": {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
