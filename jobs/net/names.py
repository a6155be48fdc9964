"""Domain names: one spelling (IDNA 2008 A-labels, with UTS 46 mapping) and one Public
Suffix List, shared by every module that reads names.

The list comes from the ``publicsuffixlist`` package (it ships the data; no download).
Loading it takes a few milliseconds and some memory, so there is exactly one instance.
"""

from __future__ import annotations

import re
from functools import cache

import idna
from publicsuffixlist import PublicSuffixList

MAX_NAME = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class NotAName(ValueError):
    """The text is not a valid host name."""


@cache
def public_suffixes() -> PublicSuffixList:
    """The one shared list. Private entries count: mycorp.github.io is its own site."""
    return PublicSuffixList()


def ascii_name(text: str) -> str:
    """``text`` in lower-case A-label form (``xn--...``), without a trailing dot."""
    try:
        return idna.encode(text.strip().rstrip(".").lower(), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise NotAName("not a valid host name") from None


def host_name(text: str) -> str:
    """A checked host name: A-labels of letters, digits and inner hyphens, at most 253
    characters, and not all digits at the end (that would be an address)."""
    name = ascii_name(text)
    labels = name.split(".")
    if len(name) > MAX_NAME or not all(_LABEL.match(label) for label in labels):
        raise NotAName("not a valid host name")
    if labels[-1].isdigit():
        raise NotAName("not a valid host name")
    return name


def registrable_domain(name: str) -> str:
    """example.co.uk for www.example.co.uk: the name a registry knows about (the name
    itself when the list has no answer, such as a bare suffix)."""
    return public_suffixes().privatesuffix(name) or name
