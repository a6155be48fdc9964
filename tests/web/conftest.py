import pytest

from tests.factories import MembershipFactory, UserFactory

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _static_files_in_place(settings):
    # The manifest storage needs collectstatic first; these tests read the files in place.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def member(org):
    """A dashboard user in ``org``."""
    return MembershipFactory(organization=org, user=UserFactory(username="alice")).user


@pytest.fixture
def web(client, member):
    """A test client signed in as ``member``."""
    client.force_login(member)
    return client
