"""Small typed readers for environment settings.

Each one fails loudly (ImproperlyConfigured) on a value it cannot read, so a typo in
the environment stops the process at start-up instead of running with a surprise.
Secrets may also come from a file named by ``NAME_FILE``.
"""

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_url(name: str) -> str:
    """An http(s) URL, or "" when unset."""
    value = os.environ.get(name, "").strip()
    if value and not value.lower().startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"{name} must be an http:// or https:// URL, not {value!r}")
    return value


def env_secret(name: str, default: str = "") -> str:
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name}: expected a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}: must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not a CIDR network") from None
    return networks


def env_hostports(name: str, default_port: int) -> list[tuple[str, int]]:
    """Parse ``host[:port]`` items; IPv6 hosts go in brackets when a port is given."""
    result = []
    for item in env_list(name):
        host, port = item, default_port
        if item.startswith("["):
            host, sep, rest = item[1:].partition("]")
            if not sep or (rest and not rest.startswith(":")):
                raise ImproperlyConfigured(f"{name}: cannot read {item!r}")
            if rest:
                port = _port(name, rest[1:])
        elif item.count(":") == 1:
            host, raw_port = item.split(":")
            port = _port(name, raw_port)
        if not host:
            raise ImproperlyConfigured(f"{name}: empty host in {item!r}")
        result.append((host, port))
    return result


def env_limits(name: str, default: str) -> dict[str, tuple[int, int]]:
    """Parse ``category=COUNT/SECONDS`` items into {category: (count, seconds)}."""
    limits = {}
    for item in env_list(name, default):
        key, sep, spec = item.partition("=")
        count, slash, seconds = spec.partition("/")
        try:
            limits[key.strip()] = (int(count), int(seconds) if slash else 60)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: cannot read {item!r} (want name=COUNT/SECONDS)") from None
        if not sep or limits[key.strip()][1] <= 0:
            raise ImproperlyConfigured(f"{name}: cannot read {item!r} (want name=COUNT/SECONDS)")
    return limits


def _port(name: str, raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: {raw!r} is not a port") from None
    if not 0 < port < 65536:
        raise ImproperlyConfigured(f"{name}: {port} is not a port")
    return port
