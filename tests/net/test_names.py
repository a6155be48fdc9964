import pytest

from jobs.lookalike.names import psl
from jobs.net.names import NotAName, ascii_name, host_name, public_suffixes, registrable_domain


@pytest.mark.parametrize("raw, expected", [
    ("Example.COM.", "example.com"),
    ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
    ("BÜCHER.example", "xn--bcher-kva.example"),
])
def test_ascii_name(raw, expected):
    assert ascii_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "a..b", "-bad.example", "under_score.example",
                                 "x" * 64 + ".example", "1.2.3.4", "example.123"])
def test_host_name_refuses_what_is_not_a_host(raw):
    with pytest.raises(NotAName):
        host_name(raw)


@pytest.mark.parametrize("name, expected", [
    ("www.example.co.uk", "example.co.uk"),
    ("example.com", "example.com"),
    ("a.b.mycorp.github.io", "mycorp.github.io"),  # private entries count
    ("co.uk", "co.uk"),                             # a bare suffix: the name itself
])
def test_registrable_domain(name, expected):
    assert registrable_domain(name) == expected


def test_one_public_suffix_list_is_shared():
    assert public_suffixes() is public_suffixes() is psl()
