"""The ``sounding`` technique: spellings that sound like the brand when read aloud."""

from __future__ import annotations

from collections.abc import Iterator

from jobs.lookalike.model import Options, Source
from jobs.lookalike.names import DomainParts

# Each group holds spellings a listener cannot tell apart; any member may stand in for
# any other. English spelling first, then number homophones, then the transliterations
# people type for accented letters.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("ph", "f", "ff"), ("ck", "k", "c", "q"), ("c", "k"), ("ks", "x", "cks", "cs"),
    ("s", "z"), ("ss", "s"), ("ee", "ea", "ie", "i"), ("oo", "u", "ew", "ou"),
    ("ou", "ow"), ("ai", "ay", "ei", "ey", "a"), ("i", "y", "ie"), ("wh", "w"),
    ("qu", "kw", "q"), ("gh", "g"), ("tion", "sion", "shun"), ("ight", "ite", "yte"),
    ("er", "or", "ar", "ur", "a"), ("kn", "n"), ("wr", "r"), ("mb", "m"), ("ce", "se"),
    ("ci", "si"), ("ge", "je"), ("gi", "ji"), ("th", "t", "d"), ("dge", "j", "ge"),
    ("ch", "tch", "sh"), ("x", "ex"), ("le", "el", "l"), ("y", "ey", "ie", "ee"),
    ("for", "4", "four", "fore"), ("to", "2", "two", "too"), ("ate", "8", "eight"),
    ("one", "1", "won"), ("you", "u"), ("are", "r"), ("see", "c", "sea"), ("and", "n"),
    ("ü", "ue", "u"), ("ö", "oe", "o"), ("ä", "ae", "a"), ("ß", "ss"), ("é", "e"),
    ("è", "e"), ("ç", "c", "s"), ("ñ", "n", "ny"),
)


def _rules() -> list[tuple[str, str]]:
    return [(old, new) for group in GROUPS for old in group for new in group if new != old]


_RULES = _rules()


def respellings(s: str) -> list[str]:
    """Every single substitution of one spelling for a same-sounding one."""
    out = []
    for old, new in _RULES:
        at = s.find(old)
        while at != -1:
            out.append(s[:at] + new + s[at + len(old):])
            at = s.find(old, at + 1)
    return out


def _twice(firsts: list[str]) -> Iterator[str]:
    for first in firsts:
        yield from respellings(first)


def sounding_sources(parts: DomainParts, options: Options) -> list[Source]:
    once = list(dict.fromkeys(respellings(parts.brand)))
    return [Source("sounding", once), Source("sounding", _twice(once))]
