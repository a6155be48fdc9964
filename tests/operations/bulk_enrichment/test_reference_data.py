"""Block lists and VRPs: parsed from files and from a loopback HTTP server, then matched."""

import json

from jobs.models import EnrichmentDataset
from jobs.operations.bulk_enrichment import blocklists, datasets, tasks
from jobs.operations.bulk_enrichment.rpki import VrpIndex, parse_vrps
from tests.operations.bulk_enrichment.conftest import by_indicator
from tests.servers.http_server import Reply

SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
HOSTS = "# a hosts file\n0.0.0.0 evil.example\n127.0.0.1 localhost\n0.0.0.0 bad.example # ads\n"
DROP = "; Spamhaus DROP List\n8.8.8.0/24 ; SBL000001\n"
FIREHOL = "#\n# firehol_level1\n#\n1.1.1.1\n203.0.113.0/24\n"
URLHAUS = ('# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n'
           '"1","2026-01-01 00:00:00","http://phish.example/login","online","",'
           '"malware_download","exe","https://urlhaus.example/url/1/","someone"\n')
HASHES = f"# sha256\n{SHA256}\n"
VRPS = {"metadata": {"generated": 1}, "roas": [
    {"asn": "AS15169", "prefix": "8.8.8.0/24", "maxLength": 24, "ta": "arin"},
    {"asn": 13335, "prefix": "1.1.1.0/24", "maxLength": 24, "ta": "apnic"},
]}


def test_parse_the_common_formats():
    assert blocklists.parse_list(HOSTS) == {"domain": ["bad.example", "evil.example"]}
    assert blocklists.parse_list(DROP) == {"cidr": ["8.8.8.0/24"]}
    assert blocklists.parse_list(FIREHOL) == {"ip": ["1.1.1.1"], "cidr": ["203.0.113.0/24"]}
    parsed = blocklists.parse_list(URLHAUS)
    assert parsed["url"] == ["http://phish.example/login"]
    assert blocklists.parse_list(HASHES) == {"hash": [SHA256]}


def test_vrps_parse_and_validate():
    index = VrpIndex(parse_vrps(json.dumps(VRPS)))
    assert index.validate("8.8.8.0/24", 15169)["status"] == "valid"
    assert index.validate("8.8.8.0/24", 64500)["status"] == "invalid"
    assert index.validate("8.8.8.128/25", 15169)["status"] == "invalid"  # longer than maxLength
    assert index.validate("9.9.9.0/24", 19281)["status"] == "not-found"
    assert index.validate("8.8.8.0/24", None)["status"] == "unknown"


def test_a_vrp_file_that_is_not_one_keeps_the_previous_data(tmp_path, db):
    good, bad = tmp_path / "vrps.json", tmp_path / "bad.json"
    good.write_text(json.dumps(VRPS))
    bad.write_text("<html>")
    datasets.dataset_refresh(kind="rpki", name="vrps", source=str(good))
    outcome = datasets.dataset_refresh(kind="rpki", name="vrps", source=str(bad))
    assert outcome.startswith("kept the previous data: not JSON")
    row = EnrichmentDataset.objects.get(kind="rpki")
    assert row.entries == 2 and row.error.startswith("not JSON")


def configure(settings, tmp_path, http_servers):
    site = http_servers.start({"/hosts.txt": Reply(200, [("Content-Type", "text/plain")], HOSTS),
                               "/drop.txt": Reply(200, [], DROP),
                               "/urlhaus.csv": Reply(200, [], URLHAUS),
                               "/vrps.json": Reply(200, [], json.dumps(VRPS))})
    (tmp_path / "hashes.txt").write_text(HASHES)
    (tmp_path / "firehol.netset").write_text(FIREHOL)
    settings.REPUTATION_LISTS = [
        f"hosts={site.url}/hosts.txt", f"drop={site.url}/drop.txt",
        f"urlhaus={site.url}/urlhaus.csv", f"hashes={tmp_path / 'hashes.txt'}",
        f"firehol={tmp_path / 'firehol.netset'}"]
    settings.RPKI_VRP_URL = f"{site.url}/vrps.json"
    return site


def test_reputation_and_rpki_from_fetched_sources(enrich, dns_zone, settings, tmp_path,
                                                  http_servers):
    configure(settings, tmp_path, http_servers)
    outcomes = tasks.refresh_datasets()
    assert outcomes == {"reputation:hosts": "2 entries", "reputation:drop": "1 entries",
                        "reputation:urlhaus": "1 entries", "reputation:hashes": "1 entries",
                        "reputation:firehol": "2 entries", "rpki:vrps": "2 entries"}
    result = enrich(["8.8.8.8", "1.1.1.1", "sub.evil[.]example", "hxxp://phish[.]example/login",
                     SHA256, "9.9.9.9"], include=("reputation", "rpki", "routing"))
    items = by_indicator(result)
    assert items["8.8.8.8"]["reputation"]["listed_in"] == ["drop"]
    assert items["8.8.8.8"]["reputation"]["score"] == 50
    assert items["8.8.8.8"]["summary"]["listed"] is True
    assert items["1.1.1.1"]["reputation"]["listed_in"] == ["firehol"]
    assert items["sub.evil[.]example"]["reputation"]["matches"] == [
        {"list": "hosts", "entry": "evil.example"}]
    assert items["hxxp://phish[.]example/login"]["reputation"]["listed_in"] == ["urlhaus"]
    assert items[SHA256]["reputation"]["listed_in"] == ["hashes"]
    assert items["9.9.9.9"]["reputation"]["listed"] is False
    # The shipped data has AS names, not numbers: covered prefixes cannot be judged.
    assert items["8.8.8.8"]["rpki"]["status"] == "unknown"
    assert "AS number is unknown" in items["8.8.8.8"]["rpki"]["routes"][0]["reason"]
    assert items["9.9.9.9"]["rpki"]["status"] == "not-found"


def test_lists_fetched_over_http_obey_the_target_policy(db, settings, http_servers):
    site = http_servers.start({"/hosts.txt": Reply(200, [], HOSTS)})
    settings.ALLOWED_TARGET_NETWORKS = []
    settings.REPUTATION_LISTS = [f"hosts={site.url}/hosts.txt"]
    outcome = tasks.refresh_datasets()["reputation:hosts"]
    assert "127.0.0.1 is a loopback address" in outcome
    assert site.connections == 0


def test_without_data_the_modules_say_so(enrich, db):
    item = by_indicator(enrich(["8.8.8.8"], include=("reputation", "rpki")))["8.8.8.8"]
    assert item["reputation"]["status"] == "no_lists"
    assert "REPUTATION_LISTS" in item["reputation"]["reason"]
    assert item["rpki"]["status"] == "unknown"
    assert "RPKI_VRP_PATH" in item["rpki"]["reason"]
