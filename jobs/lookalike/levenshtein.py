"""The ``levenshtein`` technique: every label within one (or two) edits of the brand."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from jobs.lookalike.idn import LDH
from jobs.lookalike.model import Options, Source
from jobs.lookalike.names import DomainParts


def edits1(s: str) -> list[str]:
    """Deletions, substitutions and insertions over the host-name alphabet."""
    out = [s[:i] + s[i + 1:] for i in range(len(s))]
    for i, char in enumerate(s):
        head, tail = s[:i], s[i + 1:]
        out += [head + c + tail for c in LDH if c != char]
    for i in range(len(s) + 1):
        head, tail = s[:i], s[i:]
        out += [head + c + tail for c in LDH]
    return out


def edits2(firsts: Iterable[str]) -> Iterator[str]:
    """Lazily, since there are hundreds of thousands: a capped run stops early."""
    for first in firsts:
        yield from edits1(first)


def levenshtein_sources(parts: DomainParts, options: Options) -> list[Source]:
    once = list(dict.fromkeys(edits1(parts.brand)))
    sources = [Source("levenshtein-1", once)]
    if options.distance >= 2:
        sources.append(Source("levenshtein-2", edits2(once)))
    return sources
