"""What usually listens on a TCP port, and how to recognise it from its first bytes.

The name table covers the common-ports list and the services a security review cares
about; ``/etc/services`` is only a fallback because containers often ship without it.
"""

from __future__ import annotations

import re
import socket

SERVICE_NAMES: dict[int, str] = {
    7: "echo", 9: "discard", 13: "daytime", 21: "ftp", 22: "ssh", 23: "telnet",
    25: "smtp", 26: "smtp", 37: "time", 53: "domain", 79: "finger", 80: "http",
    81: "http", 88: "kerberos", 106: "pop3pw", 110: "pop3", 111: "rpcbind", 113: "ident",
    119: "nntp", 135: "msrpc", 139: "netbios-ssn", 143: "imap", 144: "news", 179: "bgp",
    199: "smux", 389: "ldap", 427: "svrloc", 443: "https", 444: "snpp",
    445: "microsoft-ds", 465: "smtps", 513: "login", 514: "shell", 515: "printer",
    543: "klogin", 544: "kshell", 548: "afp", 554: "rtsp", 587: "submission", 631: "ipp",
    636: "ldaps", 646: "ldp", 873: "rsync", 990: "ftps", 993: "imaps", 995: "pop3s",
    1025: "nfs-or-iis", 1026: "lsa-or-nterm", 1027: "iis", 1028: "unknown",
    1029: "ms-lsa", 1080: "socks", 1110: "nfsd-status", 1433: "ms-sql-s", 1521: "oracle",
    1720: "h323q931", 1723: "pptp", 1755: "wms", 1883: "mqtt", 1900: "upnp", 2000: "cisco-sccp",
    2001: "dc", 2049: "nfs", 2121: "ccproxy-ftp", 2181: "zookeeper", 2375: "docker",
    2376: "docker-tls", 2717: "pn-requester", 3000: "http-alt", 3128: "squid-http",
    3306: "mysql", 3389: "ms-wbt-server", 3986: "mapper-ws-ethd", 4369: "epmd",
    4899: "radmin", 5000: "upnp", 5009: "airport-admin", 5051: "ida-agent", 5060: "sip",
    5101: "admdog", 5190: "aol", 5357: "wsdapi", 5432: "postgresql", 5601: "kibana",
    5631: "pcanywheredata", 5666: "nrpe", 5672: "amqp", 5800: "vnc-http", 5900: "vnc",
    5984: "couchdb", 6000: "x11", 6001: "x11", 6379: "redis", 6443: "kubernetes-api",
    6646: "unknown", 7001: "weblogic", 7070: "realserver", 8000: "http-alt",
    8008: "http", 8009: "ajp13", 8080: "http-proxy", 8081: "blackice-icecap",
    8443: "https-alt", 8888: "sun-answerbook", 9000: "cslistener", 9042: "cassandra",
    9090: "zeus-admin", 9100: "jetdirect", 9200: "elasticsearch", 9300: "elasticsearch",
    9999: "abyss", 10000: "snet-sensor-mgmt", 11211: "memcached", 15672: "rabbitmq-mgmt",
    27017: "mongodb", 27018: "mongodb", 32768: "filenet-tms", 49152: "unknown",
    49153: "unknown", 49154: "unknown", 49155: "unknown", 49156: "unknown", 49157: "unknown",
}  # fmt: skip

# nmap's top-100 TCP ports, plus databases and admin services that should never face
# the Internet (they are what a scan is for).
COMMON_PORTS: list[int] = sorted(
    {
        7, 9, 13, 21, 22, 23, 25, 26, 37, 53, 79, 80, 81, 88, 106, 110, 111, 113, 119,
        135, 139, 143, 144, 179, 199, 389, 427, 443, 444, 445, 465, 513, 514, 515, 543,
        544, 548, 554, 587, 631, 646, 873, 990, 993, 995, 1025, 1026, 1027, 1028, 1029,
        1110, 1433, 1720, 1723, 1755, 1900, 2000, 2001, 2049, 2121, 2717, 3000, 3128,
        3306, 3389, 3986, 4899, 5000, 5009, 5051, 5060, 5101, 5190, 5357, 5432, 5631,
        5666, 5800, 5900, 6000, 6001, 6646, 7070, 8000, 8008, 8009, 8080, 8081, 8443,
        8888, 9100, 9999, 10000, 32768, 49152, 49153, 49154, 49155, 49156, 49157,
        # beyond nmap's top 100
        636, 1080, 1521, 2375, 2376, 5601, 5984, 6379, 6443, 9000, 9200, 11211, 27017,
    }
)  # fmt: skip

