from ipaddress import ip_network

import pytest

from tests.push.receiver import receiver  # noqa: F401 - a fixture


@pytest.fixture
def loopback_allowed(settings):
    """The receiver listens on 127.0.0.1, which the target policy opens only on purpose."""
    settings.ALLOWED_TARGET_NETWORKS = [ip_network("127.0.0.0/8")]
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
