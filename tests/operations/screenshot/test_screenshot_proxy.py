"""The policy proxy on its own, spoken to with raw HTTP like Chromium speaks to it."""

import asyncio

import pytest

from jobs import clients
from jobs.operations.screenshot.proxy import PolicyProxy
from tests.operations.screenshot.conftest import page


async def _ask(proxy: PolicyProxy, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)  # the proxy closes when done
    writer.close()
    return answer


def _talk(*requests: bytes) -> tuple[list[bytes], PolicyProxy]:
    async def main():
        proxy = PolicyProxy(clients.dns(timeout=2), policy=clients.target_policy())
        await proxy.start()
        try:
            return [await _ask(proxy, r) for r in requests], proxy
        finally:
            await proxy.close()

    return asyncio.run(main())


@pytest.fixture
def site(shot_env, http_servers):
    return http_servers.start({"/": page("hello", title="Proxied")})


def test_forwards_plain_http_to_the_checked_address(site, canary):
    [answer], proxy = _talk(f"GET {site.url}/ HTTP/1.1\r\nHost: 127.0.0.1:{site.port}\r\n"
                            "Proxy-Connection: keep-alive\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 200") and b"Proxied" in answer
    assert site.requests[0].path == "/"  # origin form, not the absolute URI
    assert "proxy-connection" not in site.requests[0].headers
    assert site.requests[0].headers["connection"] == "close"
    assert proxy.log.servers == {f"127.0.0.1:{site.port}": "127.0.0.1"}


def test_refuses_connect_and_http_to_refused_addresses(shot_env, canary):
    shot_env.add("inside.test", "A", "127.0.0.2")
    answers, proxy = _talk(
        f"CONNECT 127.0.0.2:{canary.port} HTTP/1.1\r\n\r\n".encode(),
        f"GET http://inside.test:{canary.port}/ HTTP/1.1\r\n\r\n".encode(),
        f"CONNECT [::ffff:127.0.0.2]:{canary.port} HTTP/1.1\r\n\r\n".encode(),
        f"CONNECT 0x7f.2:{canary.port} HTTP/1.1\r\n\r\n".encode(),
        b"CONNECT localhost:80 HTTP/1.1\r\n\r\n")
    assert all(a.startswith(b"HTTP/1.1 403") for a in answers)
    assert len(proxy.log.blocked) == 5 and all(b["refused"] for b in proxy.log.blocked)


def test_refuses_other_schemes_and_bad_requests(shot_env, canary):
    answers, proxy = _talk(b"GET ftp://127.0.0.2/ HTTP/1.1\r\n\r\n",
                           b"GET /relative HTTP/1.1\r\n\r\n")
    assert all(a.startswith(b"HTTP/1.1 400") for a in answers)


def test_tunnels_connect_to_an_allowed_address(site):
    [answer], proxy = _talk(f"CONNECT 127.0.0.1:{site.port} HTTP/1.1\r\n\r\n"
                            f"GET / HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 200 Connection established")
