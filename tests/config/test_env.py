import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("off", False),
                                          ("", False)])
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env.env_bool("FLAG") is expected


@pytest.mark.parametrize("name,raw,reader", [
    ("FLAG", "maybe", lambda: env.env_bool("FLAG")),
    ("N", "ten", lambda: env.env_int("N", 1)),
    ("N", "0", lambda: env.env_int("N", 1, minimum=1)),
    ("NETS", "10.0.0.0/33", lambda: env.env_networks("NETS")),
    ("NS", "127.0.0.1:99999", lambda: env.env_hostports("NS", 53)),
    ("LIMITS", "reads=lots", lambda: env.env_limits("LIMITS", "")),
])
def test_bad_values_fail_loudly_naming_the_variable(monkeypatch, name, raw, reader):
    monkeypatch.setenv(name, raw)
    with pytest.raises(ImproperlyConfigured, match=name):
        reader()


def test_hostports_and_networks(monkeypatch):
    monkeypatch.setenv("NS", "127.0.0.1:5353, [::1]:53, 10.0.0.2")
    assert env.env_hostports("NS", 53) == [("127.0.0.1", 5353), ("::1", 53), ("10.0.0.2", 53)]
    monkeypatch.setenv("NETS", "127.0.0.0/8,::1/128")
    assert env.env_networks("NETS") == [ipaddress.ip_network("127.0.0.0/8"),
                                        ipaddress.ip_network("::1/128")]


def test_limits(monkeypatch):
    monkeypatch.setenv("LIMITS", "reads=10/60,scans=5")
    assert env.env_limits("LIMITS", "") == {"reads": (10, 60), "scans": (5, 60)}


def test_secret_from_file(monkeypatch, tmp_path):
    (tmp_path / "s").write_text("from-file\n")
    monkeypatch.setenv("TOKEN_FILE", str(tmp_path / "s"))
    assert env.env_secret("TOKEN") == "from-file"


def test_risky_target_networks_are_flagged(settings):
    from jobs.checks import target_networks_check

    settings.ALLOWED_TARGET_NETWORKS = [ipaddress.ip_network("0.0.0.0/0")]
    ids = {w.id for w in target_networks_check(None)}
    assert ids == {"jobs.W001", "jobs.W002"}


@pytest.mark.parametrize("value", ["rdap.example.test", "ftp://rdap.example.test/"])
def test_rdap_server_must_be_an_http_url(monkeypatch, value):
    monkeypatch.setenv("RDAP_SERVER", value)
    with pytest.raises(ImproperlyConfigured, match="RDAP_SERVER"):
        env.env_url("RDAP_SERVER")
    monkeypatch.setenv("RDAP_SERVER", "https://rdap.example.test/v1/")
    assert env.env_url("RDAP_SERVER") == "https://rdap.example.test/v1/"


def test_unusable_rdap_bootstrap_file_is_flagged(settings, tmp_path):
    from jobs.checks import rdap_bootstrap_check

    settings.RDAP_SERVER = ""
    settings.RDAP_BOOTSTRAP_FILE = str(tmp_path / "missing.json")
    assert [w.id for w in rdap_bootstrap_check(None)] == ["jobs.W005"]
    (tmp_path / "dns.json").write_text('{"services": [[["test"], ["https://r.test/"]]]}')
    settings.RDAP_BOOTSTRAP_FILE = str(tmp_path / "dns.json")
    assert rdap_bootstrap_check(None) == []
