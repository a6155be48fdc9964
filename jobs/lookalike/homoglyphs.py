"""The ``homoglyph`` technique: letters swapped for ones that look the same.

Results come in tiers so that a capped run keeps the most dangerous names: the whole
name rewritten in Cyrillic or Greek (browsers show those in Unicode), then single
substitutions, then double ones; ASCII-only names first within each tier because
every registry accepts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cache

from jobs.lookalike.glyphs import backward, forward, idn_rule, script_map
from jobs.lookalike.model import Options, Source
from jobs.lookalike.names import DomainParts

Table = Mapping[str, tuple[str, ...]]


def substitutions(s: str, table: Table) -> list[str]:
    """One step: a character, a letter pair (``rn``) or a doubled letter (both at once)
    replaced by a lookalike."""
    get = table.get
    out: list[str] = []
    size = len(s)
    for i in range(size):
        head = s[:i]
        glyphs = get(s[i])
        if glyphs:
            tail = s[i + 1:]
            out += [head + g + tail for g in glyphs]
        if i + 1 < size:
            rest = s[i + 2:]
            pair = get(s[i:i + 2])
            if pair:
                out += [head + g + rest for g in pair]
            if glyphs and s[i] == s[i + 1]:
                out += [head + g + g + rest for g in glyphs]
    return out


def doubles(firsts: Iterable[str], table: Table) -> Iterator[str]:
    """A second step on every first-step result (lazily: a capped run stops early)."""
    for first in firsts:
        yield from substitutions(first, table)


def whole_script(brand: str, script: str) -> list[str]:
    """Every Latin letter rewritten in ``script``; nothing if one letter has no twin."""
    if not brand.isascii():
        return []
    rewritten = brand.translate(script_map(script))
    if any("a" <= char <= "z" for char in rewritten):
        return []
    return [rewritten]


@cache
def ascii_table() -> dict[str, tuple[str, ...]]:
    found = {key: tuple(g for g in glyphs if g.isascii()) for key, glyphs in forward().items()}
    return {key: glyphs for key, glyphs in found.items() if glyphs}


@cache
def table_for(rule: str, idn_input: bool) -> Table:
    """The lookalikes a registry under ``rule`` accepts; for IDN inputs also the way
    back from accented and non-Latin letters (``bücher`` -> ``bucher``, ``búcher``)."""
    if idn_input:
        return {**forward(rule), **backward(rule)}
    return forward(rule)


def homoglyph_sources(parts: DomainParts, options: Options) -> list[Source]:
    brand = parts.brand
    table = table_for(idn_rule(parts.suffix.ascii), not brand.isascii())
    singles = dict.fromkeys(substitutions(brand, table))
    plain = [s for s in singles if s.isascii()]
    return [
        # Browsers show single-script names in Unicode, so these go first, and under
        # every suffix whatever its registry's rules.
        Source("cyrillic", whole_script(brand, "cyrillic")),
        Source("greek", whole_script(brand, "greek")),
        Source("homoglyph", plain),
        Source("homoglyph", [s for s in singles if not s.isascii()]),
        Source("homoglyph", doubles(plain, ascii_table())),
        Source("homoglyph", doubles(singles, table)),
    ]
