"""Configured network clients: the one place that reads the network settings.

``jobs/net`` speaks protocols and reads no settings; the job layer decides where they
point: ``DNS_NAMESERVERS`` (the resolvers), ``ALLOWED_TARGET_NETWORKS`` (networks the
target policy opens on purpose), ``WHOIS_SERVER`` (the first WHOIS server) and
``RDAP_SERVER`` / ``RDAP_BOOTSTRAP_FILE`` (where RDAP questions go). Settings are read
when a client is made, so a changed setting applies to the next client.
The job context (``jobs.operations.base.Context``) hands these to operations.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings

from jobs.net.dns import DnsAnswer, DnsClient
from jobs.net.http import HttpClient
from jobs.net.policy import Policy
from jobs.net.ports import PortScanner
from jobs.net.rdap import NOT_CONFIGURED, Bootstrap, RdapClient
from jobs.net.tls import TlsClient
from jobs.net.whois import WhoisClient


def target_policy() -> Policy:
    return Policy.opening(getattr(settings, "ALLOWED_TARGET_NETWORKS", None) or [])


def nameservers() -> list[tuple[str, int]]:
    return list(getattr(settings, "DNS_NAMESERVERS", None) or [])


def dns(observer: Callable[[DnsAnswer], None] | None = None, **options: Any) -> DnsClient:
    options.setdefault("nameservers", nameservers())
    return DnsClient(observer=observer, **options)


def http(**options: Any) -> HttpClient:
    options.setdefault("policy", target_policy())
    options.setdefault("dns", dns())
    return HttpClient(**options)


def whois(**options: Any) -> WhoisClient:
    options.setdefault("server", getattr(settings, "WHOIS_SERVER", "") or None)
    options.setdefault("policy", target_policy())
    options.setdefault("dns", dns())
    return WhoisClient(**options)


def rdap(**options: Any) -> RdapClient:
    """An RDAP client asking ``RDAP_SERVER``, else the servers ``RDAP_BOOTSTRAP_FILE``
    names; with neither (or an unreadable file) its lookups say why it cannot ask."""
    options.setdefault("server", getattr(settings, "RDAP_SERVER", "") or None)
    if not options["server"] and "bootstrap" not in options:
        options["bootstrap"], problem = rdap_bootstrap()
        options.setdefault("not_configured", problem)
    options.setdefault("policy", target_policy())
    options.setdefault("dns", dns())
    return RdapClient(**options)


_bootstrap_cache: dict[str, tuple[float, Bootstrap]] = {}
_bootstrap_lock = threading.Lock()


def rdap_bootstrap() -> tuple[Bootstrap | None, str]:
    """(the bootstrap data of ``RDAP_BOOTSTRAP_FILE`` or None, why there is none).

    Read again only when the file changes: a worker asks for it on every job.
    """
    path = getattr(settings, "RDAP_BOOTSTRAP_FILE", "") or ""
    if not path:
        return None, NOT_CONFIGURED
    try:
        modified = os.stat(path).st_mtime
        with _bootstrap_lock:
            cached = _bootstrap_cache.get(path)
            if cached is None or cached[0] != modified:
                with open(path, "rb") as fh:
                    cached = (modified, Bootstrap.from_json(fh.read()))
                _bootstrap_cache[path] = cached
        return cached[1], ""
    except (OSError, ValueError) as exc:
        return None, f"RDAP is not configured: RDAP_BOOTSTRAP_FILE {path} is unusable ({exc})"


def tls(**options: Any) -> TlsClient:
    options.setdefault("policy", target_policy())
    options.setdefault("dns", dns())
    return TlsClient(**options)


def ports(**options: Any) -> PortScanner:
    options.setdefault("policy", target_policy())
    options.setdefault("banner_timeout", settings.PORT_BANNER_TIMEOUT_MS / 1000)
    return PortScanner(**options)
