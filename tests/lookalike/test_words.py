from jobs.lookalike import generate
from jobs.lookalike.words import prefixed, suffixed, surrounded


def test_prefix_with_and_without_hyphen():
    out = prefixed("example")
    assert out[:4] == ["login-example", "loginexample", "secure-example", "secureexample"]


def test_suffix_with_and_without_hyphen():
    assert {"example-login", "examplelogin", "example-verify", "exampleapp"} <= set(
        suffixed("example"))


def test_hyphenated_brand_has_words_replaced():
    assert "login-shop" in prefixed("my-shop")
    assert "my-login" in suffixed("my-shop")


def test_contains():
    out = set(surrounded("example", "co.uk"))
    assert {"login-example-secure", "loginexamplesecure", "examplecouk-login",
            "example-co-uk-login", "secure-examplecouk"} <= out


def test_techniques_label_their_names():
    found = generate("example.com", ["prefix", "suffix", "contains"], None)
    assert {v.fuzzer for v in found} == {"prefix", "suffix", "contains"}
    assert found[0].name == "login-example.com"
