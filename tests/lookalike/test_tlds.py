from jobs.lookalike import Options, generate
from jobs.lookalike.names import icann_suffixes, make_suffix
from jobs.lookalike.tlds import curated, siblings, suffix_typos


def _tld(domain, **options):
    return generate(domain, ["tld_variation"], None, Options(**options))


def test_curated_suffixes_all_exist():
    known = {s.ascii for s in icann_suffixes()}
    assert {s.ascii for s in curated()} <= known


def test_swaps_and_the_input_suffix_is_left_out():
    names = [v.name for v in _tld("example.com")]
    assert names[0] == "example.net"
    assert {"example.xyz", "example.top", "example.co.uk", "example.ru"} <= set(names)
    assert "example.com" not in names


def test_siblings_and_parent():
    names = {s.ascii for s in siblings(make_suffix("co.uk"))}
    assert {"uk", "org.uk", "me.uk"} <= names and "co.uk" not in names
    assert siblings(make_suffix("com")) == []


def test_typos_of_the_suffix():
    assert {"co", "cm", "om"} <= {s.ascii for s in suffix_typos(make_suffix("com"))}


def test_suffix_moved_into_the_name():
    found = {v.name: v.fuzzer for v in _tld("google.co.uk")}
    for name in ("googlecouk.co.uk", "google-co-uk.com", "googleco.uk", "google.uk"):
        assert name in found
    assert found["googleco.uk"] == "tld-in-name"
    assert {"bücherde.de", "bücher-de.com"} <= {v.unicode for v in _tld("bücher.de")}


def test_all_tlds_adds_every_icann_suffix():
    few, every = _tld("example.com"), _tld("example.com", all_tlds=True)
    assert len(every) > len(icann_suffixes()) > 5 * len(few)
    assert "example.xn--p1ai" in {v.name for v in every}


def test_subdomain_is_kept():
    assert "shop.example.net" in {v.name for v in _tld("shop.example.com")}
