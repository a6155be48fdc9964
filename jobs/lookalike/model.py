"""The small types shared by the fuzzers and the engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from jobs.lookalike.names import Suffix


class Variant(NamedTuple):
    """One lookalike name.

    ``name`` is the ASCII DNS name (punycode for IDNs), ``unicode`` how it displays;
    ``technique`` is the request name that found it, ``fuzzer`` the finer method.
    """

    name: str
    unicode: str
    technique: str
    fuzzer: str

    @property
    def is_idn(self) -> bool:
        return self.name != self.unicode

    @property
    def display(self) -> str:
        """``exаmple.com (xn--exmple-4nf.com)`` for IDNs, the plain name otherwise."""
        return f"{self.unicode} ({self.name})" if self.is_idn else self.name


class Source(NamedTuple):
    """Candidates from one fuzzer: replacements for the brand label under one suffix.

    A left part may hold dots (``ex.ample``); ``suffix`` None means the input's own.
    The input's subdomain goes back in front (``shop.exmple.co.uk``) unless
    ``keep_subdomain`` is False, for fuzzers that fold it into the label themselves.
    """

    fuzzer: str
    lefts: Iterable[str]
    suffix: Suffix | None = None
    keep_subdomain: bool = True


@dataclass(frozen=True)
class Options:
    distance: int = 1  # levenshtein: 1, or 2 for everything within two edits
    all_tlds: bool = False  # tld_variation: every ICANN suffix, not just the curated list
