"""Typing mistakes (the ``typosquatting`` technique) and ``bitsquatting``.

Each fuzzer returns the brand label rewritten one way; validation and de-duplication
happen once, in the engine.
"""

from __future__ import annotations

from jobs.lookalike.idn import LDH
from jobs.lookalike.keyboards import neighbours
from jobs.lookalike.model import Options, Source
from jobs.lookalike.names import DomainParts

ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
VOWELS = "aeiouy"


def omission(s: str) -> list[str]:
    return [s[:i] + s[i + 1:] for i in range(len(s))]


def insertion(s: str) -> list[str]:
    """A neighbouring key pressed as well, just before or just after the intended one."""
    near = neighbours()
    out = []
    for i, char in enumerate(s):
        head, tail = s[:i], s[i + 1:]
        for key in near.get(char, ""):
            out.append(head + key + char + tail)
            out.append(head + char + key + tail)
    return out


def replacement(s: str) -> list[str]:
    near = neighbours()
    return [s[:i] + key + s[i + 1:] for i, char in enumerate(s) for key in near.get(char, "")]


def repetition(s: str) -> list[str]:
    return [s[:i] + char + s[i:] for i, char in enumerate(s)]


def transposition(s: str) -> list[str]:
    return [s[:i] + s[i + 1] + s[i] + s[i + 2:] for i in range(len(s) - 1) if s[i] != s[i + 1]]


def addition(s: str) -> list[str]:
    """A stray character at either end of the name or of one of its hyphenated words."""
    out = [s + char for char in ALNUM] + [char + s for char in ALNUM]
    for i, char in enumerate(s):
        if char == "-":
            out += [s[:i] + extra + s[i:] for extra in ALNUM]
            out += [s[: i + 1] + extra + s[i + 1:] for extra in ALNUM]
    return out


def hyphenation(s: str) -> list[str]:
    return [s[:i] + "-" + s[i:] for i in range(1, len(s))]


def vowel_swap(s: str) -> list[str]:
    return [
        s[:i] + other + s[i + 1:]
        for i, char in enumerate(s) if char in VOWELS
        for other in VOWELS if other != char
    ]


def plural(s: str) -> list[str]:
    """An ``s`` (``es`` after s, x, z) after the name or after any word inside it."""
    out = [s + "s", s + "es"]
    if s.endswith("y"):
        out.append(s[:-1] + "ies")
    for i in range(1, len(s)):
        out.append(s[:i] + "s" + s[i:])
        if s[i - 1] in "sxz":
            out.append(s[:i] + "es" + s[i:])
    return out


def dot_insertion(s: str) -> list[str]:
    """``ex.ample.com``: a name under ``ample.com`` that reads like the brand."""
    return [s[:i] + "." + s[i:] for i in range(1, len(s))]


def subdomain_merge(s: str, subdomain: str) -> list[str]:
    """``www.example.com`` -> ``wwwexample.com``, ``www-example.com``."""
    if not subdomain:
        return []
    flat = subdomain.replace(".", "")
    dashed = subdomain.replace(".", "-")
    return [subdomain + s, flat + s, subdomain + "-" + s, dashed + "-" + s]


def typo_sources(parts: DomainParts, options: Options) -> list[Source]:
    brand = parts.brand
    return [
        Source("omission", omission(brand)),
        Source("replacement", replacement(brand)),
        Source("insertion", insertion(brand)),
        Source("transposition", transposition(brand)),
        Source("repetition", repetition(brand)),
        Source("vowel-swap", vowel_swap(brand)),
        Source("hyphenation", hyphenation(brand)),
        Source("addition", addition(brand)),
        Source("plural", plural(brand)),
        Source("subdomain", dot_insertion(brand)),
        Source("subdomain-merge", subdomain_merge(brand, parts.subdomain), keep_subdomain=False),
    ]


def bitsquatting(s: str) -> list[str]:
    """One bit flipped in one character, as a faulty memory cell would."""
    out = []
    for i, char in enumerate(s):
        code = ord(char)
        for bit in (1, 2, 4, 8, 16, 32, 64, 128):
            flipped = chr(code ^ bit)
            if flipped in LDH:
                out.append(s[:i] + flipped + s[i + 1:])
    return out


def bitsquatting_sources(parts: DomainParts, options: Options) -> list[Source]:
    return [Source("bitsquatting", bitsquatting(parts.brand))]
