"""The ``prefix``, ``suffix`` and ``contains`` techniques: the brand with words added."""

from __future__ import annotations

from itertools import product

from jobs.lookalike.model import Options, Source
from jobs.lookalike.names import DomainParts

# Words phishing kits put in front of a brand, most frequent first.
PREFIX_WORDS = (
    "login", "secure", "account", "my", "support", "verify", "auth", "signin", "app",
    "online", "web", "mail", "portal", "help", "service", "update", "pay", "wallet", "id",
    "sso", "www", "mobile", "official", "customer", "client", "access", "billing",
    "security", "admin", "team", "home", "info", "connect", "get", "go", "new", "the",
)

# Words put after a brand, most frequent first.
SUFFIX_WORDS = (
    "login", "secure", "account", "support", "verify", "app", "online", "auth", "signin",
    "portal", "help", "service", "services", "update", "pay", "payment", "wallet", "id",
    "sso", "mobile", "official", "customer", "billing", "security", "center", "team",
    "home", "info", "group", "web", "mail", "cloud", "shop", "store", "inc", "corp", "hq",
    "us", "24", "365", "now", "net", "site",
)


def _joined(left: str, right: str) -> tuple[str, str]:
    return left + "-" + right, left + right


def prefixed(brand: str, words: tuple[str, ...] = PREFIX_WORDS) -> list[str]:
    out = [name for word in words for name in _joined(word, brand)]
    if "-" in brand:  # secure-shop for my-shop: the first word replaced
        rest = brand.split("-", 1)[1]
        out += [word + "-" + rest for word in words]
    return out


def suffixed(brand: str, words: tuple[str, ...] = SUFFIX_WORDS) -> list[str]:
    out = [name for word in words for name in _joined(brand, word)]
    if "-" in brand:  # my-login for my-shop: the last word replaced
        head = brand.rsplit("-", 1)[0]
        out += [head + "-" + word for word in words]
    return out


def surrounded(brand: str, suffix: str) -> list[str]:
    """The brand in the middle of longer names: ``login-example-secure``,
    ``examplecom-login``, ``www-example-online``..."""
    flat = suffix.replace(".", "")
    dashed = suffix.replace(".", "-")
    out = [f"{brand}{flat}-{word}" for word in SUFFIX_WORDS[:12]]
    out += [f"{brand}-{dashed}-{word}" for word in SUFFIX_WORDS[:12]]
    for before, after in product(PREFIX_WORDS[:16], SUFFIX_WORDS[:16]):
        if before != after:
            out += [f"{before}-{brand}-{after}", f"{before}{brand}{after}"]
    out += [f"{word}-{brand}{flat}" for word in PREFIX_WORDS[:12]]
    return out


def prefix_sources(parts: DomainParts, options: Options) -> list[Source]:
    return [Source("prefix", prefixed(parts.brand))]


def suffix_sources(parts: DomainParts, options: Options) -> list[Source]:
    return [Source("suffix", suffixed(parts.brand))]


def contains_sources(parts: DomainParts, options: Options) -> list[Source]:
    return [Source("contains", surrounded(parts.brand, parts.suffix.unicode))]
