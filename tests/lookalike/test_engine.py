import pytest

from jobs.lookalike import (
    TECHNIQUES,
    InvalidDomain,
    Options,
    generate,
    parse_techniques,
    split_domain,
)
from tests.lookalike.helpers import DOMAINS, assert_valid_dns_name

ALL = list(TECHNIQUES)


def test_default_is_typosquatting():
    found = generate("example.com")
    assert found and {v.technique for v in found} == {"typosquatting"}


def test_small_limit_samples_every_typo_fuzzer():
    found = generate("example.com", limit=11)
    assert len(found) == 11
    assert len({v.fuzzer for v in found}) == 10  # no subdomain: nothing to merge


def test_first_technique_keeps_a_shared_name():
    # "exanple.com" is a keyboard replacement and an ASCII homoglyph (m -> n).
    typo_first = {v.name: v.technique for v in generate("example.com", ALL[:2], None)}
    glyph_first = {v.name: v.technique for v in generate("example.com", ALL[1::-1], None)}
    assert typo_first["exanple.com"] == "typosquatting"
    assert glyph_first["exanple.com"] == "homoglyph"


def test_limit_counts_new_names_per_technique():
    found = generate("example.com", ["typosquatting", "homoglyph"], 50)
    assert [v.technique for v in found].count("homoglyph") == 50


def test_idn_variant_shape():
    variant = next(v for v in generate("example.com", ["homoglyph"], None) if v.is_idn)
    assert variant.name.startswith("xn--") and not variant.unicode.isascii()
    assert variant.display == f"{variant.unicode} ({variant.name})"


def test_parse_techniques():
    assert parse_techniques("Homoglyph, tld-variation,homoglyph") == ["homoglyph",
                                                                     "tld_variation"]
    with pytest.raises(ValueError, match="unknown technique 'typo'"):
        parse_techniques(["typo"])
    with pytest.raises(ValueError, match="at least one"):
        parse_techniques(" , ")


def test_bad_domain():
    with pytest.raises(InvalidDomain):
        generate("not a domain")


def test_levenshtein_two_on_a_long_name_stays_capped():
    found = generate("a" * 60 + ".com", ["levenshtein"], 10000, Options(distance=2))
    assert len(found) == 10000


# --- properties over many domains, every technique --------------------------------------


@pytest.fixture(scope="module", params=DOMAINS)
def everything(request):
    domain = request.param
    return domain, generate(domain, ALL, 3000, Options(distance=2, all_tlds=True))


def test_every_name_is_a_valid_dns_name(everything):
    _, found = everything
    for variant in found:
        assert_valid_dns_name(variant.name)


def test_input_and_its_base_never_come_back(everything):
    domain, found = everything
    parts = split_domain(domain)
    names = {v.name for v in found}
    assert parts.host not in names and parts.base not in names


def test_no_duplicates(everything):
    _, found = everything
    assert len({v.name for v in found}) == len(found)
    assert len({v.unicode for v in found}) == len(found)


def test_limit_respected_for_each_technique(everything):
    _, found = everything
    for technique in ALL:
        assert sum(v.technique == technique for v in found) <= 3000


def test_unicode_form_matches_name(everything):
    import idna

    _, found = everything
    for variant in found[::37]:
        assert idna.decode(variant.name) == variant.unicode


def test_deterministic():
    assert generate("example.com", ALL, 500) == generate("example.com", ALL, 500)
