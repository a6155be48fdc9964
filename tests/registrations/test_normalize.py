"""normalize.row (the importer's) gives what normalize.record gives, value for value."""

import datetime as dt
import itertools

import pytest

from jobs.registrations import normalize
from jobs.registrations.models import TRACKED

SAMPLES = {
    "domain": ["Example.COM.", " acme.co.uk ", "bücher.de", "xn--bcher-kva.de", "-bad.com",
               "no_dots", "", "a" * 64 + ".com", "ok-1.net", "a..b"],
    "tld": ["", ".COM", ".", "Org", "REDACTED"],
    "registrarName": ["", "GoDaddy.com, LLC ", "REDACTED FOR PRIVACY", "x" * 300],
    "registrarIanaId": ["", " 146 ", "1" * 20],
    "registrantName": ["", "John Smith", "Data Protected", "Privacy service provided by X",
                       "Not Disclosed!", "GDPR masked person"],
    "registrantCompany": ["", "Acme Corp", "n/a", " Query the RDDS service "],
    "registrantEmail": ["", "John@Acme.com", "mailto:a@b.org", "x1@withheldforprivacy.com",
                        "abc@myproxy.example", "please query the rdds", "a b@c.d",
                        "https://form.example/contact"],
    "registrantPhone": ["", "+1.5555550100", "REDACTED"],
    "registrantCountry": ["", "US", "Redacted for privacy"],
    "registrantCity": ["", "Austin", "c" * 200],
    "nameServers": ["", "NS1.Acme.net.|ns2.acme.net", "a.ns, b.ns ;a.ns", "ns1 ns2"],
    "domainStatus": ["", "clientHold https://icann.org/epp#clientHold|ok", "OK,ok"],
    "createdDate": ["", "2015-03-04", "2015-03-04T10:00:00Z", "04-Mar-2015", "2015.03.04",
                    "2015-02-31", "never"],
    "updatedDate": ["", "20240101", "2024/01/15 (UTC)"],
    "expiryDate": ["", "15.01.2030", "Jan 15 2030"],
}


def _expected(values):
    try:
        found = normalize.record(values)
    except normalize.Rejected as exc:
        return "rejected", str(exc)
    return tuple(found[c].isoformat() if isinstance(found[c], dt.date) else found[c]
                 for c in TRACKED)


def _actual(convert, values):
    try:
        return convert(values)
    except normalize.Rejected as exc:
        return "rejected", str(exc)


def _rows():
    fields = list(SAMPLES)
    width = max(len(v) for v in SAMPLES.values())
    for i, j in itertools.product(range(width), range(3)):
        yield {f: SAMPLES[f][(i + j * n) % len(SAMPLES[f])] for n, f in enumerate(fields)}


@pytest.mark.parametrize("convert", [normalize.row, normalize.row_of])
def test_row_is_record_in_staging_form(convert):
    for values in _rows():
        assert _actual(convert, values) == _expected(values), values
        # Cached the second time round: the same answer.
        assert _actual(convert, values) == _expected(values), values
        # An empty cell is a missing one.
        present = {k: v for k, v in values.items() if v != ""}
        assert _actual(convert, present) == _expected(values), values


def test_row_of_takes_json_values():
    values = {"domain": "acme.com", "registrarIanaId": 146, "tld": None, "createdDate": None}
    assert normalize.row_of(values)[TRACKED.index("registrar_iana_id")] == "146"
    assert normalize.row_of({**values, "registrarIanaId": True})[3] == "True"
    assert normalize.row_of({**values, "registrarIanaId": 0})[3] == ""
