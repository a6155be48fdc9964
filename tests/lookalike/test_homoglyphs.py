import pytest

from jobs.lookalike import generate, glyphs
from jobs.lookalike.homoglyphs import ascii_table, substitutions, whole_script


def test_every_table_character_passes_vetting():
    # A character that fails vetting silently drops out: keep the tables honest.
    every = "".join("".join(t.values()) for t in (
        glyphs.LATIN, glyphs.CYRILLIC, glyphs.GREEK, glyphs.LIGATURES))
    assert set(every) == set(glyphs.safe_chars())


@pytest.mark.parametrize(
    ("brand", "expected"),
    [
        ("m", {"rn", "nn", "n", "ḿ", "м"}),
        ("rn", {"m", "ʀn", "rñ"}),
        ("cl", {"d", "el", "çl", "c1"}),
        ("oo", {"0o", "o0", "00", "öö", "оо"}),  # a doubled letter swaps both at once
        ("ae", {"æ", "àe"}),
        ("vv", {"w", "uv"}),
    ],
)
def test_substitutions(brand, expected):
    assert expected <= set(substitutions(brand, glyphs.forward()))


def test_whole_script():
    assert whole_script("example", "cyrillic") == ["ехамрӏе"]
    assert whole_script("paypal", "cyrillic") == ["раураӏ"]
    assert whole_script("coke", "greek") == []  # no Greek c
    assert whole_script("fun", "cyrillic") == []  # no Cyrillic f
    assert whole_script("a-1", "cyrillic") == ["а-1"]


def _names(domain):
    return generate(domain, ["homoglyph"], None)


def test_tiers_whole_script_then_ascii_then_idn():
    found = _names("example.com")
    assert found[0].fuzzer == "cyrillic" and found[0].unicode == "ехамрӏе.com"
    singles = [v for v in found[1:] if v.fuzzer == "homoglyph"]
    first_idn = next(i for i, v in enumerate(singles) if v.is_idn)
    assert all(not v.is_idn for v in singles[:first_idn])
    names = {v.unicode for v in found}
    assert {"exarnple.com", "examp1e.com", "exаmple.com", "еxаmple.com", "ехample.com",
            "exámplé.com", "exampie.com"} <= names


def test_registry_rules_limit_idn_characters():
    uk = _names("example.co.uk")
    assert all(not v.is_idn for v in uk if v.fuzzer == "homoglyph")
    assert any(v.fuzzer == "cyrillic" for v in uk)  # whole-script names always
    de = {v.unicode for v in _names("example.de")}
    assert "exámple.de" in de and "exаmple.de" not in de  # Latin yes, Cyrillic no


def test_idn_input_maps_back_to_ascii():
    names = {v.unicode for v in _names("bücher.de")}
    assert {"bucher.de", "búcher.de", "bûcher.de"} <= names


def test_ascii_table_is_ascii():
    assert all(g.isascii() for glyphs_ in ascii_table().values() for g in glyphs_)
