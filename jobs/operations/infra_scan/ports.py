"""The ports module: open TCP ports, what answers on them, and the services that should
not face the Internet.

A host (or a proxy in front of it) that accepts connections on every port makes a scan
report hundreds of identical "open" ports. When at least ``CROWD_MIN_PORTS`` open ports
give the same answer, the scan says so once (``ports-same-answer``) and does not report
those ports as exposed services: their service names come from the port numbers, not
from anything that answered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from jobs.net.ports import PortResult
from jobs.operations.infra_scan.core import Scan
from jobs.operations.infra_scan.findings import exposed_service_id, finding

CROWD_MIN_PORTS = 100

RISKY_SERVICES: dict[str, tuple[str, str, str]] = {
    "telnet": ("high", "Telnet exposed", "Telnet sends passwords in clear text."),
    "ftp": ("medium", "FTP exposed", "FTP sends passwords in clear text."),
    "microsoft-ds": ("high", "SMB exposed", "SMB on the Internet invites worms and brute force."),
    "netbios-ssn": ("high", "NetBIOS exposed", "NetBIOS session service should stay internal."),
    "ms-wbt-server": ("high", "RDP exposed", "Remote Desktop is a top ransomware entry point."),
    "redis": ("high", "Redis exposed", "Redis is built for trusted networks only."),
    "mongodb": ("high", "MongoDB exposed", "Databases should not face the Internet."),
    "elasticsearch": ("high", "Elasticsearch exposed", "Search clusters leak whole datasets."),
    "memcached": ("high", "Memcached exposed", "Memcached has no authentication by default."),
    "docker": ("critical", "Docker API exposed", "The Docker API gives root on the host."),
    "vnc": ("high", "VNC exposed", "VNC is often weakly protected."),
    "mysql": ("medium", "MySQL exposed", "Databases should not face the Internet."),
    "postgresql": ("medium", "PostgreSQL exposed", "Databases should not face the Internet."),
    "ms-sql-s": ("medium", "SQL Server exposed", "Databases should not face the Internet."),
    "oracle": ("medium", "Oracle listener exposed", "Databases should not face the Internet."),
    "rpcbind": ("medium", "RPC portmapper exposed", "rpcbind leaks services and amplifies DDoS."),
    "nfs": ("medium", "NFS exposed", "File shares should not face the Internet."),
}


class OpenPort(Protocol):
    port: int
    banner: str | None


@dataclass(frozen=True)
class Crowd:
    """Open ports that all gave the same answer (``banner``, None for silence)."""

    banner: str | None
    ports: tuple[int, ...]

    @property
    def ranges(self) -> str:
        return port_ranges(self.ports)


def crowd_of(ports: Iterable[OpenPort]) -> Crowd | None:
    """The largest group of ports with one answer, if it is big enough to be a proxy."""
    ports = list(ports)
    counts = Counter(p.banner for p in ports)
    if not counts:
        return None
    banner, size = counts.most_common(1)[0]
    if size < CROWD_MIN_PORTS:
        return None
    return Crowd(banner, tuple(sorted(p.port for p in ports if p.banner == banner)))


def port_ranges(ports: Sequence[int]) -> str:
    """"22, 80-90, 443" for sorted ports."""
    spans: list[list[int]] = []
    for port in ports:
        if spans and port == spans[-1][1] + 1:
            spans[-1][1] = port
        else:
            spans.append([port, port])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


async def run(scan: Scan) -> tuple[list, list[dict]]:
    result = await scan.port_scan()
    found = port_findings(result.ports)
    if not result.complete:
        found.append(finding("ports-incomplete", "info", "Port scan incomplete",
                             "The scan ran out of time before every port was tried.",
                             f"{len(result.ports)} open ports found"))  # fmt: skip
    return [_entry(p) for p in result.ports], found


def _entry(port: PortResult) -> dict:
    return {"port": port.port, "protocol": port.protocol, "state": port.state,
            "service": port.service, "banner": port.banner}  # fmt: skip


def port_findings(ports: list[PortResult]) -> list[dict]:
    crowd = crowd_of(ports)
    crowded = set(crowd.ports) if crowd else set()
    found = [_crowd_finding(crowd)] if crowd else []
    for port in ports:
        risk = RISKY_SERVICES.get(port.service or "")
        if risk is None or port.port in crowded:
            continue
        severity, title, description = risk
        evidence = f"{port.port}/tcp open" + (f": {port.banner}" if port.banner else "")
        if port.service == "redis" and (port.banner or "").startswith("+PONG"):
            severity, title = "critical", "Redis open without a password"
            description = "Redis answered PING without authentication: anyone can read and write."
        found.append(finding(exposed_service_id(port.service, port.port), severity, title,
                             description, evidence))  # fmt: skip
    return found


def _crowd_finding(crowd: Crowd) -> dict:
    answer = f"answer {crowd.banner!r}" if crowd.banner else "no banner"
    return finding(
        "ports-same-answer", "info", f"{len(crowd.ports):,} ports answer the same way",
        "A firewall, proxy or tarpit accepts connections on these ports, so the scan cannot "
        "tell which services really run there; they are not reported as exposed services.",
        f"{len(crowd.ports)} open ports with {answer}: {crowd.ranges}"[:500])
