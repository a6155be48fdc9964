import pytest

from jobs.operations.bulk_enrichment.indicators import Unrecognised, classify

SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

CASES = [
    # sent, kind, value, type
    ("8.8.8.8", "ipv4", "8.8.8.8", "ip"),
    ("  8.8.8.8\t", "ipv4", "8.8.8.8", "ip"),
    ("1.2.3[.]4", "ipv4", "1.2.3.4", "ip"),
    ("1[.]2[.]3[.]4", "ipv4", "1.2.3.4", "ip"),
    ("2001:DB8::0:1", "ipv6", "2001:db8::1", "ip"),
    ("[2001:db8::1]", "ipv6", "2001:db8::1", "ip"),
    ("10.0.0.0/8", "cidr", "10.0.0.0/8", "cidr"),
    ("192.0.2.77/24", "cidr", "192.0.2.0/24", "cidr"),
    ("2001:db8::/32", "cidr", "2001:db8::/32", "cidr"),
    ("example[.]com", "domain", "example.com", "domain"),
    ("example(.)com", "domain", "example.com", "domain"),
    ("EXAMPLE[dot]COM", "domain", "example.com", "domain"),
    ("Example.COM.", "domain", "example.com", "domain"),
    ("bücher.de", "domain", "xn--bcher-kva.de", "domain"),
    ("hxxp://example[.]com/a?b=1", "url", "http://example.com/a?b=1", "url"),
    ("hxxps[:]//evil[.]example/login", "url", "https://evil.example/login", "url"),
    ("http[s]://evil[.]com", "url", "https://evil.com", "url"),
    ("HTTP://Example.COM:8080/Path", "url", "http://example.com:8080/Path", "url"),
    ("hxxps://1.2.3[.]4:8443/x", "url", "https://1.2.3.4:8443/x", "url"),
    ("http://[2001:db8::1]/", "url", "http://[2001:db8::1]/", "url"),
    ("evil.example/login.php", "url", "http://evil.example/login.php", "url"),
    ("user[@]example.com", "email", "user@example.com", "email"),
    ("user(at)Example[.]com", "email", "user@example.com", "email"),
    ("D41D8CD98F00B204E9800998ECF8427E", "md5", "d41d8cd98f00b204e9800998ecf8427e", "md5"),
    ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1",
     "da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1"),
    (SHA256, "sha256", SHA256, "sha256"),
    ('"example.com",', "domain", "example.com", "domain"),
]


@pytest.mark.parametrize(("sent", "kind", "value", "published"), CASES)
def test_classify(sent, kind, value, published):
    indicator = classify(sent)
    assert (indicator.kind, indicator.value, indicator.type) == (kind, value, published)
    assert indicator.raw == sent


def test_hosts_of_urls_and_emails():
    assert classify("hxxp://sub.example[.]com/x").lookup_name == "sub.example.com"
    assert classify("a@b.example").lookup_name == "b.example"
    assert classify("example.com").lookup_name == "example.com"
    assert classify("8.8.8.8").lookup_name == ""


REFUSED = [
    ("", "empty"),
    ("   ", "empty"),
    ("1.2.3", "IPv4"),
    ("1.2.3.256", "IPv4"),
    ("abcdef0123456789abcdef", "hash"),  # 22 hex digits
    ("foo@bar", "e-mail"),
    ("fxp://x.com", "scheme"),
    ("-bad.com", "not an IP"),
    ("hello world", "not an IP"),
    ("localhost", "not an IP"),
    ("x" * 3000, "longer"),
    ("10.0.0.0/33", "CIDR"),
    (12345, "not a string"),
]


@pytest.mark.parametrize(("sent", "reason"), REFUSED)
def test_unrecognised_says_why(sent, reason):
    with pytest.raises(Unrecognised) as caught:
        classify(sent)
    assert reason in str(caught.value)
