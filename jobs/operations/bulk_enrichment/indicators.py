"""Indicators as analysts paste them: refanged, then classified.

Refanging (``hxxp://``, ``example[.]com``, ``user[@]example.com``, ``1.2.3[.]4``) is
ioc-fanger's job; this module only decides what the refanged text is. ``kind`` is the
fine-grained class (ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256); ``type``
is what the published result calls it (``ip`` for both address families).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import ioc_fanger

HASHES = {32: "md5", 40: "sha1", 64: "sha256"}
HEX = re.compile(r"^[0-9a-fA-F]+$")
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
TLD = re.compile(r"^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*)://")
URL_SCHEMES = {"http", "https", "ftp", "ftps", "sftp", "ws", "wss", "tcp", "udp"}
# ioc-fanger reads "http[s]://" as "https]://"; the bracketed optional s is common in feeds.
OPTIONAL_S = re.compile(r"^(h[tx]{2}p)\[s\]", re.IGNORECASE)
TRIM = " \t\r\n\"'<>,;`"
MAX_LENGTH = 2048


class Unrecognised(ValueError):
    """The entry is none of the supported kinds; the message says why."""


@dataclass(frozen=True)
class Indicator:
    raw: str       # as sent
    kind: str      # ipv4 ipv6 cidr domain url email md5 sha1 sha256
    value: str     # refanged, normalised
    host: str = ""  # the domain or address to look up (urls, emails), else ""

    @property
    def type(self) -> str:
        return "ip" if self.kind in ("ipv4", "ipv6") else self.kind

    @property
    def is_address(self) -> bool:
        return self.kind in ("ipv4", "ipv6")

    @property
    def lookup_name(self) -> str:
        """The name DNS/WHOIS modules ask about: the domain itself, a URL's or e-mail's host."""
        return self.value if self.kind == "domain" else self.host


def refang(text: str) -> str:
    text = OPTIONAL_S.sub(lambda m: m.group(1) + "s", text.strip(TRIM))
    return ioc_fanger.fang(text).strip(TRIM)


def classify(raw: object) -> Indicator:
    """The indicator ``raw`` denotes; Unrecognised with a reason if none."""
    if not isinstance(raw, str):
        raise Unrecognised("not a string")
    if len(raw) > MAX_LENGTH:
        raise Unrecognised(f"longer than {MAX_LENGTH} characters")
    plain = raw.strip(TRIM)
    # What is already an address, a network or a hash needs no refanging (and ioc-fanger
    # would read the "::/" of "2001:db8::/32" as a URL scheme separator).
    for guess in (_hash, _address, _network):
        found = guess(plain)
        if found is not None:
            return Indicator(raw, *found)
    text = refang(raw)
    if not text:
        raise Unrecognised("empty")
    for guess in (_hash, _address, _network, _url, _email, _domain):
        found = guess(text)
        if found is not None:
            kind, value, host = found
            return Indicator(raw, kind, value, host)
    raise Unrecognised(_why_not(text))


def _hash(text: str):
    if len(text) in HASHES and HEX.match(text):
        return HASHES[len(text)], text.lower(), ""
    return None


def _address(text: str):
    candidate = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        ip = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    return f"ipv{ip.version}", ip.compressed, ""


def _network(text: str):
    if "/" not in text or "://" in text:
        return None
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return "cidr", network.compressed, ""


def _url(text: str):
    match = SCHEME.match(text)
    if not match:
        return _schemeless_url(text)
    if match.group(1).lower() not in URL_SCHEMES:
        return None
    try:
        parts = urlsplit(text)
        host = _host(parts.hostname or "")
        port = parts.port
    except ValueError:
        return None
    if host is None:
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port:
        netloc += f":{port}"
    value = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))
    return "url", value, host


def _schemeless_url(text: str):
    # "evil.example/login.php" is a URL in every report that writes it that way.
    if "/" not in text or " " in text:
        return None
    head, _, _ = text.partition("/")
    if _domain_name(head.split(":", 1)[0]) is None:
        return None
    return _url("http://" + text)


def _email(text: str):
    local, at, domain = text.rpartition("@")
    if not at or not local or " " in local or len(local) > 64:
        return None
    name = _domain_name(domain)
    if name is None:
        return None
    return "email", f"{local}@{name}", name


def _domain(text: str):
    name = _domain_name(text)
    return None if name is None else ("domain", name, "")


def _host(host: str) -> str | None:
    """A URL's host: a literal address (compressed) or a domain name (normalised)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).compressed
    except ValueError:
        return _domain_name(host)


def _domain_name(text: str) -> str | None:
    """The lower-case A-label form of a host name, or None if it is not one."""
    name = text.rstrip(".").lower()
    if not name or "." not in name or len(name) > 253:
        return None
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = name.split(".")
    if not all(LABEL.match(label) for label in labels[:-1]) or not TLD.match(labels[-1]):
        return None
    return name


def _why_not(text: str) -> str:
    if HEX.match(text) and len(text) >= 16:
        return f"{len(text)} hex digits is not an MD5 (32), SHA-1 (40) or SHA-256 (64) hash"
    if "@" in text:
        return "not a valid e-mail address"
    if "/" in text and re.match(r"^[\d.:a-fA-F]+/", text):
        return "not a valid CIDR network"
    if re.match(r"^[\d.]+$", text):
        return "not a valid IPv4 address"
    if SCHEME.match(text):
        return "not a URL with a host (or an unsupported scheme)"
    return "not an IP address, network, domain, URL, e-mail address or hash"
