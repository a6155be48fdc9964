"""Configured network clients: the one place that reads the network settings.

``jobs/net`` speaks protocols and reads no settings; the job layer decides where they
point: ``DNS_NAMESERVERS`` (the resolvers), ``ALLOWED_TARGET_NETWORKS`` (networks the
target policy opens on purpose) and ``WHOIS_SERVER`` (the first WHOIS server). Settings
are read when a client is made, so a changed setting applies to the next client.
The job context (``jobs.operations.base.Context``) hands these to operations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

from jobs.net.dns import DnsAnswer, DnsClient
from jobs.net.http import HttpClient
from jobs.net.policy import Policy
from jobs.net.ports import PortScanner
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


def tls(**options: Any) -> TlsClient:
    options.setdefault("policy", target_policy())
    options.setdefault("dns", dns())
    return TlsClient(**options)


def ports(**options: Any) -> PortScanner:
    options.setdefault("policy", target_policy())
    options.setdefault("banner_timeout", settings.PORT_BANNER_TIMEOUT_MS / 1000)
    return PortScanner(**options)
