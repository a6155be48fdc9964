"""System checks for settings that are risky together."""

import ipaddress

from django.conf import settings
from django.core import checks

from jobs.clients import rdap_bootstrap

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


@checks.register(checks.Tags.security, deploy=True)
def shared_secret_check(app_configs, **kwargs):
    # A shared database means several machines: each one that generated its own key
    # rejects the others' sessions, CSRF tokens and signed links.
    shared_database = settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"
    if settings.SECRET_KEY_GENERATED and shared_database:
        return [checks.Warning(
            "SECRET_KEY was generated on this machine (var/secret_key) while the database "
            "is shared: set the same SECRET_KEY (or SECRET_KEY_FILE) on every machine.",
            id="jobs.W004")]
    return []


@checks.register(deploy=False)
def rdap_bootstrap_check(app_configs, **kwargs):
    # Without this, a typo in the path only shows as "RDAP is not configured" in results.
    if settings.RDAP_SERVER or not settings.RDAP_BOOTSTRAP_FILE:
        return []
    data, problem = rdap_bootstrap()
    if data is None:
        return [checks.Warning(problem, id="jobs.W005")]
    return []
