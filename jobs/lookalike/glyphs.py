"""Visually confusable characters for the homoglyph technique.

Tables map an ASCII letter, digit or letter pair to what can stand in for it. Within
each entry the closest lookalikes come first, so a capped run keeps the convincing
ones. Every non-ASCII character is vetted at import (IDNA 2008 valid, left-to-right,
not combining): a table typo cannot produce an invalid name, it only drops out.
"""

from __future__ import annotations

from functools import cache
from types import MappingProxyType

from jobs.lookalike.idn import vetted

# Latin letters with a diacritic, hook, stroke or tail, and small capitals.
LATIN: dict[str, str] = {
    "a": "àáâãäåāăąǎȁȃȧạảɑəⱥ",
    "b": "ḃḅḇƀɓƅƃʙ",
    "c": "çćĉċčƈȼᴄ",
    "d": "ďđḋḍḏḑḓɖɗ",
    "e": "èéêëēĕėęěȅȇȩẹẻẽḛɇ",
    "f": "ḟƒ",
    "g": "ĝğġģǥǧǵɡɢḡ",
    "h": "ĥħȟḣḥḧḩḫẖɦⱨ",
    "i": "ìíîïĩīĭįǐȉȋỉịıɨɩɪ",
    "j": "ĵǰɉʝ",
    "k": "ķĸǩḱḳḵƙⱪᴋ",
    "l": "ĺļľłƚɫḷḻḽ",
    "m": "ḿṁṃɱᴍ",
    "n": "ñńņňǹṅṇṉṋŋꞑɲ",
    "o": "òóôõöøōŏőơǒȍȏȯọỏᴏ",
    "p": "ṕṗƥƿᵽ",
    "q": "ʠɋ",
    "r": "ŕŗřȑȓṙṛṟɍɼɽɾʀ",
    "s": "śŝşšșṡṣʂꜱ",
    "t": "ţťŧțṫṭƫƭʈ",
    "u": "ùúûüũūŭůűųưǔȕȗụủʉᴜ",
    "v": "ṽṿʋᶌᴠⱱⱴ",
    "w": "ŵẁẃẅẇẉẘⱳᴡ",
    "x": "ẋẍ",
    "y": "ýÿŷȳẏỳỵỷỹỿƴɏʏ",
    "z": "źżžẑẓẕƶȥʐⱬᴢ",
    "2": "ƻ",
    "3": "ʒȝ",
    "5": "ƽ",
}

# Cyrillic letters that look like Latin ones; the first of each is the one used when a
# whole name is rewritten in Cyrillic.
CYRILLIC: dict[str, str] = {
    "a": "а",
    "b": "ьв",
    "c": "с",
    "d": "ԁ",
    "e": "еёє",
    "g": "ԍ",
    "h": "һ",
    "i": "іїӏ",
    "j": "ј",
    "k": "кќ",
    "l": "ӏ",
    "m": "м",
    "n": "п",
    "o": "оӧ",
    "p": "р",
    "q": "ԛ",
    "r": "г",
    "s": "ѕ",
    "t": "т",
    "u": "џ",
    "v": "ѵ",
    "w": "ԝш",
    "x": "хҳ",
    "y": "уў",
    "3": "зӡ",
    "4": "ч",
    "6": "б",
    "0": "о",
}

# Greek lower-case letters that pass for Latin ones.
GREEK: dict[str, str] = {
    "a": "α",
    "b": "β",
    "e": "ε",
    "i": "ιί",
    "k": "κ",
    "n": "η",
    "o": "οό",
    "p": "ρ",
    "t": "τ",
    "u": "υϋύ",
    "v": "ν",
    "w": "ω",
    "x": "χ",
    "y": "γ",
    "0": "ο",
}

# Plain-ASCII lookalikes, including letter pairs that render like one letter.
ASCII: dict[str, tuple[str, ...]] = {
    "0": ("o",),
    "1": ("l", "i"),
    "2": ("z",),
    "3": ("8",),
    "5": ("s",),
    "6": ("9", "b"),
    "8": ("3", "b"),
    "9": ("6", "g", "q"),
    "b": ("d", "lb", "6"),
    "c": ("e",),
    "d": ("b", "cl", "dl"),
    "e": ("c",),
    "g": ("q", "9"),
    "h": ("lh",),
    "i": ("1", "l"),
    "k": ("lc",),
    "l": ("1", "i"),
    "m": ("n", "nn", "rn"),
    "n": ("m", "r"),
    "o": ("0",),
    "q": ("g",),
    "s": ("5",),
    "u": ("v",),
    "v": ("u",),
    "w": ("vv",),
    "z": ("2",),
    "rn": ("m",),
    "cl": ("d",),
    "vv": ("w",),
    "nn": ("m",),
}

