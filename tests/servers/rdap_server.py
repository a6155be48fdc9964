"""RDAP (RFC 9083) answers for the loopback HTTP(S) test servers.

An RDAP server here is an ordinary ``http_servers`` server whose routes answer
``<prefix>/domain/<name>`` with a domain object::

    server = http_servers.start(rdap_site({"example.test": domain_object("example.test")}))
    settings.RDAP_SERVER = server.url + "/rdap/"

Names not in the site get RFC 9083's error body with status 404.
"""

from __future__ import annotations

import json

from tests.servers.http_server import Reply, Route

RDAP_TYPE = ("Content-Type", "application/rdap+json")


def domain_object(name: str, *, registrant: str = "Jane Doe",
                  organization: str = "Example Widgets Ltd",
                  email: str = "hostmaster@example.test", country: str = "GB",
                  registrar: str = "Example Registrar, Inc.", iana_id: str = "376",
                  updated: str = "2025-02-01T10:00:00Z",
                  expires: str = "2031-08-13T04:00:00Z") -> dict:
    """A registry's domain object, as RDAP servers give them (RFC 9083 section 5.3)."""
    return {
        "objectClassName": "domain",
        "rdapConformance": ["rdap_level_0", "icann_rdap_response_profile_1"],
        "handle": f"{name.upper().replace('.', '_')}-TEST",
        "ldhName": name,
        "status": ["client delete prohibited", "client transfer prohibited"],
        "events": [
            {"eventAction": "registration", "eventDate": "1995-08-14T04:00:00Z"},
            {"eventAction": "expiration", "eventDate": expires},
            {"eventAction": "last changed", "eventDate": updated},
        ],
        "nameservers": [{"objectClassName": "nameserver", "ldhName": "NS1.EXAMPLE.TEST"},
                        {"objectClassName": "nameserver", "ldhName": "NS2.EXAMPLE.TEST"}],
        "secureDNS": {"delegationSigned": True},
        "entities": [
            {"objectClassName": "entity", "roles": ["registrar"],
             "publicIds": [{"type": "IANA Registrar ID", "identifier": iana_id}],
             "vcardArray": ["vcard", [["version", {}, "text", "4.0"],
                                      ["fn", {}, "text", registrar]]],
             "entities": [{"objectClassName": "entity", "roles": ["abuse"],
                           "vcardArray": ["vcard", [["fn", {}, "text", "Abuse desk"]]]}]},
            {"objectClassName": "entity", "roles": ["registrant"],
             "vcardArray": ["vcard", [
                 ["version", {}, "text", "4.0"],
                 ["fn", {}, "text", registrant],
                 ["org", {}, "text", organization],
                 ["adr", {"cc": country}, "text", ["", "", "1 High St", "London", "", "", ""]],
                 ["email", {}, "text", email],
                 ["tel", {"type": "voice"}, "uri", "tel:+44.2071234567"],
             ]]},
        ],
    }


def rdap_reply(document: dict, status: int = 200) -> Reply:
    return Reply(status, [RDAP_TYPE], json.dumps(document))


def error_reply(status: int, title: str, headers: list | None = None) -> Reply:
    body = {"errorCode": status, "title": title, "rdapConformance": ["rdap_level_0"]}
    return Reply(status, [RDAP_TYPE, *(headers or [])], json.dumps(body))


def rdap_site(documents: dict[str, dict], prefix: str = "/rdap") -> dict[str, Route]:
    """Routes answering ``{prefix}/domain/<name>`` for each document; others 404."""
    routes: dict[str, Route] = {f"{prefix}/domain/{name}": rdap_reply(doc)
                                for name, doc in documents.items()}

    def missing(request) -> Reply:
        return error_reply(404, "Not Found")

    for name in ("missing.test", "nothing.test"):
        routes.setdefault(f"{prefix}/domain/{name}", missing)
    return routes


def bootstrap_file(services: list[tuple[list[str], list[str]]]) -> str:
    """An RFC 9224 ``dns.json`` naming ``services`` ([suffixes], [base URLs])."""
    return json.dumps({"version": "1.0", "publication": "2026-11-01T00:00:00Z",
                       "description": "RDAP bootstrap file for Domain Name System registrations",
                       "services": [[list(s), list(u)] for s, u in services]})
