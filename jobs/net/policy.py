"""The target policy: the only place that decides which addresses we may connect to.

A scanning service must not become a door into the network it runs in, so by default
only globally routable unicast addresses are allowed. Refused: loopback, private
(RFC 1918), carrier-grade NAT, link-local (169.254.0.0/16, which holds the cloud
metadata service, and fe80::/10), multicast, reserved and "this network" ranges,
documentation and benchmarking ranges, unique-local IPv6 (fc00::/7), and every IPv6
form that carries an IPv4 address inside it (IPv4-mapped, IPv4-compatible, NAT64,
6to4) when the carried address is refused. Teredo is refused outright: the client
address inside it is obfuscated and the tunnel is not a place to scan.

A ``Policy`` carries the networks an operator opens on purpose (the job layer builds it
from ``settings.ALLOWED_TARGET_NETWORKS``; the tests open 127.0.0.0/8 to reach their own
servers). ``STRICT`` opens nothing, and ``is_public`` asks it: "public" means "a
strict policy allows it", the one rule for every page and check.

Literal addresses are recognised in every spelling that some resolver or URL parser
turns into an address: dotted quad, decimal integer (2130706433), octal (0177.0.0.1),
hexadecimal (0x7f.1), short forms (127.1), brackets, IPv6 zone ids, a trailing dot,
full-width digits and percent-encoding.

Names are resolved once through the DNS client; a name is refused if ANY of its
addresses is refused. Refusing on "any" (rather than "all") closes the trick of
publishing one public and one private address and hoping a client picks the private
one. Clients then connect to the exact address that was checked, never resolving the
name again, so a DNS answer that changes between check and connect (rebinding) has
nothing to win.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from jobs.net.errors import ClientError, TargetNotAllowed, Unresolvable

if TYPE_CHECKING:
    from jobs.net.dns import DnsClient

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Order matters only for the wording of the reason: the first match names the range.
BLOCKED_V4: list[tuple[ipaddress.IPv4Network, str]] = [
    (_V4("0.0.0.0/8"), "an unspecified / this-network address"),
    (_V4("10.0.0.0/8"), "a private address"),
    (_V4("100.64.0.0/10"), "a carrier-grade NAT address"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("169.254.169.254/32"), "the cloud metadata address (link-local)"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V4("172.16.0.0/12"), "a private address"),
    (_V4("192.0.0.0/24"), "an IETF protocol assignment"),
    (_V4("192.0.2.0/24"), "a documentation address"),
    (_V4("192.88.99.0/24"), "a 6to4 relay anycast address"),
    (_V4("192.168.0.0/16"), "a private address"),
    (_V4("198.18.0.0/15"), "a benchmarking address"),
    (_V4("198.51.100.0/24"), "a documentation address"),
    (_V4("203.0.113.0/24"), "a documentation address"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("255.255.255.255/32"), "the broadcast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
]

BLOCKED_V6: list[tuple[ipaddress.IPv6Network, str]] = [
    (_V6("::/128"), "the unspecified address"),
    (_V6("::1/128"), "a loopback address"),
    (_V6("64:ff9b:1::/48"), "a local-use NAT64 address"),
    (_V6("100::/64"), "a discard-only address"),
    (_V6("2001::/32"), "a Teredo tunnel address"),
    (_V6("2001:db8::/32"), "a documentation address"),
    (_V6("2001::/23"), "an IETF protocol assignment"),
    (_V6("3fff::/20"), "a documentation address"),
    (_V6("5f00::/16"), "a segment-routing address"),
    (_V6("fc00::/7"), "a unique-local address"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fec0::/10"), "a site-local address"),
    (_V6("ff00::/8"), "a multicast address"),
]

GLOBAL_UNICAST_V6 = _V6("2000::/3")
NAT64_V6 = _V6("64:ff9b::/96")

LOCALHOST_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")

# One part of a loose IPv4 literal: hex (0x..), octal (0..), or decimal.
_V4_PART = re.compile(r"^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$")
# Dots that UTS 46 maps to "." (URL parsers do, so we must too).
_DOT_VARIANTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


# --- parsing literals -------------------------------------------------------------------


def parse_literal_ip(host: str) -> IPAddress | None:
    """The address ``host`` denotes if it is an IP literal in any spelling, else None."""
    text = _clean_host(host)
    if not text:
        return None
    if ":" in text:
        return _parse_ipv6(text)
    if "%" in text:
        text = unquote(text)
    return _parse_ipv4_loose(text)


def _clean_host(host: str) -> str:
    text = unicodedata.normalize("NFKC", host.strip()).translate(_DOT_VARIANTS)
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text.rstrip(".").lower()


def _parse_ipv6(text: str) -> ipaddress.IPv6Address | None:
    # The zone id ("%eth0", or "%25eth0" from a URL) names an interface, not an address.
    address = text.split("%", 1)[0]
    try:
        return ipaddress.IPv6Address(address)
    except ValueError:
        return None


def _parse_ipv4_loose(text: str) -> ipaddress.IPv4Address | None:
    """inet_aton()'s grammar, which URL parsers and C resolvers both accept."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(_V4_PART.match(p) for p in parts):
        return None
    values = [_v4_part_value(p) for p in parts]
    last_bytes = 5 - len(values)
    if any(v > 255 for v in values[:-1]) or values[-1] >= 256**last_bytes:
        return None
    number = 0
    for value in values[:-1]:
        number = number * 256 + value
    return ipaddress.IPv4Address(number * 256**last_bytes + values[-1])


