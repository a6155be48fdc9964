"""Operator .mmdb files (GEOIP_DIR) instead of the shipped data: AS numbers, cities, and
so RPKI validity end to end."""

import json

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from jobs.operations.bulk_enrichment import datasets, ipdata
from tests.operations.bulk_enrichment.conftest import by_indicator


@pytest.fixture
def geoip_dir(tmp_path, settings):
    asn = MMDBWriter(ip_version=6, database_type="GeoLite2-ASN", ipv4_compatible=True)
    asn.insert_network(IPSet(["8.8.8.0/24"]), {"autonomous_system_number": 15169,
                                               "autonomous_system_organization": "GOOGLE"})
    asn.insert_network(IPSet(["1.1.1.0/24"]), {"autonomous_system_number": 13335,
                                               "autonomous_system_organization": "CLOUDFLARENET"})
    asn.to_db_file(str(tmp_path / "GeoLite2-ASN.mmdb"))
    city = MMDBWriter(ip_version=6, database_type="GeoLite2-City", ipv4_compatible=True)
    city.insert_network(IPSet(["8.8.0.0/16"]), {"country": {"iso_code": "US",
                                                            "names": {"en": "United States"}},
                                                "city": {"names": {"en": "Mountain View"}}})
    city.to_db_file(str(tmp_path / "GeoLite2-City.mmdb"))
    settings.GEOIP_DIR = str(tmp_path)
    ipdata.operator_databases.cache_clear()
    yield tmp_path
    ipdata.operator_databases.cache_clear()


def test_mmdb_files_give_numbers_and_cities(geoip_dir, enrich, db):
    item = by_indicator(enrich(["8.8.8.8"]))["8.8.8.8"]
    assert item["routing"] == {"asn": 15169, "as_name": "GOOGLE", "prefix": "8.8.8.0/24",
                               "country": "US"}
    assert item["geolocation"]["city"] == "Mountain View"
    assert item["geolocation"]["source"] == "mmdb"
    assert item["summary"]["asn"] == 15169


def test_rpki_valid_invalid_and_not_found(geoip_dir, enrich, db, tmp_path):
    vrps = tmp_path / "vrps.json"
    vrps.write_text(json.dumps({"roas": [
        {"asn": "AS15169", "prefix": "8.8.8.0/24", "maxLength": 24, "ta": "arin"},
        {"asn": "AS64500", "prefix": "1.1.0.0/16", "maxLength": 24, "ta": "apnic"}]}))
    datasets.dataset_refresh(kind="rpki", name="vrps", source=str(vrps))
    items = by_indicator(enrich(["8.8.8.8", "1.1.1.1", "9.9.9.9"], include=("rpki",)))
    assert items["8.8.8.8"]["rpki"]["status"] == "valid"
    assert items["1.1.1.1"]["rpki"]["status"] == "invalid"
    assert items["1.1.1.1"]["rpki"]["routes"][0]["vrps"] == [
        {"prefix": "1.1.0.0/16", "maxLength": 24, "asn": 64500}]
    assert items["9.9.9.9"]["rpki"]["status"] == "unknown"  # no routed prefix in the data
