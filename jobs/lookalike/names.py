"""Splitting a host name into subdomain, brand and public suffix, with the offline PSL."""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import NamedTuple

import idna
from publicsuffixlist import PSLFILE, PublicSuffixList

from jobs.lookalike.idn import LDH, MAX_LABEL, MAX_NAME, to_unicode
from jobs.net.names import public_suffixes


class InvalidDomain(ValueError):
    """The input is not a host name we can build lookalikes for; the message says why."""


class Suffix(NamedTuple):
    ascii: str
    unicode: str


class DomainParts(NamedTuple):
    """``shop.example.co.uk`` -> subdomain ``shop``, brand ``example``, suffix ``co.uk``.

    ``brand`` is the Unicode form of the registrable label (fuzzers work on what people
    see); ``host`` and ``base`` are ASCII.
    """

    host: str
    subdomain: str
    brand: str
    suffix: Suffix

    @property
    def base(self) -> str:
        return f"{idna_label(self.brand)}.{self.suffix.ascii}"

    @property
    def base_unicode(self) -> str:
        return f"{self.brand}.{self.suffix.unicode}"


def psl() -> PublicSuffixList:
    # The one shared list; private entries count: the brand of mycorp.github.io is mycorp.
    return public_suffixes()


@cache
def icann_suffixes() -> tuple[Suffix, ...]:
    """Every suffix of the PSL's ICANN section (wildcard and exception rules left out)."""
    found: dict[str, None] = {}
    in_icann = False
    with open(PSLFILE, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.strip()
            if line.startswith("// ===BEGIN ICANN"):
                in_icann = True
            elif line.startswith("// ===END ICANN"):
                break
            elif in_icann and line and not line.startswith(("//", "*", "!")):
                found[line.split()[0].lower()] = None
    suffixes = (_suffix(name) for name in found)
    return tuple(suffix for suffix in suffixes if suffix is not None)


@cache
def _suffix(name: str) -> Suffix | None:
    if name.isascii():
        return Suffix(name, to_unicode(name))
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    return Suffix(ascii_name, to_unicode(ascii_name))


def make_suffix(name: str) -> Suffix:
    found = _suffix(name)
    if found is None:
        raise InvalidDomain(f"{name!r} is not a valid suffix")
    return found


def idna_label(label: str) -> str:
    return label if label.isascii() else idna.alabel(label).decode("ascii")


def split_domain(raw: str) -> DomainParts:
    """Normalise and split ``raw``; raises InvalidDomain with a reason people can act on."""
    host = _normalise(raw)
    suffix = psl().publicsuffix(host)
    if not suffix or suffix == host:
        raise InvalidDomain(f"{host!r} is a public suffix, not a registrable domain")
    left = host[: -len(suffix) - 1]
    subdomain, _, brand = left.rpartition(".")
    return DomainParts(host, subdomain, to_unicode(brand), make_suffix(suffix))


def _normalise(raw: str) -> str:
    text = raw.strip().lower()
    if not text:
        raise InvalidDomain("a domain name is required")
    if "://" in text or "/" in text or "@" in text:
        raise InvalidDomain("give a host name such as example.com, not a URL or address")
    text = text[:-1] if text.endswith(".") else text
    _refuse_ip(text)
    _refuse_characters(text)
    try:
        host = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidDomain(f"not a valid host name ({_idna_reason(exc)})") from None
    if len(host) > MAX_NAME or any(len(label) > MAX_LABEL for label in host.split(".")):
        raise InvalidDomain("not a valid host name (too long)")
    if "." not in host:
        raise InvalidDomain("a domain needs at least two labels, such as example.com")
    return host


def _refuse_characters(text: str) -> None:
    """Plain-ASCII mistakes get a plainer message than the IDNA library's."""
    bad = sorted({c for c in text if c.isascii() and c not in LDH and c != "."})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise InvalidDomain(f"not a valid host name: {shown} not allowed (letters, digits, "
                            "hyphens and dots only)")


def _refuse_ip(text: str) -> None:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return
    raise InvalidDomain("an IP address has no lookalike names; give a domain name")


def _idna_reason(exc: Exception) -> str:
    message = str(exc).rstrip(".").replace("Label", "label")
    return message[:1].lower() + message[1:] if message else "not IDNA-valid"
