"""The ``tld_variation`` technique: the brand under suffixes other than its own."""

from __future__ import annotations

from functools import cache

from jobs.lookalike.idn import LDH
from jobs.lookalike.model import Options, Source
from jobs.lookalike.names import DomainParts, Suffix, icann_suffixes, make_suffix

# Suffixes that dominate phishing and abuse reports: cheap or free new gTLDs, the
# big generics, ccTLDs marketed as generics, and the major country codes. Most used
# first, so a capped run keeps them.
PHISHING_TLDS = (
    "com", "net", "org", "info", "co", "io", "xyz", "top", "online", "site", "shop",
    "store", "app", "live", "icu", "club", "vip", "buzz", "cyou", "sbs", "bond", "cfd",
    "rest", "lol", "fun", "space", "website", "tech", "pw", "cc", "tk", "ml", "ga", "cf",
    "gq", "ws", "me", "biz", "us", "ru", "su", "cn", "in", "mobi", "pro", "link", "click",
    "support", "help", "email", "services", "digital", "cloud", "world", "today", "life",
    "ltd", "group", "page", "dev", "ai", "ly", "to", "la", "gg", "work", "host", "win",
    "men", "loan", "date", "review", "stream", "download", "party", "science", "monster",
    "quest", "ink", "asia", "ac", "uk", "co.uk", "de", "eu", "fr", "it", "es", "nl",
    "br", "com.br", "au", "com.au", "ca", "ch", "jp", "pl", "mx", "tv", "id", "vn",
    "ir", "ng", "co.za", "ua", "kz", "by", "tw", "hk", "kr", "sg", "tr", "ar", "cl", "pe",
)


@cache
def curated() -> tuple[Suffix, ...]:
    return tuple(make_suffix(name) for name in PHISHING_TLDS)


@cache
def _icann_by_ascii() -> dict[str, Suffix]:
    return {suffix.ascii: suffix for suffix in icann_suffixes()}


def suffix_typos(own: Suffix) -> list[Suffix]:
    """Existing suffixes one edit away: ``com`` -> ``co``, ``cm``, ``om``..."""
    known = _icann_by_ascii()
    text = own.ascii
    edits = {text[:i] + text[i + 1:] for i in range(len(text))}
    for i in range(len(text) + 1):
        edits.update(text[:i] + c + text[i:] for c in LDH)
        edits.update(text[:i] + c + text[i + 1:] for c in LDH)
    edits.update(text[:i] + text[i + 1] + text[i] + text[i + 2:] for i in range(len(text) - 1))
    edits.discard(text)
    return [known[name] for name in sorted(edits) if name in known]


def siblings(own: Suffix) -> list[Suffix]:
    """``co.uk`` -> ``uk`` and the other ``*.uk`` suffixes (``org.uk``, ``me.uk``...)."""
    if "." not in own.ascii:
        return []
    parent = own.ascii.split(".", 1)[1]
    found = [_icann_by_ascii().get(parent) or make_suffix(parent)]
    return found + [s for s in _children().get(parent, ()) if s.ascii != own.ascii]


@cache
def _children() -> dict[str, list[Suffix]]:
    """Parent suffix -> the ICANN suffixes one label below it."""
    found: dict[str, list[Suffix]] = {}
    for suffix in icann_suffixes():
        if "." in suffix.ascii:
            found.setdefault(suffix.ascii.split(".", 1)[1], []).append(suffix)
    return found


def suffix_in_name(parts: DomainParts) -> list[Source]:
    """``examplecom.com``, ``example-de.com``, ``googleco.uk``: the suffix moved into the
    label, as a missed dot or a hyphen."""
    brand, own = parts.brand, parts.suffix
    joined = own.unicode.replace(".", "")
    dashed = own.unicode.replace(".", "-")
    moved = [brand + joined, brand + "-" + dashed, brand + "-" + joined]
    sources = [Source("tld-in-name", moved), Source("tld-in-name", moved, make_suffix("com"))]
    if "." in own.ascii:
        first, rest = own.unicode.split(".", 1)
        sources.append(Source("tld-in-name", [brand + first, brand + "-" + first],
                              make_suffix(rest)))
    return sources


def _swaps(fuzzer: str, brand: str, suffixes: list[Suffix] | tuple[Suffix, ...],
           own: Suffix) -> list[Source]:
    return [Source(fuzzer, (brand,), s) for s in suffixes if s.ascii != own.ascii]


def tld_sources(parts: DomainParts, options: Options) -> list[Source]:
    brand, own = parts.brand, parts.suffix
    sources = _swaps("tld-swap", brand, curated(), own)
    sources += _swaps("tld-sibling", brand, siblings(own), own)
    sources += _swaps("tld-typo", brand, suffix_typos(own), own)
    sources += suffix_in_name(parts)
    if options.all_tlds:
        sources += _swaps("tld-swap", brand, icann_suffixes(), own)
    return sources
