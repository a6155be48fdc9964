"""What one node leads to: the lookups of one hop, turned into proposed nodes and edges.

A domain leads to its addresses, its CNAME chain, its nameservers and mail servers (with
their addresses), the certificate on its TLS port (and the other names in it) and, for a
registrable domain, its registrant. An address leads to its PTR names, its network (ASN),
the certificate it presents and the other names the organization has seen on it.

Every lookup goes through the job's clients (the DNS client records what it learns in
the organization's observation store) and every edge carries the lookup that produced
it. Nothing connects to an address the target policy refuses: such addresses (and the
names on them) stay on the map, flagged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import time
from typing import Any

from jobs.net.dns import DnsAnswer, DnsClient
from jobs.net.errors import ClientError
from jobs.net.names import public_suffixes
from jobs.net.policy import STRICT, Policy
from jobs.net.rdap import fill_gaps
from jobs.net.tls import TlsClient
from jobs.operations.infra_map import asn
from jobs.operations.infra_map.graph import Proposal

CNAME_HOPS = 8
OBSERVATION_STORE = "observation store"


def clean(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Walker:
    """Expands nodes; holds the per-job caches so a shared nameserver is looked up once."""

    def __init__(self, client: DnsClient, whois, settings: Any, observations=None, *,
                 tls: TlsClient | None = None, policy: Policy = STRICT, rdap=None):
        self.client = client
        self.whois = whois
        self.rdap = rdap  # asked with WHOIS; its answers fill what WHOIS left empty
        self.rdap_asked = self.rdap_found = 0
        self.rdap_errors: list[str] = []
        self.tls = tls or TlsClient(dns=client, policy=policy)
        self.policy = policy
        self.settings = settings
        self.observations = observations
        self.lookups = 0
        self.answered = 0  # DNS questions some server answered (any status but TIMEOUT)
        self.server = ", ".join(f"{h}:{p}" for h, p in client.nameservers) or "system resolver"
        self._addresses: dict[str, asyncio.Task] = {}
        self._registrations: dict[str, asyncio.Task] = {}

    def _refused(self, ip: str) -> str | None:
        return self.policy.refusal_reason(ipaddress.ip_address(ip))

    # --- lookups with provenance ------------------------------------------------------------

    async def ask(self, name: str, rtype: str) -> tuple[DnsAnswer, dict]:
        started = time.monotonic()
        answer = await self.client.query(name, rtype)
        self.lookups += 1
        self.answered += answer.status != "TIMEOUT"
        return answer, {"query": f"{name} {rtype}", "server": self.server,
                        "status": answer.status, "at": _now(),
                        "ms": round((time.monotonic() - started) * 1000, 1)}

    async def addresses(self, name: str) -> list[tuple[str, dict]]:
        """(address, provenance) pairs of a name, asked once per job."""
        if name not in self._addresses:
            self._addresses[name] = asyncio.ensure_future(self._ask_addresses(name))
        return await self._addresses[name]

    async def _ask_addresses(self, name: str) -> list[tuple[str, dict]]:
        found = await asyncio.gather(self.ask(name, "A"), self.ask(name, "AAAA"))
        return [(str(ipaddress.ip_address(r)), prov) for answer, prov in found
                for r in answer.records]

    # --- a domain -----------------------------------------------------------------------

    async def expand_domain(self, ident: str, name: str, walk_ip: bool = True) -> list[Proposal]:
        # All five questions at once: an A/AAAA answer already follows a CNAME chain,
        # so the addresses belong to the chain's end whatever the chain turns out to be.
        (cname, cprov), (ns, nsprov), (mx, mxprov), addresses = await asyncio.gather(
            self.ask(name, "CNAME"), self.ask(name, "NS"), self.ask(name, "MX"),
            self.addresses(name))
        out: list[Proposal] = []
        end_ident, end_name = ident, name
        if cname.records:
            end_ident, end_name = await self._chain(ident, name, cname, cprov, out)
        out += [self._address(end_ident, ip, prov) for ip, prov in addresses]
        if not cname.records:
            out += await self._servers(ident, ns, nsprov, "nameserver", "uses_ns")
            out += await self._servers(ident, mx, mxprov, "mailserver", "uses_mx")
            out += await self._registration(ident, name)
        refused = [ip for ip, _ in addresses if self._refused(ip)]
        if refused:
            out.append(_flag(ident, "domain", name, refused))
        elif addresses:
            out += await self._certificate(ident, end_name, addresses[0][0])
        return out

    async def _chain(self, ident, name, answer, prov, out) -> tuple[str, str]:
        source = ident
        for _ in range(CNAME_HOPS):
            target = clean(answer.records[0])
            out.append(Proposal("domain", target, target, {}, source, f"domain:{target}",
                                "cname", prov))
            source, name = f"domain:{target}", target
            answer, prov = await self.ask(target, "CNAME")
            if not answer.records:
                break
        return source, name

    def _address(self, source: str, ip: str, prov: dict) -> Proposal:
        data = {"version": ipaddress.ip_address(ip).version}
        reason = self._refused(ip)
        if reason:
            data.update(refused=True, refusedReason=reason)
        return Proposal("ip", ip, ip, data, source, f"ip:{ip}", "resolves_to", prov)

    async def _servers(self, ident, answer, prov, kind, edge) -> list[Proposal]:
        cap = self.settings.fanout
        out, hosts = [], []
        for record in answer.records[:cap]:
            parts = record.split()
            host = clean(parts[-1])
            data = {"preference": int(parts[0])} if kind == "mailserver" and len(parts) > 1 else {}
            if not host:
                continue
            hosts.append(host)
            out.append(Proposal(kind, host, host, data, ident, f"{kind}:{host}", edge, prov))
        found = await asyncio.gather(*(self.addresses(h) for h in hosts))
        for host, addresses in zip(hosts, found, strict=True):
            out += [self._address(f"{kind}:{host}", ip, p) for ip, p in addresses]
        return out

    async def _certificate(self, source: str, host: str, ip: str) -> list[Proposal]:
        started = time.monotonic()
        port = self.settings.tls_port
        try:
            report = await self.tls.inspect(host, port, address=ip,
                                            timeout=self.settings.tls_timeout)
        except ClientError:
            return []  # no TLS there is an ordinary answer, not a failure of the map
        cert = report.certificate
        if cert is None:
            return []
        prov = {"query": f"TLS certificate {host} port {port}", "server": f"{ip}:{port}",
                "at": _now(), "ms": round((time.monotonic() - started) * 1000, 1)}
        ident = f"cert:{cert.sha256}"
        data = {k: v for k, v in cert.as_dict().items() if k != "chain"}
        label = cert.subject_cn or cert.sha256[:16]
        out = [Proposal("certificate", cert.sha256, label, data, source, ident,
                        "shares_cert", prov)]
        siblings = [clean(s) for s in cert.sans if _is_name(s) and clean(s) != host]
        for sibling in siblings[: self.settings.fanout]:
            out.append(Proposal("domain", sibling, sibling, {}, f"domain:{sibling}", ident,
                                "shares_cert", prov))
        return out

    async def _registration(self, ident: str, name: str) -> list[Proposal]:
        if public_suffixes().privatesuffix(name) not in (name, None) or (
                self.whois is None and self.rdap is None):
            return []  # subdomains share their registrable domain's registration
        if name not in self._registrations:
            self._registrations[name] = asyncio.ensure_future(self._whois(name))
        found = await self._registrations[name]
        if found is None:
            return []
        key, label, data, prov = found
        return [Proposal("registrant", key, label, data, ident, f"registrant:{key}",
                         "registered_by", prov)]

    async def _whois(self, name: str):
        """WHOIS and RDAP at once; WHOIS's values first, RDAP's where WHOIS has none."""
        started = time.monotonic()
        whois, rdap = await asyncio.gather(self._ask_whois(name), self._ask_rdap(name))
        fields, server = whois or ({}, None)
        query = f"WHOIS {name}"
        if rdap is not None:
            fields, filled = fill_gaps(fields, rdap.fields)
            if server is None or filled:
                query = f"RDAP {name}" if server is None else f"WHOIS and RDAP {name}"
                server = rdap.url if server is None else f"{server}, {rdap.url}"
        who = fields.get("registrantOrganization") or fields.get("registrantName")
        registrar = fields.get("registrar")
        if not (who or registrar):
            return None
        data = {k: fields.get(k) for k in ("registrantName", "registrantOrganization",
                                           "registrantEmail", "registrantCountry",
                                           "registrar", "registrarIanaId") if fields.get(k)}
        data["role"] = "registrant" if who else "registrar"
        key = clean(who) if who else "registrar:" + clean(registrar)
        prov = {"query": query, "server": server, "at": _now(),
                "ms": round((time.monotonic() - started) * 1000, 1)}
        return key, who or registrar, data, prov

    async def _ask_whois(self, name: str) -> tuple[dict, str] | None:
        if self.whois is None:
            return None
        try:
            result = await self.whois.lookup(name)
        except ClientError:
            return None
        self.lookups += 1
        self.answered += 1
        return (result.fields if result.found else {}), result.server

    async def _ask_rdap(self, name: str):
        if self.rdap is None or not self.rdap.configured:
            return None
        self.rdap_asked += 1
        outcome = await self.rdap.attempt(name)
        if outcome.answer is None:
            if len(self.rdap_errors) < 5:
                self.rdap_errors.append(outcome.error or "no answer")
            return None
        self.rdap_found += 1
        return outcome.answer

    def rdap_stats(self) -> dict:
        """What RDAP did in this map (our addition to ``stats``), or why it did nothing."""
        if self.rdap is None or not self.rdap.configured:
            reason = self.rdap.not_configured if self.rdap is not None else "no RDAP client"
            return {"configured": False, "message": reason}
        return {"configured": True, "asked": self.rdap_asked, "found": self.rdap_found,
                "errors": self.rdap_errors}

    # --- an address -----------------------------------------------------------------------

    async def expand_ip(self, ident: str, ip: str, hub: bool) -> list[Proposal]:
        """PTR and network always; certificate and names seen on it unless it is a hub."""
        out = await self._reverse(ident, ip)
        out += await self._network(ident, ip)
        if hub:
            return out
        if not self._refused(ip):
            out += await self._certificate(ident, ip, ip)
        return out

    async def _reverse(self, ident: str, ip: str) -> list[Proposal]:
        started = time.monotonic()
        answer = await self.client.reverse(ip)
        self.lookups += 1
        self.answered += answer.status != "TIMEOUT"
        prov = {"query": f"{answer.name} PTR", "server": self.server, "status": answer.status,
                "at": _now(), "ms": round((time.monotonic() - started) * 1000, 1)}
        names = [clean(r) for r in answer.records][: self.settings.fanout]
        return [Proposal("domain", n, n, {}, ident, f"domain:{n}", "reverse", prov)
                for n in names if n]

    async def _network(self, ident: str, ip: str) -> list[Proposal]:
        # In a thread: the first lookup loads the shipped data (about a second).
        info = await asyncio.to_thread(asn.lookup, ip)
        if info is None:
            return []
        if "unavailable" in info:
            return [Proposal("ip", ip, ip, {"asn": info["unavailable"]}, ident, ident,
                             "in_asn", {})]
        key = asn.node_key(info)
        prov = {"query": f"network of {ip}", "server": info["source"], "at": _now()}
        data = {"number": info["number"], "name": info["name"], "country": info["country"],
                "source": info["source"]}
        return [Proposal("asn", key, asn.label(info), data, ident, f"asn:{key}", "in_asn", prov),
                Proposal("ip", ip, ip, {"prefix": info["prefix"], "country": info["country"]},
                         ident, ident, "in_asn", prov)]

    async def names_on(self, ip: str, limit: int) -> list[str]:
        """Names the organization's earlier jobs saw answering with this address."""
        if self.observations is None:
            return []
        return await self.observations.anames_with_value(ip, limit=limit)

    def same_ip(self, ip: str, names: list[str]) -> list[Proposal]:
        prov = {"query": f"names seen on {ip}", "server": OBSERVATION_STORE, "at": _now()}
        return [Proposal("domain", n, n, {}, f"domain:{n}", f"ip:{ip}", "same_ip", prov)
                for n in names]




def _flag(ident: str, kind: str, key: str, refused: list[str]) -> Proposal:
    """Marks a name whose addresses the policy refuses: it stays, nothing connects to it."""
    data = {"refused": True, "refusedReason": f"resolves to {', '.join(refused)}, which the "
                                              "target policy refuses; not connected to"}
    return Proposal(kind, key, key, data, ident, ident, "resolves_to", {})


def _is_name(san: str) -> bool:
    text = san.strip()
    if "*" in text:
        return False
    try:
        ipaddress.ip_address(text)
        return False
    except ValueError:
        return "." in text

