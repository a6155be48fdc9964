"""Everything dnstwist generates, we generate too (dnstwist is a development dependency,
used here as a yardstick only)."""

import socket

import pytest

from jobs.lookalike import generate
from tests.lookalike.helpers import DOMAINS

# Importing dnstwist sets a process-wide default socket timeout (12 s), which would make
# the loopback servers of later tests stop listening after 12 idle seconds: undo it.
_default_timeout = socket.getdefaulttimeout()
dnstwist = pytest.importorskip("dnstwist")
socket.setdefaulttimeout(_default_timeout)

# Our counterparts of dnstwist's default fuzzers (its dictionary and TLD list are empty
# by default; prefix, suffix and tld_variation cover them when given).
CORRESPONDING = ["typosquatting", "bitsquatting", "homoglyph", "tld_variation"]


def _theirs(domain: str) -> dict[str, str]:
    fuzzer = dnstwist.Fuzzer(domain)
    fuzzer.generate()
    return {p["domain"]: p["fuzzer"] for p in fuzzer.domains if p["fuzzer"] != "*original"}


@pytest.mark.parametrize(
    "domain", [d for d in DOMAINS if len(d) < 30] + ["g00gle-login.net", "securebanking.com"])
def test_superset_of_dnstwist(domain):
    ours = {v.name for v in generate(domain, CORRESPONDING, None)}
    missing = {name: fuzzer for name, fuzzer in _theirs(domain).items() if name not in ours}
    assert not missing


def test_dictionary_counterpart():
    words = ["login", "secure"]
    fuzzer = dnstwist.Fuzzer("my-bank.com", dictionary=words)
    fuzzer.generate(fuzzers=["dictionary"])
    theirs = {p["domain"] for p in fuzzer.domains}
    ours = {v.name for v in generate("my-bank.com", ["prefix", "suffix"], None)}
    assert theirs <= ours
