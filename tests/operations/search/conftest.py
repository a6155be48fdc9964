import pytest

from jobs.registrations import normalize
from jobs.registrations.store import registrations_upsert

RECORDS = [
    {"domain": "acme.com", "registrarName": "GoDaddy.com, LLC", "registrarIanaId": "146",
     "registrantName": "John Smith", "registrantCompany": "Acme Corp",
     "registrantEmail": "john@acme.com", "registrantPhone": "+1.5550100",
     "registrantCountry": "US", "registrantCity": "Austin",
     "nameServers": "ns1.acme-dns.net|ns2.acme-dns.net", "domainStatus": "clientTransferProhibited",
     "createdDate": "2015-03-04", "updatedDate": "2024-01-01", "expiryDate": "2030-03-04"},
    {"domain": "acme-login.net", "registrarName": "Namecheap, Inc.", "registrantName": "John Smith",
     "registrantCompany": "ACME Corporation", "registrantEmail": "JOHN@acme.com",
     "registrantCountry": "US", "nameServers": "ns1.acme-dns.net",
     "domainStatus": "clientHold", "createdDate": "2023-06-01", "expiryDate": "2024-06-01"},
    {"domain": "globex.org", "registrarName": "GoDaddy.com, LLC", "registrantName": "Hank Scorpio",
     "registrantCompany": "Globex Corporation", "registrantEmail": "hank@globex.org",
     "registrantCountry": "GB", "registrantCity": "London",
     "nameServers": "dns1.cloudflare.com|dns2.cloudflare.com", "createdDate": "2019-01-01",
     "expiryDate": "2025-01-01"},
    {"domain": "private.io", "registrarName": "Gandi SAS", "registrantName": "REDACTED FOR PRIVACY",
     "registrantEmail": "abc123@withheldforprivacy.com", "nameServers": "ns.gandi.net",
     "createdDate": "2021-05-05"},
]


@pytest.fixture
def records(db):
    registrations_upsert([normalize.record(r) for r in RECORDS], organization_id=None,
                         source="import")
    return RECORDS