# Ports where the client speaks first with HTTP; probing them with HEAD is polite.
HTTP_PORTS = {80, 81, 591, 2375, 3000, 5000, 5601, 5984, 8000, 8008, 8080, 8081, 8888,
              9000, 9090, 9200, 15672}  # fmt: skip
# Ports that start with a TLS handshake; a plaintext probe only gets an alert back.
TLS_PORTS = {443, 465, 636, 990, 993, 995, 2376, 6443, 8443}

_TELNET_IAC = 0xFF
_HTTP_SERVER = re.compile(rb"^server:[ \t]*(.+?)\r?$", re.IGNORECASE | re.MULTILINE)
_MYSQL_VERSION = re.compile(rb"^.{4}\x0a([0-9][0-9A-Za-z.\-_+~]*)\x00", re.DOTALL)


def service_name(port: int) -> str | None:
    """The usual service on ``port`` (our table, then the system's), or None."""
    if port in SERVICE_NAMES:
        return SERVICE_NAMES[port]
    try:
        return socket.getservbyport(port, "tcp")
    except OSError:
        return None


def probe_for(port: int) -> bytes:
    """What to send to a port that said nothing on its own."""
    if port == 6379 or SERVICE_NAMES.get(port) == "redis":
        return b"PING\r\n"
    return b"HEAD / HTTP/1.0\r\n\r\n"


def classify(data: bytes, port: int) -> tuple[str | None, str | None]:
    """(service, banner text) recognised from the bytes a port sent back."""
    if not data:
        return service_name(port), None
    for recognise in (_http, _ssh, _redis, _telnet, _tls, _mysql, _vnc, _text_protocols):
        found = recognise(data)
        if found:
            return found
    return service_name(port), printable(data)


def printable(data: bytes, limit: int = 200) -> str:
    """The readable first line(s) of a banner, control bytes shown as escapes."""
    text = data.decode("latin-1")
    text = "".join(ch if ch.isprintable() or ch in "\r\n" else f"\\x{ord(ch):02x}" for ch in text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines)[:limit]


def _http(data: bytes):
    if not data.startswith(b"HTTP/"):
        return None
    status = data.split(b"\r\n", 1)[0].decode("latin-1").strip()
    server = _HTTP_SERVER.search(data)
    banner = status + (f" | Server: {server.group(1).decode('latin-1')}" if server else "")
    if b"You Know, for Search" in data or b"x-elastic-product" in data.lower():
        return "elasticsearch", banner
    return "http", banner


def _ssh(data: bytes):
    return ("ssh", printable(data)) if data.startswith(b"SSH-") else None


def _redis(data: bytes):
    if data.startswith((b"+PONG", b"-NOAUTH", b"-ERR unknown command", b"-DENIED")):
        return "redis", printable(data)
    return None


def _telnet(data: bytes):
    return ("telnet", printable(data)) if data[0] == _TELNET_IAC else None


def _tls(data: bytes):
    # A TLS record header: alert (21) or handshake (22), version 3.x.
    if len(data) >= 3 and data[0] in (21, 22) and data[1] == 3:
        return "ssl", "TLS record (plaintext probe answered with TLS)"
    return None


def _mysql(data: bytes):
    match = _MYSQL_VERSION.match(data)
    return ("mysql", f"MySQL {match.group(1).decode('latin-1')}") if match else None


def _vnc(data: bytes):
    return ("vnc", printable(data)) if data.startswith(b"RFB ") else None


def _text_protocols(data: bytes):
    text = data[:200].decode("latin-1").lower()
    if text.startswith("220") and "ftp" in text:
        return "ftp", printable(data)
    if text.startswith("220") and ("smtp" in text or "esmtp" in text):
        return "smtp", printable(data)
    if text.startswith("+ok"):
        return "pop3", printable(data)
    if text.startswith("* ok") and "imap" in text:
        return "imap", printable(data)
    return None
