import pytest

from tests.factories import OrganizationFactory, api_key_with_raw

# Loopback servers (DNS, TLS, HTTP, WHOIS, TCP) and the live web + worker service.
pytest_plugins = ["tests.servers.fixtures", "tests.support.live"]



@pytest.fixture
def org(db):
    return OrganizationFactory(name="acme")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="globex")


@pytest.fixture
def key(org):
    """(ApiKey, raw key) for ``org``."""
    return api_key_with_raw(org, name="ci-key")


@pytest.fixture
def api(client, key):
    """A test client that sends the key as a Bearer token on every request."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key[1]}"
    return client
