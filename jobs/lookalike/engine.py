"""One entry point: a domain and technique names in, de-duplicated valid names out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import NamedTuple

from jobs.lookalike.glyphs import safe_chars
from jobs.lookalike.homoglyphs import homoglyph_sources
from jobs.lookalike.idn import MAX_NAME, LabelEncoder, to_unicode
from jobs.lookalike.levenshtein import levenshtein_sources
from jobs.lookalike.model import Options, Source, Variant
from jobs.lookalike.names import DomainParts, split_domain
from jobs.lookalike.sounding import sounding_sources
from jobs.lookalike.tlds import tld_sources
from jobs.lookalike.typos import bitsquatting_sources, typo_sources
from jobs.lookalike.words import contains_sources, prefix_sources, suffix_sources


class Technique(NamedTuple):
    label: str  # the published name in results (TYPO, UTFVARS...)
    sources: Callable[[DomainParts, Options], list[Source]]
    about: str  # one line for people choosing or reading results
    # Many small fuzzers: take from each in turn, so a small limit still samples all.
    interleave: bool = False


TECHNIQUES: dict[str, Technique] = {
    "typosquatting": Technique(
        "TYPO", typo_sources, "Typing slips: a letter left out, doubled, swapped, replaced "
        "by its neighbour on the keyboard, a hyphen or a dot added.", interleave=True),
    "homoglyph": Technique(
        "UTFVARS", homoglyph_sources, "Letters that look like the original ones: other "
        "alphabets (Cyrillic, Greek), accents, or pairs such as rn for m."),
    "bitsquatting": Technique(
        "TYPO", bitsquatting_sources, "One bit flipped in one character, as faulty memory "
        "or hardware can do to a name in transit."),
    "tld_variation": Technique(
        "TLD_VARIANTS", tld_sources, "The same name under other suffixes, or with the "
        "suffix moved into the name."),
    "sounding": Technique(
        "SOUNDING", sounding_sources, "Names that sound the same when read aloud."),
    "prefix": Technique(
        "PREFIX", prefix_sources, "A common word such as login or secure in front of the "
        "name."),
    "suffix": Technique(
        "SUFFIX", suffix_sources, "A common word such as login or support after the name."),
    "contains": Technique(
        "CONTAINS", contains_sources, "The name inside a longer one, with words on both "
        "sides."),
    "levenshtein": Technique(
        "LEVENSHTEIN", levenshtein_sources, "Every name one (or two) edits away: a "
        "character added, removed or changed."),
}
DEFAULT_TECHNIQUES = ("typosquatting",)


def parse_techniques(value: str | Iterable[str]) -> list[str]:
    """``"typosquatting, homoglyph"`` or a list -> known names in order, once each.

    Raises ValueError naming the unknown ones.
    """
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [str(item).strip().lower().replace("-", "_") for item in items]
    names = [name for name in names if name]
    unknown = [name for name in names if name not in TECHNIQUES]
    if unknown:
        raise ValueError(
            f"unknown technique {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(TECHNIQUES)}"
        )
    if not names:
        raise ValueError(f"name at least one technique: {', '.join(TECHNIQUES)}")
    return list(dict.fromkeys(names))


def generate(
    domain: str | DomainParts,
    techniques: str | Iterable[str] = DEFAULT_TECHNIQUES,
    limit: int | None = 1000,
    options: Options | None = None,
) -> list[Variant]:
    """Lookalikes of ``domain``'s registrable name, technique by technique.

    ``limit`` caps the names each technique adds (None: no cap). A name two techniques
    find stays with the first; the input and its registrable base never appear.
    Raises InvalidDomain for a bad domain, ValueError for an unknown technique.
    """
    parts = domain if isinstance(domain, DomainParts) else split_domain(domain)
    run = _Run(parts, limit)
    for name in parse_techniques(techniques):
        run.collect(name, TECHNIQUES[name], options or Options())
    return run.out


@cache
def _encoder() -> LabelEncoder:
    return LabelEncoder(safe_chars())


class _Run:
    """The state shared by techniques: names seen so far and the results."""

    def __init__(self, parts: DomainParts, limit: int | None):
        self.parts = parts
        self.limit = limit
        self.out: list[Variant] = []
        # Keys are Unicode names: an invalid candidate is recorded too, so repeats of it
        # cost one set lookup instead of another validation.
        self.seen = {parts.base_unicode, to_unicode(parts.host)}
        sub = parts.subdomain + "." if parts.subdomain else ""
        self.prefixes = (to_unicode(sub), sub)

    def collect(self, technique: str, spec: Technique, options: Options) -> None:
        sources = spec.sources(self.parts, options)
        cap = None if self.limit is None else len(self.out) + self.limit
        if spec.interleave:
            self._take_in_turn(technique, sources, cap)
            return
        for source in sources:
            if self._take(technique, source, cap):
                return

    def _take(self, technique: str, source: Source, cap: int | None) -> bool:
        """Adds the new valid names of one source; True once ``cap`` is reached."""
        fuzzer, dot_unicode, dot_ascii, sub_unicode, sub_ascii, room = self._frame(source)
        seen, out, encode = self.seen, self.out, _encoder()
        if cap is not None and len(out) >= cap:
            return True
        for left in source.lefts:
            full = sub_unicode + left + dot_unicode
            if full in seen:
                continue
            seen.add(full)
            name = encode(left)
            if name is None or len(name) > room:
                continue
            out.append(Variant(sub_ascii + name + dot_ascii, full, technique, fuzzer))
            if cap is not None and len(out) >= cap:
                return True
        return False

    def _take_in_turn(self, technique: str, sources: list[Source], cap: int | None) -> None:
        """Like ``_take``, one candidate from each source in turn."""
        frames = [self._frame(source) for source in sources]
        seen, out, encode = self.seen, self.out, _encoder()
        for index, left in _round_robin([source.lefts for source in sources]):
            if cap is not None and len(out) >= cap:
                return
            fuzzer, dot_unicode, dot_ascii, sub_unicode, sub_ascii, room = frames[index]
            full = sub_unicode + left + dot_unicode
            if full in seen:
                continue
            seen.add(full)
            name = encode(left)
            if name is not None and len(name) <= room:
                out.append(Variant(sub_ascii + name + dot_ascii, full, technique, fuzzer))

    def _frame(self, source: Source) -> tuple[str, str, str, str, str, int]:
        """What every candidate of ``source`` shares: the text around it and the room."""
        suffix = source.suffix or self.parts.suffix
        sub_unicode, sub_ascii = self.prefixes if source.keep_subdomain else ("", "")
        dot_ascii = "." + suffix.ascii
        room = MAX_NAME - len(dot_ascii) - len(sub_ascii)
        return source.fuzzer, "." + suffix.unicode, dot_ascii, sub_unicode, sub_ascii, room


def _round_robin(iterables: list[Iterable[str]]) -> Iterator[tuple[int, str]]:
    """(index, item): one item from each iterable in turn until all run dry."""
    pending = [(index, iter(items)) for index, items in enumerate(iterables)]
    while pending:
        alive = []
        for index, items in pending:
            for item in items:
                yield index, item
                alive.append((index, items))
                break
        pending = alive
