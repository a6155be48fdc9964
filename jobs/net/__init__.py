"""Protocol clients (DNS, TCP ports, TLS, HTTP, WHOIS, RDAP), domain names and the
target policy.

These modules know nothing of jobs and read no settings: ``jobs.clients`` configures
them (resolvers, the networks the policy opens, the first WHOIS server, the RDAP
servers) and operations get them from their job context. Every client that opens a
connection asks ``policy`` about the exact address it is about to use, so a name that
resolves somewhere forbidden, a redirect into the local network, or an odd spelling of
127.0.0.1 is refused before any packet leaves. Failures surface as one exception type,
``ClientError`` (``TargetNotAllowed`` for policy refusals), with a short message.
"""
