"""System checks for settings that are risky together."""

import ipaddress

from django.conf import settings
from django.core import checks

METADATA = ipaddress.ip_address("169.254.169.254")


@checks.register(checks.Tags.security, deploy=False)
def target_networks_check(app_configs, **kwargs):
    problems = []
    for net in settings.ALLOWED_TARGET_NETWORKS:
        if net.prefixlen == 0:
            problems.append(checks.Warning(
                f"ALLOWED_TARGET_NETWORKS contains {net}: every address, private ones "
                "included, can be scanned.", id="jobs.W001"))
        if net.version == 4 and METADATA in net:
            problems.append(checks.Warning(
                f"ALLOWED_TARGET_NETWORKS ({net}) opens the cloud metadata address "
                "169.254.169.254 to operations.", id="jobs.W002"))
    return problems


@checks.register(checks.Tags.security, deploy=False)
def debug_check(app_configs, **kwargs):
    public = [h for h in settings.ALLOWED_HOSTS if h not in ("localhost", "127.0.0.1", "[::1]")]
    if settings.DEBUG and public:
        return [checks.Warning("DEBUG is on while the service answers to other hosts "
                               f"({', '.join(public)}): error pages would show internals.",
                               id="jobs.W003")]
    return []
