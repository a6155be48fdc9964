"""Settings for the browser tests' live service: the test settings, with static files
collected (hashed names and a manifest) into a folder of their own, as a deployment has."""

import os

from tests.settings import *  # noqa: F403

STATIC_ROOT = os.environ["BROWSER_STATIC_ROOT"]
