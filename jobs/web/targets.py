"""How a job's target is shown: never a Unicode name alone.

``pаypal.com`` with a Cyrillic ``а`` looks exactly like ``paypal.com``. Wherever the
dashboard shows a target it shows the ASCII (punycode) form beside a Unicode name, and
warns when one label mixes scripts, the classic homoglyph trick. The rule follows
Unicode TS #39's "highly restrictive" level: one script per label, except Latin with
Han and Japanese kana, Han with Bopomofo, or Han with Hangul.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import idna

# Letter names start with their script ("CYRILLIC SMALL LETTER A"), except for these
# width and style prefixes ("FULLWIDTH LATIN SMALL LETTER A").
_PREFIXES = {"FULLWIDTH", "HALFWIDTH", "MATHEMATICAL", "MODIFIER", "SMALL", "CAPITAL"}
_ALLOWED_MIXES = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)


@dataclass(frozen=True)
class TargetText:
    text: str                      # the target as stored
    ascii: str = ""                # its ASCII form when it holds a Unicode name, else ""
    scripts: tuple[str, ...] = ()  # the scripts of a mixed-script label, else ()

    @property
    def mixed(self) -> bool:
        return bool(self.scripts)

    @property
    def warning(self) -> str:
        if not self.scripts:
            return ""
        names = " and ".join(s.title() for s in self.scripts)
        return f"Mixed scripts ({names})"

    @property
    def plain(self) -> str:
        """One line of text for places without markup (the page title)."""
        if not self.ascii:
            return self.text
        return f"{self.ascii} (mixed scripts)" if self.mixed else f"{self.ascii} ({self.text})"


@lru_cache(maxsize=4096)
def target_text(text: str) -> TargetText:
    text = text or ""
    host = _host(text)
    if not host or host.isascii():
        return TargetText(text)
    ascii_host = ".".join(_alabel(label) for label in host.split("."))
    return TargetText(text, text.replace(host, ascii_host, 1), mixed_scripts(host))


def mixed_scripts(name: str) -> tuple[str, ...]:
    """The scripts of the first label that mixes them in a way TS #39 does not allow."""
    for label in name.split("."):
        scripts = {s for s in map(_script, label) if s}
        if len(scripts) > 1 and not any(scripts <= allowed for allowed in _ALLOWED_MIXES):
            return tuple(sorted(scripts))
    return ()


def _script(char: str) -> str:
    if not unicodedata.category(char).startswith("L"):
        return ""  # digits, hyphens, marks: common to every script
    words = unicodedata.name(char, "").split()
    while words and words[0] in _PREFIXES:
        words = words[1:]
    return words[0] if words else ""


def _host(text: str) -> str:
    if "://" in text:
        try:
            return urlsplit(text).hostname or ""
        except ValueError:
            return ""
    return text.strip()


def _alabel(label: str) -> str:
    if label.isascii():
        return label
    try:
        return idna.alabel(label).decode("ascii")
    except idna.IDNAError:
        # Not a valid IDNA label (it may mix in symbols): plain RFC 3492 still shows
        # every code point in ASCII.
        return "xn--" + label.encode("punycode").decode("ascii")
