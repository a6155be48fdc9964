"""import_registrations: layouts, bad rows, gzip, the summary line, interruption and resume."""

import gzip
import io
import json

import pytest
from django.core.management import CommandError, call_command

from jobs.models import Registration, RegistrationImport
from jobs.registrations import importer

pytestmark = pytest.mark.django_db

CANONICAL = (
    "domain,registrarName,registrarIanaId,registrantName,registrantCompany,registrantEmail,"
    "registrantPhone,registrantCountry,registrantCity,nameServers,domainStatus,createdDate,"
    "updatedDate,expiryDate\n"
    "acme.com,GoDaddy,146,John Smith,Acme Corp,john@acme.com,+1.555,US,Austin,"
    "ns1.acme.net|ns2.acme.net,clientHold,2015-03-04,2024-01-01,2030-03-04\n")
WHOISXMLAPI = (
    "domainName,registrarName,registrarIANAID,registrant_name,registrant_organization,"
    "registrant_email,registrant_telephone,registrant_country,registrant_city,nameServers,"
    "status,createdDate,updatedDate,expiresDate\n"
    'acme.com,GoDaddy,146,John Smith,Acme Corp,john@acme.com,+1.555,US,Austin,'
    '"ns1.acme.net,ns2.acme.net",clientHold,2015-03-04T10:00:00Z,2024-01-01,2030-03-04\n')
WHOISDS = (
    "domain_name,create_date,update_date,expiry_date,domain_registrar_id,domain_registrar_name,"
    "registrant_name,registrant_company,registrant_email,registrant_phone,registrant_country,"
    "registrant_city,name_server_1,name_server_2,domain_status_1\n"
    "acme.com,2015-03-04,2024-01-01,2030-03-04,146,GoDaddy,John Smith,Acme Corp,john@acme.com,"
    "+1.555,US,Austin,ns1.acme.net,ns2.acme.net,clientHold\n")
DOMAINTOOLS = (
    "Domain Name,Registrar,Registrar IANA ID,Registrant Name,Registrant Org,Registrant Email,"
    "Registrant Phone,Registrant Country,Registrant City,Name Servers,Status,Create Date,"
    "Update Date,Expiration Date\n"
    'acme.com,GoDaddy,146,John Smith,Acme Corp,john@acme.com,+1.555,US,Austin,'
    '"ns1.acme.net, ns2.acme.net",clientHold https://icann.org/epp#clientHold,04-Mar-2015,'
    "2024-01-01,2030-03-04\n")
JSONL = json.dumps({"domain": "acme.com", "registrarName": "GoDaddy", "registrarIanaId": 146,
                    "registrantName": "John Smith", "registrantCompany": "Acme Corp",
                    "registrantEmail": "john@acme.com", "registrantPhone": "+1.555",
                    "registrantCountry": "US", "registrantCity": "Austin",
                    "nameServers": ["ns1.acme.net", "ns2.acme.net"],
                    "domainStatus": ["clientHold"], "createdDate": "2015-03-04",
                    "updatedDate": "2024-01-01", "expiryDate": "2030-03-04"}) + "\n"


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_registrations", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name, text", [("canonical.csv", CANONICAL),
                                        ("whoisxml.csv", WHOISXMLAPI),
                                        ("whoisds.csv", WHOISDS),
                                        ("domaintools.csv", DOMAINTOOLS),
                                        ("records.jsonl", JSONL)])
