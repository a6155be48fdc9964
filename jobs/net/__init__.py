"""Protocol clients (DNS, TCP ports, TLS, HTTP, WHOIS) and the target policy.

These modules know nothing of jobs: operations compose them. Every client that opens a
connection asks ``policy`` about the exact address it is about to use, so a name that
resolves somewhere forbidden, a redirect into the local network, or an odd spelling of
127.0.0.1 is refused before any packet leaves. Failures surface as one exception type,
``ClientError`` (``TargetNotAllowed`` for policy refusals), with a short message.
"""
