"""Shared checks for the lookalike tests: what makes a returned name acceptable."""

from __future__ import annotations

import re

import idna

LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")

# Brands with hyphens, digits, doubled letters, IDN and multi-label suffixes, short and
# long: the property tests run every technique over all of them.
DOMAINS = [
    "example.com", "paypal.com", "google.co.uk", "bücher.de", "xn--bcher-kva.de",
    "shop.example.co.uk", "a.com", "ab.net", "x1.io", "3com.com", "my-bank.com",
    "a-b-c.org", "mm.info", "rnicrosoft.com", "cl0ud.eu", "aaaa.fr", "пример.рф",
    "faß.de", "www.login.example.com.au", "apple.no", "google.fi", "brand.com.br",
    "internationalbusinessmachines.com", "日本語.jp", "ab-cd-ef-gh.net",
]


def assert_valid_dns_name(name: str) -> None:
    assert name.isascii(), name
    assert len(name) <= 253, name
    labels = name.split(".")
    for label in labels:
        assert LABEL.fullmatch(label), (name, label)
        assert label[2:4] != "--" or label.startswith("xn--"), (name, label)
    # Whatever we call valid, the IDNA 2008 reference implementation accepts too.
    idna.decode(name)