def test_each_layout_gives_the_same_record(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    out, _err = run(path)
    assert out.strip().splitlines()[-1] == "read 1, inserted 1, updated 0, rejected 0"
    record = Registration.objects.get()
    assert record.organization_id is None
    assert (record.domain, record.tld, record.registrar_name, record.registrar_iana_id) == (
        "acme.com", "com", "GoDaddy", "146")
    assert (record.registrant_name, record.registrant_company, record.registrant_email) == (
        "John Smith", "Acme Corp", "john@acme.com")
    assert (record.registrant_phone, record.registrant_country, record.registrant_city) == (
        "+1.555", "US", "Austin")
    assert record.name_server_list == ["ns1.acme.net", "ns2.acme.net"]
    assert record.status_list == ["clienthold"]
    assert str(record.created_date) == "2015-03-04" and str(record.expiry_date) == "2030-03-04"


def test_bad_rows_are_rejected_with_line_and_reason(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("domain,createdDate\nok.com,2020-01-01\nnot a domain,\n"
                    "fine.org,2020-02-31\nshort.net\n,2020-01-01\ngood.net,\n")
    out, err = run(path)
    assert out.strip().splitlines()[-1] == "read 6, inserted 2, updated 0, rejected 4"
    assert f"{path}:3: rejected: not a domain name: 'not a domain'" in err
    assert f"{path}:4: rejected: not a date: '2020-02-31'" in err
    assert f"{path}:5: rejected: 1 columns, header has 2" in err
    assert f"{path}:6: rejected: no domain" in err


def test_bad_jsonl_lines_are_rejected(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"domain": "a.com"}\n{not json\n[1, 2]\n\n{"domainName": "b.com"}\n')
    out, err = run(path)
    assert out.strip().splitlines()[-1] == "read 4, inserted 2, updated 0, rejected 2"
    assert ":2: rejected: not JSON" in err and ":3: rejected: not a JSON object" in err


def test_gzip_and_updates_and_org(tmp_path, org, other_org):
    plain = tmp_path / "a.csv"
    plain.write_text(CANONICAL)
    run(plain)
    packed = tmp_path / "b.csv.gz"
    packed.write_bytes(gzip.compress(CANONICAL.replace("GoDaddy", "Namecheap").encode()
                                     + b"new.org,,,,,,,,,,,,,\n"))
    out, _ = run(packed)
    assert out.strip() == "read 2, inserted 1, updated 1, rejected 0"
    assert Registration.objects.get(domain="acme.com").registrar_name == "Namecheap"
    assert Registration.objects.get(domain="acme.com").versions.count() == 1
    out, _ = run(plain, "--org", org.name)
    assert out.strip() == "read 1, inserted 1, updated 0, rejected 0"
    assert Registration.objects.visible_to(other_org.pk).count() == 2
    assert Registration.objects.visible_to(org.pk).count() == 3


def test_several_files_sum_up_and_the_summary_comes_last(tmp_path):
    first, second = tmp_path / "1.csv", tmp_path / "2.jsonl"
    first.write_text(CANONICAL)
    second.write_text(JSONL + json.dumps({"domain": "b.com"}) + "\n")
    out, _ = run(first, second)
    assert out.strip().splitlines()[-1] == "read 3, inserted 2, updated 1, rejected 0"


def test_unusable_files_are_errors(tmp_path):
    path = tmp_path / "nodomain.csv"
    path.write_text("name,email\nx,y\n")
    with pytest.raises(CommandError, match="no domain column"):
        run(path)
    with pytest.raises(CommandError, match="missing.csv: No such file or directory"):
        run(tmp_path / "missing.csv")
    with pytest.raises(CommandError, match="no organization named"):
        run(path, "--org", "nobody")


def _big_file(path, rows, gz):
    text = "domain,registrantEmail\n" + "".join(f"d{i}.com,o{i % 7}@x.com\n"
                                                 for i in range(rows))
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)


@pytest.mark.parametrize("gz", [False, True])
def test_an_interrupted_import_resumes_where_it_stopped(tmp_path, monkeypatch, gz):
    path = tmp_path / ("big.csv.gz" if gz else "big.csv")
    _big_file(path, 250, gz)
    monkeypatch.setattr(importer, "BATCH", 100)
    calls = []

    def stop_after_two_batches(run, done, total):
        calls.append(run.read)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        importer.registrations_import(str(path), progress=stop_after_two_batches)
    run_row = RegistrationImport.objects.get()
    assert (run_row.status, run_row.read, run_row.line) == ("failed", 200, 201)
    assert "resume" in run_row.message
    assert Registration.objects.count() == 200

    out, _ = run(path)
    assert out.strip().splitlines()[-1] == "read 250, inserted 250, updated 0, rejected 0"
    assert Registration.objects.count() == 250
    assert RegistrationImport.objects.get().status == "done"

    out, _ = run(path)     # a finished file imports again from the top: all updates
    assert out.strip().splitlines()[-1] == "read 250, inserted 0, updated 250, rejected 0"


def test_restart_ignores_the_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    _big_file(path, 150, False)
    monkeypatch.setattr(importer, "BATCH", 100)

    def stop(run, done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        importer.registrations_import(str(path), progress=stop)
    out, _ = run(path, "--restart")
    assert out.strip().splitlines()[-1] == "read 150, inserted 50, updated 100, rejected 0"


def test_a_crashed_run_left_running_is_resumed(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    _big_file(path, 150, False)
    monkeypatch.setattr(importer, "BATCH", 100)

    def die(run, done, total):
        raise SystemExit("killed")   # not caught by the importer: the run stays "running"

    with pytest.raises(SystemExit):
        importer.registrations_import(str(path), progress=die)
    assert RegistrationImport.objects.get().status == "running"
    out, _ = run(path)
    assert out.strip().splitlines()[-1] == "read 150, inserted 150, updated 0, rejected 0"


def _plan(text):
    from jobs.operations.search import finder, query

    return finder.explain(query.parse(text))


@pytest.mark.parametrize("interrupt", [False, True])
def test_a_bulk_load_sets_indexes_aside_and_rebuilds_them(tmp_path, monkeypatch, interrupt):
    from django.db import connection

    from jobs.operations.search import finder, query

    path = tmp_path / "big.csv"
    path.write_text("domain,registrantCompany\n" + "".join(
        f"d{i}.com,Company {i} Holdings\n" for i in range(300)))
    monkeypatch.setattr(importer, "BATCH", 100)
    seen = []

    def look(run, done, total):
        with connection.cursor() as cursor:
            names = connection.introspection.get_constraints(cursor, "jobs_registration")
        seen.append("registration_registrant_email_lower" in names)
        if interrupt:
            raise KeyboardInterrupt

    try:
        importer.registrations_import(str(path), progress=look, defer_indexes=True)
    except KeyboardInterrupt:
        assert interrupt
    assert seen[0] is False                      # set aside while loading
    with connection.cursor() as cursor:
        names = connection.introspection.get_constraints(cursor, "jobs_registration")
    assert "registration_registrant_email_lower" in names and "registration_created" in names
    page = finder.search(query.parse('registrantCompany:"*pany 5 hold*"'), organization_id=None,
                         limit=10, offset=0)
    assert [r.domain for r in page.records] == ["d5.com"]   # the table of companies too
    if connection.vendor == "sqlite":
        assert "jobs_registration_fts VIRTUAL TABLE INDEX" in _plan("*5.co*")


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_outside_a_transaction_rebuilds_every_index(tmp_path, monkeypatch):
    from django.db import connection

    from jobs.registrations import indexes

    path = tmp_path / "big.csv"
    _big_file(path, 250, False)
    monkeypatch.setattr(importer, "BATCH", 100)
    run_row = importer.registrations_import(str(path), defer_indexes=True)
    assert (run_row.read, run_row.inserted, run_row.status) == (250, 250, "done")
    with connection.cursor() as cursor:
        names = set(connection.introspection.get_constraints(cursor, "jobs_registration"))
        if connection.vendor == "postgresql":
            names |= set(connection.introspection.get_constraints(
                cursor, indexes.NAME_SERVER_TABLE))
    assert {name for name, _create in indexes.deferrable(connection.vendor)} <= names
    assert Registration.objects.filter(registrant_email="o3@x.com").count() == 36


def test_reading_ahead_keeps_order_passes_errors_on_and_stops_when_closed():
    import threading
    from contextlib import closing

    assert list(importer._read_ahead(iter(range(50)))) == list(range(50))

    def failing():
        yield 1
        raise importer.ImportFailed("bad header")

    with pytest.raises(importer.ImportFailed, match="bad header"):
        list(importer._read_ahead(failing()))

    def endless():
        n = 0
        while True:
            n += 1
            yield n

    with closing(importer._read_ahead(endless())) as ahead:
        assert [next(ahead) for _ in range(3)] == [1, 2, 3]
    assert not any(t.name == "registration-import-reader" for t in threading.enumerate())


@pytest.mark.parametrize("defer", [False, True])
def test_imported_name_servers_are_searchable_each_on_its_own(tmp_path, defer):
    from jobs.operations.search import finder, query

    path = tmp_path / "ns.csv"
    path.write_text("domain,nameServers\n" + "".join(
        f"d{i}.com,NS1.Host{i % 3}.net|ns2.shared.net\n" for i in range(30)))
    importer.registrations_import(str(path), defer_indexes=defer)
    path.write_text("domain,nameServers\nd0.com,ns1.moved.net\n")   # an update
    importer.registrations_import(str(path))

    def found(name):
        page = finder.search(query.parse(f"nameServer:{name}"), organization_id=None,
                             limit=100, offset=0)
        return page.total, sorted(r.domain for r in page.records)[:2]

    assert found("ns2.shared.net") == (29, ["d1.com", "d10.com"])
    assert found("ns1.host0.net") == (9, ["d12.com", "d15.com"])
    assert found("ns1.moved.net") == (1, ["d0.com"])
