"""Every loopback-server fixture, for ``from tests.servers.fixtures import *``."""

from tests.servers.certs import test_certs
from tests.servers.dns_server import dns_server, dns_zone
from tests.servers.http_server import http_servers
from tests.servers.tcp_server import closed_port, tcp_listeners
from tests.servers.whois_server import whois_servers

__all__ = [
    "closed_port",
    "dns_server",
    "dns_zone",
    "http_servers",
    "tcp_listeners",
    "test_certs",
    "whois_servers",
]
