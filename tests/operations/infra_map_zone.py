"""A small web of names for map tests, served by the loopback DNS, TLS and WHOIS servers.

    acme.test       A 127.0.0.1   NS ns1.dnshost.test   MX 10 mail.acme.test
    shop.test       A 127.0.0.1   NS ns1.dnshost.test   (two domains, one address, one NS)
    www.acme.test   CNAME edge.acme.test -> CNAME cdn.acme.test -> A 127.0.0.10
    api.acme.test   A 10.0.0.5    (refused by the target policy)
    ns1.dnshost.test A 127.0.0.53, mail.acme.test A 127.0.0.25
    PTR 127.0.0.1 -> host1.hosting.test, .25 -> mail.acme.test, .10 -> cdn.acme.test
    TLS on 127.0.0.1 (MAP_TLS_PORT): acme.test, www.acme.test, shop.test, api.acme.test
    WHOIS: acme.test is registered to Acme Corp through Test Registrar Inc.
"""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass

from tests.servers.certs import CertFiles, server_context

SANS = ("acme.test", "www.acme.test", "shop.test", "api.acme.test")
WHOIS_ACME = ("Domain Name: ACME.TEST\r\nRegistrar: Test Registrar Inc.\r\n"
              "Registrant Organization: Acme Corp\r\nCreation Date: 2020-01-01\r\n")


@dataclass
class MapSite:
    tls: object
    whois: object
    cert_id: str


def build_zone(zone) -> None:
    zone.add("acme.test", "A", "127.0.0.1")
    zone.add("acme.test", "NS", "ns1.dnshost.test.")
    zone.add("acme.test", "MX", "10 mail.acme.test.")
    zone.add("shop.test", "A", "127.0.0.1")
    zone.add("shop.test", "NS", "ns1.dnshost.test.")
    zone.add("www.acme.test", "CNAME", "edge.acme.test.")
    zone.add("edge.acme.test", "CNAME", "cdn.acme.test.")
    zone.add("cdn.acme.test", "A", "127.0.0.10")
    zone.add("api.acme.test", "A", "10.0.0.5")
    zone.add("ns1.dnshost.test", "A", "127.0.0.53")
    zone.add("mail.acme.test", "A", "127.0.0.25")
    zone.add("1.0.0.127.in-addr.arpa", "PTR", "host1.hosting.test.")
    zone.add("25.0.0.127.in-addr.arpa", "PTR", "mail.acme.test.")
    zone.add("10.0.0.127.in-addr.arpa", "PTR", "cdn.acme.test.")
    zone.add("host1.hosting.test", "A", "127.0.0.1")


def start_site(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path) -> MapSite:
    build_zone(dns_zone)
    leaf = test_certs.ca.issue_cert(*SANS)
    files = CertFiles(tmp_path / "map.pem", tmp_path / "map.key")
    files.chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    files.key.write_bytes(leaf.private_key_pem.bytes())
    server = http_servers.start(tls=server_context(files), host="127.0.0.1")
    whois = whois_servers.start({"acme.test": WHOIS_ACME})
    settings.MAP_TLS_PORT = server.port
    settings.MAP_TLS_TIMEOUT = 2.0
    settings.WHOIS_SERVER = whois.server
    der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
    return MapSite(tls=server, whois=whois, cert_id="cert:" + hashlib.sha256(der).hexdigest())


def synthetic_map(count: int, start: str = "big.test") -> dict:
    """A result of ``count`` nodes shaped like a depth-3 map: names on shared addresses,
    a few name servers, networks and one certificate (for pages, not for the walk)."""
    nodes = [{"id": f"domain:{start}", "type": "domain", "label": start,
              "data": {"start": True}}]
    edges = []

    def add(kind: str, key: str, source: str | None = None, edge: str = "") -> str:
        ident = f"{'cert' if kind == 'certificate' else kind}:{key}"
        nodes.append({"id": ident, "type": kind, "label": key, "data": {}})
        if source:
            edges.append({"source": source, "target": ident, "type": edge,
                          "provenance": {"query": f"{key} A", "server": "127.0.0.1:53"}})
        return ident

    root = nodes[0]["id"]
    add("certificate", "ab" * 32, root, "shares_cert")
    add("nameserver", "ns1.dns.test", root, "uses_ns")
    asns = [add("asn", f"6450{i}") for i in range(4)]  # networks hang off addresses
    while len(nodes) < count:
        i = len(nodes)
        ip = add("ip", f"198.51.{(i // 250) % 256}.{i % 250}", root, "resolves_to")
        edges.append({"source": ip, "target": asns[i % 4], "type": "in_asn"})
        for j in range(3):
            if len(nodes) >= count:
                break
            name = add("domain", f"host{i}-{j}.{start}", ip, "reverse")
            edges.append({"source": name, "target": "nameserver:ns1.dns.test",
                          "type": "uses_ns"})
    types = {}
    for node in nodes:
        types[node["type"]] = types.get(node["type"], 0) + 1
    return {"startPoint": start, "depth": 3, "nodes": nodes, "edges": edges,
            "stats": {"nodeCount": len(nodes), "edgeCount": len(edges), "nodesByType": types,
                      "depthReached": 3, "lookups": count * 4, "durationMs": 4200,
                      "hubs": [], "refused": [], "truncated": {"hit": False}}}
