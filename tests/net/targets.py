"""Spellings of forbidden addresses shared by the client tests.

Each list holds ways of writing one address that some resolver or URL parser turns
into that address; every one of them must be refused before a connection is made.
"""

# All of these are 127.0.0.1 (or ::1 / an IPv6 form carrying 127.0.0.1).
LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "0x7f.1",
    "0X7F.0.0.1",
    "0x7f.0x0.0x0.0x1",
    "0177.0.0.1",
    "0177.1",
    "017700000001",
    "0000177.0.0.1",
    "127.000.000.001",
    "127.0.0.1.",
    "[127.0.0.1]",
    "\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11",  # full-width digits and dots
    "127\u30020\u30020\u30021",  # ideographic full stops
    "::ffff:127.0.0.1",
    "[::ffff:127.0.0.1]",
    "::ffff:7f00:1",
    "0:0:0:0:0:ffff:7f00:0001",
]

IPV6_LOOPBACK_SPELLINGS = ["::1", "[::1]", "0:0:0:0:0:0:0:1", "0000::0001"]

# Not connectable from here, but every spelling must still be refused.
FORBIDDEN_ELSEWHERE = {
    "private 10/8": ["10.0.0.1", "012.0.0.1", "0xa.1", "167772161", "::ffff:a00:1"],
    "private 172.16/12": ["172.16.0.1", "0xac100001", "::ffff:172.16.0.1"],
    "private 192.168/16": ["192.168.1.1", "0xc0a80101", "3232235777", "0300.0250.1.1"],
    "metadata": ["169.254.169.254", "2852039166", "0xa9fea9fe", "0251.0376.0251.0376",
                 "169.254.43518", "0xa9.0xfe.0xa9.0xfe", "::ffff:169.254.169.254",
                 "::ffff:a9fe:a9fe", "[::ffff:a9fe:a9fe]", "64:ff9b::a9fe:a9fe"],
    "link-local": ["169.254.0.1", "fe80::1", "fe80::1%eth0", "[fe80::1%25eth0]"],
    "carrier-grade NAT": ["100.64.0.1", "100.127.255.254", "0x64400001"],
    "multicast": ["224.0.0.1", "239.255.255.250", "ff02::1", "ff05::1:3"],
    "reserved": ["240.0.0.1", "255.255.255.255", "4294967295"],
    "unspecified": ["0.0.0.0", "0", "0x0", "::", "[::]"],
    "unique-local": ["fd00::1", "fc00::1", "fd00:ec2::254"],
    "documentation": ["192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::1", "3fff::1"],
    "benchmarking": ["198.18.0.1", "198.19.255.255"],
    "IPv4-compatible loopback": ["::127.0.0.1", "::7f00:1"],
    "NAT64 of loopback": ["64:ff9b::127.0.0.1", "64:ff9b::7f00:1"],
    "6to4 of private": ["2002:7f00:1::1", "2002:c0a8:101::1", "2002:a9fe:a9fe::"],
    "Teredo": ["2001:0:4136:e378:8000:63bf:3fff:fdd2"],
}

ALL_FORBIDDEN = (
    LOOPBACK_SPELLINGS
    + IPV6_LOOPBACK_SPELLINGS
    + [spelling for group in FORBIDDEN_ELSEWHERE.values() for spelling in group]
)

PUBLIC = {
    "8.8.8.8": "8.8.8.8",
    "134744072": "8.8.8.8",
    "0x08080808": "8.8.8.8",
    "1.1.1.1": "1.1.1.1",
    "::ffff:8.8.8.8": "::ffff:808:808",
    "2606:4700:4700::1111": "2606:4700:4700::1111",
    "64:ff9b::8.8.8.8": "64:ff9b::808:808",
    "2002:808:808::1": "2002:808:808::1",
}
