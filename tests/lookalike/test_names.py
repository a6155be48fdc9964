import pytest

from jobs.lookalike.names import InvalidDomain, icann_suffixes, split_domain


@pytest.mark.parametrize(
    ("raw", "subdomain", "brand", "suffix"),
    [
        ("shop.example.co.uk", "shop", "example", "co.uk"),
        ("example.com", "", "example", "com"),
        ("EXAMPLE.com.", "", "example", "com"),
        ("a.b.c.example.com.au", "a.b.c", "example", "com.au"),
        ("bücher.de", "", "bücher", "de"),
        ("xn--bcher-kva.de", "", "bücher", "de"),
        ("mycorp.github.io", "", "mycorp", "github.io"),  # private PSL entries count
        ("ｅｘａｍｐｌｅ．ｃｏｍ", "", "example", "com"),  # full-width, mapped by UTS 46
    ],
)
def test_split(raw, subdomain, brand, suffix):
    parts = split_domain(raw)
    assert (parts.subdomain, parts.brand, parts.suffix.ascii) == (subdomain, brand, suffix)


def test_idn_suffix_has_both_forms():
    parts = split_domain("пример.рф")
    assert parts.suffix == ("xn--p1ai", "рф")
    assert parts.base == "xn--e1afmkfd.xn--p1ai"
    assert parts.base_unicode == "пример.рф"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "required"),
        ("   ", "required"),
        ("co.uk", "public suffix"),
        ("com", "two labels"),
        ("localhost", "two labels"),
        ("192.0.2.1", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("https://example.com/login", "not a URL"),
        ("user@example.com", "not a URL"),
        ("exa mple.com", "' ' not allowed"),
        ("a_b.com", "'_' not allowed"),
        ("-a.com", "hyphen"),
        ("a..com", "empty label"),
        ("x" * 64 + ".com", "too long"),
        ("a." * 127 + "com", "too long"),
    ],
)
def test_garbage_is_refused_with_a_reason(raw, reason):
    with pytest.raises(InvalidDomain, match=reason):
        split_domain(raw)


def test_icann_suffixes_come_from_the_icann_section_only():
    suffixes = {s.ascii for s in icann_suffixes()}
    assert {"com", "co.uk", "de", "xn--p1ai"} <= suffixes
    assert "github.io" not in suffixes  # a private entry
    assert not any(s.startswith(("*", "!")) for s in suffixes)
