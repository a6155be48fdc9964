"""Turning generated labels into DNS names: validation and punycode, tuned for volume.

A lookalike run checks tens of thousands of candidate names. Running each through the
full IDNA 2008 machinery costs more than generating it, so the characters our tables can
introduce are vetted once at import, and per name only cheap checks remain. Characters
that come from the input itself and were not vetted take the slow, complete path.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import idna

LDH = "abcdefghijklmnopqrstuvwxyz0123456789-"
MAX_LABEL = 63
MAX_NAME = 253
_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789"

# One or more LDH labels: no leading/trailing hyphen, and no hyphens in the 3rd and 4th
# positions, which IDNA reserves (``xn--``) and registries refuse.
_LABEL = r"(?![a-z0-9-]{2}--)(?!-)[a-z0-9-]{1,63}(?<!-)"
_ASCII_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*").fullmatch
_find_wide = re.compile("[^\x00-\x7f]").search


def vetted(chars: Iterable[str]) -> frozenset[str]:
    """The characters that are valid in any U-label position next to LDH characters.

    IDNA 2008 allows them (PVALID), they are left-to-right (so no bidi rule can fire),
    not marks and stable under NFC, so a label made of them and LDH characters only needs
    the hyphen and length rules. Meant for the Latin, Cyrillic and Greek letters of our
    tables; scripts whose letters compose with each other (Hangul jamo) need the full
    check instead.
    """
    return frozenset(c for c in chars if _is_safe_char(c))


def _is_safe_char(char: str) -> bool:
    if char.isascii() or len(char) != 1:
        return False
    if unicodedata.bidirectional(char) != "L" or unicodedata.category(char).startswith("M"):
        return False
    if unicodedata.normalize("NFC", char) != char:
        return False
    try:
        idna.alabel(char)
    except (idna.IDNAError, UnicodeError):
        return False
    return True


def punycode(label: str) -> str:
    """RFC 3492 encoding of one label (without the ``xn--`` prefix).

    Same output as ``label.encode("punycode")``, two to three times faster on the short
    labels with one or two non-ASCII characters that homoglyph variants are: those two
    cases are worked out in closed form, and the general loop walks only the non-ASCII
    positions instead of the whole label for every code point.
    """
    basic = label.encode("ascii", "ignore").decode("ascii")
    head = basic + "-" if basic else ""
    size = len(label)
    count = size - len(basic)
    if count == 1:
        pos = _find_wide(label).start()
        return head + _encode_delta((ord(label[pos]) - 128) * size + pos, 72)
    if count == 2:
        pos1 = _find_wide(label).start()
        pos2 = _find_wide(label, pos1 + 1).start()
        return head + _two(size, pos1, ord(label[pos1]), pos2, ord(label[pos2]))
    wide = [(pos, ord(char)) for pos, char in enumerate(label) if char > "\x7f"]
    return head + _general(size, wide)


def _two(size: int, pos1: int, point1: int, pos2: int, point2: int) -> str:
    """Two non-ASCII characters at ``pos1 < pos2``: the general loop unrolled."""
    basic = size - 2
    if point1 <= point2:
        first = (point1 - 128) * (basic + 1) + pos1
        second = (pos2 - pos1 - 1) if point1 == point2 else (
            size - pos1 - 1 + (point2 - point1 - 1) * (basic + 2) + pos2)
    else:
        first = (point2 - 128) * (basic + 1) + pos2 - 1
        second = size - pos2 + (point1 - point2 - 1) * (basic + 2) + pos1
    bias = _adapt(first, basic + 1, True)
    return _encode_delta(first, 72) + _encode_delta(second, bias)


def _general(size: int, wide: list[tuple[int, int]]) -> str:
    out = ""
    handled = first = size - len(wide)
    code, delta, bias = 128, 0, 72
    for point in sorted({c for _, c in wide}):
        delta += (point - code) * (handled + 1)
        code = point
        prev = 0
        for pos, char in wide:
            if char < point:
                continue  # already encoded; counted through the gap lengths
            delta += pos - prev
            prev = pos + 1
            if char == point:
                out += _encode_delta(delta, bias)
                handled += 1
                bias = _adapt(delta, handled, handled - 1 == first)
                delta = 0
        delta += size - prev + 1
        code += 1
    return out


def _encode_delta(q: int, bias: int) -> str:
    """A generalized variable-length integer (RFC 3492, 6.3; names as there)."""
    out = ""
    k = 36
    while True:
        t = 1 if k <= bias else 26 if k >= bias + 26 else k - bias
        if q < t:
            return out + _DIGITS[q]
        out += _DIGITS[t + (q - t) % (36 - t)]
        q = (q - t) // (36 - t)
        k += 36


def _adapt(delta: int, points: int, first: bool) -> int:
    """The bias for the next delta (RFC 3492, 6.1)."""
    delta = delta // 700 if first else delta // 2
    delta += delta // points
    k = 0
    while delta > 455:
        delta //= 35
        k += 36
    return k + (36 * delta) // (delta + 38)


class LabelEncoder:
    """Validates a dotted run of labels and returns its ASCII (A-label) form, or None.

    ``safe`` is the set of vetted non-ASCII characters (see ``vetted``); labels with any
    other non-ASCII character go through the ``idna`` package's complete check.
    """

    def __init__(self, safe: frozenset[str]):
        self.allowed = safe | frozenset(LDH)

    def __call__(self, text: str) -> str | None:
        if text.isascii():
            return text if _ASCII_NAME(text) else None
        if "." not in text:
            return self._label(text)
        labels = [self._label(label) for label in text.split(".")]
        return None if None in labels else ".".join(labels)  # type: ignore[arg-type]

    def _label(self, label: str) -> str | None:
        if label.isascii():
            return label if _ASCII_NAME(label) else None
        if not self.allowed.issuperset(label):
            return _slow_label(label)
        if label[0] == "-" or label[-1] == "-" or label[2:4] == "--":
            return None
        encoded = "xn--" + punycode(label)
        return encoded if len(encoded) <= MAX_LABEL else None


def _slow_label(label: str) -> str | None:
    try:
        return idna.alabel(label).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def to_unicode(name: str) -> str:
    """Display form of an ASCII name; labels that do not decode are kept as they are."""
    if "xn--" not in name:
        return name
    return ".".join(_ulabel(label) for label in name.split("."))


def _ulabel(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return idna.ulabel(label)
    except (idna.IDNAError, UnicodeError):
        return label