def _v4_part_value(part: str) -> int:
    if part[:2] in ("0x", "0X"):
        return int(part[2:] or "0", 16)
    if part.startswith("0") and len(part) > 1:
        return int(part, 8)
    return int(part)


# --- judging addresses ------------------------------------------------------------------

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Policy:
    """Which addresses operations may connect to: public ones, plus ``opened`` networks."""

    opened: tuple[IPNetwork, ...] = ()

    @classmethod
    def opening(cls, networks: Iterable[str | IPNetwork] | None) -> Policy:
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in networks or ()))

    def is_allowed(self, ip: IPAddress) -> bool:
        """True if operations may connect to ``ip``."""
        return self.refusal_reason(ip) is None

    def check_address(self, ip: IPAddress | str) -> IPAddress:
        """The address (parsed from any spelling) if allowed; TargetNotAllowed if not."""
        address = parse_literal_ip(ip) if isinstance(ip, str) else ip
        if address is None:
            raise ClientError(f"{ip!r} is not an IP address")
        reason = self.refusal_reason(address)
        if reason:
            raise TargetNotAllowed(f"{address} is not an allowed target: it is {reason}")
        return address

    def refusal_reason(self, ip: IPAddress) -> str | None:
        """Why ``ip`` is refused (a phrase such as "a loopback address"), or None."""
        if self._opens(ip):
            return None
        return non_public_reason(ip)

    def _opens(self, ip: IPAddress) -> bool:
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        address = mapped or ip
        return any(address.version == net.version and address in net for net in self.opened)

    def literal_refusal(self, value: str) -> str | None:
        """For submit-time checks: why ``value`` (a host or URL) is refused, or None.

        Only literal addresses (in any spelling) and localhost names are judged here;
        other names are judged when the job resolves them.
        """
        host = extract_host(value)
        if not host:
            return None
        if is_localhost_name(host):
            return f"{host} is a loopback name"
        ip = parse_literal_ip(host)
        if ip is None:
            return None
        reason = self.refusal_reason(ip)
        return f"{host} is {reason}" if reason else None

    async def resolve_and_check(self, host: str, dns: DnsClient) -> list[IPAddress]:
        """The addresses to connect to for ``host``, all of them allowed (IPv4 first).

        Raises TargetNotAllowed if the host is, or resolves to, any refused address,
        and Unresolvable if it has no address or no DNS server answered.
        """
        literal = parse_literal_ip(host)
        if literal is not None:
            return [self.check_address(literal)]
        if is_localhost_name(host):
            raise TargetNotAllowed(f"{host} is a loopback name")
        addresses = await _lookup(host, dns)
        for address in addresses:
            reason = self.refusal_reason(address)
            if reason:
                raise TargetNotAllowed(f"{host} resolves to {address}, which is {reason}")
        return addresses