# Ligatures standing in for two letters.
LIGATURES: dict[str, str] = {"ae": "æ", "oe": "œ"}


def _merge(*tables: dict[str, str] | dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    merged: dict[str, dict[str, None]] = {}
    for table in tables:
        for key, glyphs in table.items():
            merged.setdefault(key, {}).update(dict.fromkeys(glyphs))
    return {key: tuple(glyphs) for key, glyphs in merged.items()}


@cache
def safe_chars() -> frozenset[str]:
    """Every vetted non-ASCII character of the tables."""
    every = "".join("".join(t.values()) for t in (LATIN, CYRILLIC, GREEK, LIGATURES))
    return vetted(every)


def _clean(table: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    safe = safe_chars()
    return _keep(table, lambda glyph: glyph.isascii() or safe.issuperset(glyph))


# Registries known to accept only some non-ASCII letters under these suffixes, or none:
# lookalikes they would refuse cannot be registered there. Everywhere else every
# vetted character is tried.
IDN_RULES: dict[str, str] = {
    **dict.fromkeys(("uk", "co.uk", "nl", "us", "edu", "ad", "cz", "sk"), "ascii"),
    # These accept their own scripts (kana, han) but no Latin lookalikes.
    **dict.fromkeys(("jp", "co.jp", "ad.jp", "ne.jp", "cn", "com.cn", "tw", "com.tw",
                     "net.tw"), "ascii"),
    **dict.fromkeys(("de", "pl", "info", "br", "com.br", "dk", "be", "fr", "re", "yt",
                     "pm", "wf", "tf", "ch", "li", "ca"), "latin"),
    **dict.fromkeys(("fi", "no"), "sami"),
    "eu": "european",
}
_SAMI = "ǧǥǩʒǯ"  # Latin Extended-B letters of the Sami alphabets


def idn_rule(suffix: str) -> str:
    return IDN_RULES.get(suffix, "any")


def _allowed(rule: str) -> frozenset[str] | None:
    """The non-ASCII characters ``rule`` lets through (None: all of them)."""
    if rule == "any":
        return None
    latin = frozenset(c for c in safe_chars() if "\u00df" <= c <= "\u017f")
    if rule == "latin":
        return latin
    if rule == "sami":
        return latin | frozenset(_SAMI)
    if rule == "european":
        return latin | frozenset("".join(CYRILLIC.values()) + "".join(GREEK.values()))
    return frozenset()


@cache
def forward(rule: str = "any") -> MappingProxyType[str, tuple[str, ...]]:
    """ASCII key (one or two characters) -> lookalikes allowed by ``rule``, closest first.

    ASCII lookalikes lead: they are registrable under every suffix.
    """
    table = _clean(_merge(ASCII, LATIN, CYRILLIC, GREEK, LIGATURES))
    allowed = _allowed(rule)
    if allowed is not None:
        table = _keep(table, lambda glyph: glyph.isascii() or allowed.issuperset(glyph))
    return MappingProxyType(table)


def _keep(table: dict[str, tuple[str, ...]], test) -> dict[str, tuple[str, ...]]:
    kept = {key: tuple(g for g in glyphs if test(g)) for key, glyphs in table.items()}
    return {key: glyphs for key, glyphs in kept.items() if glyphs}


@cache
def backward(rule: str = "any") -> MappingProxyType[str, tuple[str, ...]]:
    """Non-ASCII character -> its ASCII base and the base's other lookalikes.

    Used when the input itself is an IDN (``bücher`` gives ``bucher``, ``búcher``...).
    """
    found: dict[str, dict[str, None]] = {}
    for base, glyphs in forward(rule).items():
        if len(base) != 1:
            continue
        for glyph in glyphs:
            if len(glyph) == 1 and not glyph.isascii():
                others = (g for g in glyphs if g != glyph)
                found.setdefault(glyph, {}).update(dict.fromkeys((base, *others)))
    return MappingProxyType({glyph: tuple(alts) for glyph, alts in found.items()})


@cache
def script_map(script: str) -> dict[int, str]:
    """A ``str.translate`` table rewriting Latin letters in one script (first choices)."""
    table = {"cyrillic": CYRILLIC, "greek": GREEK}[script]
    safe = safe_chars()
    return {
        ord(letter): glyphs[0] for letter, glyphs in table.items()
        if letter.isalpha() and glyphs[0] in safe
    }
