import random

import pytest

from jobs.lookalike.glyphs import safe_chars
from jobs.lookalike.idn import LabelEncoder, punycode, to_unicode, vetted


def _labels(count: int) -> list[str]:
    rng = random.Random(1)
    plain = "abcdefghijklmnopqrstuvwxyz0123456789-"
    wide = "àáâãäåаеоріαοερυνüößçœæ中文日本語ĀĂ"
    out = []
    for _ in range(count):
        chars = [rng.choice(plain) for _ in range(rng.randint(1, 30))]
        for _ in range(rng.choice([0, 1, 1, 2, 2, 2, 3, 5])):
            chars[rng.randrange(len(chars))] = rng.choice(wide)
        out.append("".join(chars))
    return out


def test_punycode_matches_the_standard_codec():
    for label in _labels(20000) + ["ü", "üü", "ééa", "aéé", "аéx", "中文", "ab-ü-"]:
        assert punycode(label) == label.encode("punycode").decode("ascii"), label


@pytest.fixture
def encode():
    return LabelEncoder(safe_chars())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("example", "example"),
        ("ex.ample", "ex.ample"),
        ("exаmple", "xn--exmple-4nf"),  # Cyrillic а
        ("bücher", "xn--bcher-kva"),
        ("ex.аmple", "ex.xn--mple-43d"),
        ("日本語", "xn--wgv71a119e"),  # not in our tables: the full IDNA check
    ],
)
def test_valid_labels_are_encoded(encode, text, expected):
    assert encode(text) == expected


@pytest.mark.parametrize(
    "text",
    ["-example", "example-", "ex--ample", "xn--abc", "ex..ample", ".example", "", "a" * 64,
     "-ü", "ü-", "üx--a", "ex_ample", "ex ample", "a\u0301b", "ünа" * 30],
)
def test_invalid_labels_are_refused(encode, text):
    assert encode(text) is None


def test_vetted_keeps_only_safe_letters():
    # Greek lunate sigma is not IDNA 2008 valid, Hebrew is right-to-left, a combining
    # acute cannot stand alone, ASCII is not "non-ASCII".
    assert vetted("ϲאa\u0301é") == frozenset("é")


def test_to_unicode():
    assert to_unicode("xn--bcher-kva.de") == "bücher.de"
    assert to_unicode("example.com") == "example.com"
    assert to_unicode("xn--zz.com") == "xn--zz.com"  # undecodable labels stay