STRICT = Policy()


def is_public(address: str | IPAddress) -> bool:
    """True for an address a strict policy allows; text that is no address counts as
    public (there is nothing to warn about)."""
    ip = parse_literal_ip(address) if isinstance(address, str) else address
    return ip is None or non_public_reason(ip) is None


def non_public_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address, or None: the rule before any opened network."""
    if isinstance(ip, ipaddress.IPv4Address):
        return _blocked_reason(ip, BLOCKED_V4) or _not_global_reason(ip)
    return _ipv6_reason(ip)


def _ipv6_reason(ip: ipaddress.IPv6Address) -> str | None:
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        inner = non_public_reason(embedded)
        if inner:
            return f"an IPv6 form of {embedded}, {inner}"
        if ip.ipv4_mapped is not None or ip in NAT64_V6 or _is_ipv4_compatible(ip):
            return None  # the connection really goes to the (public) IPv4 address
    reason = _blocked_reason(ip, BLOCKED_V6)
    if reason:
        return reason
    if ip not in GLOBAL_UNICAST_V6:
        return "a reserved IPv6 address"
    if embedded is not None:
        # 6to4 (2002::/16), judged above by the IPv4 address it carries. The standard
        # library's registry must not decide it: Python 3.11 calls all of 2002::/16
        # global, 3.13 none of it.
        return None
    return _not_global_reason(ip)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64_V6 or _is_ipv4_compatible(ip):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def _is_ipv4_compatible(ip: ipaddress.IPv6Address) -> bool:
    # ::a.b.c.d (deprecated, but some stacks still route it); :: and ::1 are not v4 forms.
    return int(ip) >> 32 == 0 and int(ip) > 1


def _blocked_reason(ip: IPAddress, table: list) -> str | None:
    for network, reason in table:
        if ip in network:
            return reason
    return None


def _not_global_reason(ip: IPAddress) -> str | None:
    # Belt and braces: the standard library's registry catches anything our table misses.
    return None if ip.is_global else "not a globally routable address"


# --- hosts and URLs ----------------------------------------------------------------------


def is_localhost_name(host: str) -> bool:
    """Names that every stack resolves to loopback without asking DNS."""
    name = _clean_host(host)
    return name in LOCALHOST_NAMES or name.endswith(".localhost")


def extract_host(value: str) -> str:
    """The host part of a URL, ``host:port``, ``user@host`` or a bare host."""
    text = re.sub(r"[\t\r\n]", "", value.strip())
    if re.match(r"^([a-zA-Z][a-zA-Z0-9+.\-]*:)?//", text.replace("\\", "/")):
        # Browsers treat "\" as "/" in http(s) URLs; read the authority the way they do
        # (by hand: urlsplit rejects hosts such as "[127.0.0.1]" that others accept).
        text = text.replace("\\", "/").split("//", 1)[1]
    authority = re.split(r"[/?#]", text, maxsplit=1)[0]
    return unquote(_strip_port(authority.rpartition("@")[2]))


def _strip_port(authority: str) -> str:
    if authority.startswith("["):
        return authority[: authority.find("]") + 1] if "]" in authority else authority
    if authority.count(":") == 1:
        return authority.split(":", 1)[0]
    return authority


async def _lookup(host: str, dns: DnsClient) -> list[IPAddress]:
    answers = await dns.query_many([(host, "A"), (host, "AAAA")])
    addresses = [ipaddress.ip_address(r) for a in answers for r in a.records]
    if addresses:
        return addresses
    if dns.all_timed_out(answers):
        raise Unresolvable(f"no DNS server answered for {host}", timed_out=True)
    statuses = "/".join(sorted({a.status for a in answers}))
    raise Unresolvable(f"{host} does not resolve to an address ({statuses})")
