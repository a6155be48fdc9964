"""Dashboard pages of registration search: results, record with pivots and history,
guided pivots starting a search, and the staff import page."""

import gzip

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jobs.models import Job, JobStatus, Registration, RegistrationImport
from jobs.registrations import normalize
from jobs.registrations.store import registrations_upsert
from tests.web.conftest import HX

ROWS = [{"domain": f"shop{i}.com", "registrantEmail": "owner@bad.example",
         "registrantName": "Mallory", "nameServers": "ns1.evil-dns.net|ns2.evil-dns.net",
         "registrarName": "Evil Registrar"} for i in range(3)]


@pytest.fixture
def records(db):
    registrations_upsert([normalize.record(r) for r in ROWS], organization_id=None,
                         source="import")
    registrations_upsert([normalize.record({**ROWS[0], "registrarName": "Good Registrar"})],
                         organization_id=None, source="whois")


def test_search_from_the_form_shows_the_results_table(web, records,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(reverse("job-new", args=["search"]),
                            {"query": "registrantEmail:owner@bad.example"})
    job = Job.objects.get()
    assert response.status_code == 302 and job.status == JobStatus.COMPLETED
    html = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "3 matching domains" in html
    assert "shop0.com" in html and "Evil Registrar" in html
    assert f'{reverse("registration-record-lookup")}?domain=shop1.com' in html
    export = web.get(reverse("job-table-export", args=[job.pk, "records", "csv"]))
    assert export.status_code == 200 and b"shop2.com" in export.content


def test_search_form_explains_the_query_language(web):
    html = web.get(reverse("job-new", args=["search"])).content.decode()
    assert "field:value terms" in html and "createdAfter" in html.replace("Created After", "")


def test_record_page_has_pivots_with_counts_and_history(web, records):
    record = Registration.objects.get(domain="shop0.com")
    response = web.get(reverse("registration-record-lookup") + "?domain=SHOP0.com.")
    assert response.status_code == 302
    assert response["Location"] == reverse("registration-record", args=[record.pk])
    html = web.get(response["Location"]).content.decode()
    assert "Same registrant e-mail" in html and "owner@bad.example" in html
    assert "· 3 domains" in html                      # e-mail, name, both name servers
    assert "· 1 domain<" in html or "· 1 domain\n" in html   # the registrar it has now
    assert 'name="registrantEmail" value="owner@bad.example"' in html
    assert 'name="nameServer" value="ns2.evil-dns.net"' in html
    assert "Evil Registrar" in html and "Good Registrar" in html   # the history's change
    assert "registrar_name" in html


def test_a_pivot_starts_the_search(web, records, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        web.post(reverse("job-new", args=["search"]), {"nameServer": "ns2.evil-dns.net"})
    job = Job.objects.get()
    assert job.result["total"] == 3


def test_another_organizations_record_is_404(web, org, other_org, db):
    registrations_upsert([normalize.record({"domain": "theirs.com"})],
                         organization_id=other_org.pk, source="whois")
    record = Registration.objects.get()
    assert web.get(reverse("registration-record", args=[record.pk])).status_code == 404
    assert web.get(reverse("registration-record-lookup") + "?domain=theirs.com").status_code \
        == 404


def test_record_without_history_or_pivots_says_so(web, db):
    registrations_upsert([normalize.record({"domain": "bare.com"})], organization_id=None,
                         source="import")
    html = web.get(reverse("registration-record",
                           args=[Registration.objects.get().pk])).content.decode()
    assert "No earlier versions" in html and "no registrant, registrar or name server" in html


def test_import_page_is_for_staff_only(web, member):
    assert web.get(reverse("registration-import")).status_code == 403
    member.is_staff = True
    member.save()
    html = web.get(reverse("registration-import")).content.decode()
    assert "No imports yet" in html and 'type="file"' in html


def test_staff_upload_runs_the_import_and_shows_progress(web, member, org, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    member.is_staff = True
    member.save()
    data = gzip.compress(b"domainName,registrant_email\nnew.com,a@b.com\nbad domain,x@y.z\n")
    response = web.post(reverse("registration-import"),
                        {"file": SimpleUploadedFile("feed.csv.gz", data)})
    run = RegistrationImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registration-import-status", args=[run.pk])
    assert (run.status, run.read, run.inserted, run.rejected) == ("done", 2, 1, 1)
    assert Registration.objects.get().organization_id is None
    html = web.get(response["Location"]).content.decode()
    assert "read 2, inserted 1, updated 0, rejected 1" in html and "not a domain name" in html
    fragment = web.get(response["Location"], headers=HX)
    assert fragment.status_code == 286 and b"<html" not in fragment.content


def test_staff_upload_can_be_private_and_refuses_no_file(web, member, org, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    member.is_staff = True
    member.save()
    response = web.post(reverse("registration-import"), {})
    assert response.status_code == 200 and b"Choose a CSV or JSONL file" in response.content
    web.post(reverse("registration-import"),
             {"file": SimpleUploadedFile("x.csv", b"domain\nmine.com\n"), "private": "1"})
    assert Registration.objects.get().organization_id == org.pk


def test_import_status_of_a_running_run_keeps_polling(web, member, db):
    member.is_staff = True
    member.save()
    run = RegistrationImport.objects.create(path="/x", size=100, fingerprint="f", offset=50)
    fragment = web.get(reverse("registration-import-status", args=[run.pk]), headers=HX)
    assert fragment.status_code == 200 and b'hx-trigger="every 2s"' in fragment.content
    assert b"50%" in fragment.content


def test_a_queued_upload_keeps_polling(web, member, db):
    member.is_staff = True
    member.save()
    run = RegistrationImport.objects.create(path="/x", size=100, fingerprint="f",
                                            status=RegistrationImport.Status.QUEUED)
    fragment = web.get(reverse("registration-import-status", args=[run.pk]), headers=HX)
    assert fragment.status_code == 200 and b'hx-trigger="every 2s"' in fragment.content
    assert b"queued" in fragment.content


def _failed_upload(folder, rows: int) -> RegistrationImport:
    from jobs.operations.search.pages import UPLOAD_DIR
    from jobs.registrations.importer import fingerprint

    path = folder / UPLOAD_DIR / "feed.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("domain\n" + "".join(f"d{i}.com\n" for i in range(rows)))
    digest, size = fingerprint(str(path), None)
    # Stopped after its first 20 records: what the repair leaves of a killed import.
    registrations_upsert([normalize.record({"domain": f"d{i}.com"}) for i in range(20)],
                         organization_id=None, source="import")
    return RegistrationImport.objects.create(
        path=str(path), size=size, fingerprint=digest, status="failed", offset=len(
            "domain\n" + "".join(f"d{i}.com\n" for i in range(20))), line=21, read=20,
        inserted=20, message="The importing process stopped after line 21")


def test_a_failed_upload_resumes_from_its_checkpoint(web, member, db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    member.is_staff = True
    member.save()
    run = _failed_upload(tmp_path, 50)
    url = reverse("registration-import-status", args=[run.pk])
    html = web.get(url).content.decode()
    assert "Resume after line 21" in html
    response = web.post(url)
    assert response.status_code == 302 and response["Location"] == url
    run.refresh_from_db()        # the task ran inline (the test broker is synchronous)
    assert (run.status, run.read, run.inserted, run.updated) == ("done", 50, 50, 0)
    assert Registration.objects.count() == 50
    assert "Resume after" not in web.get(url).content.decode()


def test_only_a_failed_upload_with_its_file_resumes(web, member, db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    member.is_staff = True
    member.save()
    elsewhere = RegistrationImport.objects.create(path=str(tmp_path / "feed.csv"), size=1,
                                                  fingerprint="f", status="failed")
    (tmp_path / "feed.csv").write_text("domain\nx.com\n")   # a command-line import's file
    gone = _failed_upload(tmp_path, 30)
    (tmp_path / "registration-imports" / "feed.csv").unlink()
    for run in (elsewhere, gone):
        url = reverse("registration-import-status", args=[run.pk])
        assert "Resume after" not in web.get(url).content.decode()
        page = web.post(url, follow=True).content.decode()
        assert "Only a failed upload whose file is still kept can be resumed" in page
        run.refresh_from_db()
        assert run.status == "failed"
    assert not member.is_superuser
    member.is_staff = False
    member.save()
    assert web.post(reverse("registration-import-status", args=[gone.pk])).status_code == 403
