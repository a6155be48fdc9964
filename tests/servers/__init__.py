"""Real servers on loopback for tests: DNS, HTTP(S) with throwaway certificates, WHOIS,
plain TCP listeners. Each module documents its fixtures; ``fixtures`` gathers them all so
a directory's ``conftest.py`` can expose them with one import::

    from tests.servers.fixtures import *  # noqa: F403
"""
