"""Bulk enrichment on the dashboard: paste/upload with a preview, the result page (summary,
table, detail), and the CSV round trip."""

import csv
import html
import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jobs.models import EnrichmentUpload, Job, JobStatus
from tests.factories import JobFactory, UserFactory
from tests.web.conftest import HX

UPLOAD = reverse("bulk-upload")
CSV = ("case,observable,seen\n"
       "1,hxxp://evil[.]example/login,2026-01-01\n"
       "2,8.8.8.8,2026-01-02\n"
       "3,not an indicator,2026-01-03\n")


def start(web, django_capture_on_commit_callbacks, **preview):
    """Checks the list on the upload page, then posts its "Start the job" form as is."""
    page = web.post(UPLOAD, {"action": "preview", **preview}).content.decode()
    form = page[page.index('action="/jobs/new/bulk_enrichment/"'):]
    data = {"indicators": html.unescape(form.split('aria-hidden="true">', 1)[1]
                                        .split("</textarea>", 1)[0]),
            "include": re.findall(r'name="include" value="(\w+)"', form),
            "options.parallel_processing": "on", "options.continue_on_error": "on",
            "options.include_failed": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(reverse("job-new", args=["bulk_enrichment"]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Job.objects.get()


def test_the_form_is_there(web):
    html = web.get(UPLOAD).content.decode()
    assert "Paste indicators" in html and 'type="file"' in html
    assert 'value="routing" checked' in html


def test_pasted_list_preview_counts_types(web):
    response = web.post(UPLOAD, {"text": "8.8.8.8\n1.1.1[.]1\n# comment\n\nexample[.]com\n???",
                                 "include": ["routing"], "action": "preview"})
    html = response.content.decode()
    assert "Found 4 entries" in html
    assert "<span>ip</span><span class=\"n\">2</span>" in html
    assert "<code>???</code>" in html
    assert not Job.objects.exists()


def test_uploaded_csv_preview_finds_the_column(web):
    upload = SimpleUploadedFile("case.csv", CSV.encode(), content_type="text/csv")
    html = web.post(UPLOAD, {"file": upload, "action": "preview",
                             "include": ["routing"]}).content.decode()
    assert "Found 3 entries in column 2" in html and "observable" in html


def test_too_many_lines_is_refused(web):
    text = "\n".join(f"8.8.{i // 250}.{i % 250 + 1}" for i in range(10_001))
    response = web.post(UPLOAD, {"text": text, "action": "preview", "include": ["routing"]})
    assert response.status_code == 400
    assert "at most 10,000" in response.content.decode()


def test_start_from_csv_and_download_the_same_rows_enriched(web, transactional_db,
                                                            django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("case.csv", CSV.encode(), content_type="text/csv")
    job = start(web, django_capture_on_commit_callbacks, file=upload,
                include=["routing", "ip_intelligence", "reputation"])
    assert job.status == JobStatus.COMPLETED, job.error_message
    assert job.params["options"]["continue_on_error"] is True
    assert EnrichmentUpload.objects.get().column == 1
    page = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "Download the uploaded CSV with enrichment columns" in page
    body = web.get(reverse("bulk-csv", args=[job.pk])).content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["case", "observable", "seen"] and rows[0][3:5] == ["type", "value"]
    assert [r[:3] for r in rows[1:]] == [["1", "hxxp://evil[.]example/login", "2026-01-01"],
                                          ["2", "8.8.8.8", "2026-01-02"],
                                          ["3", "not an indicator", "2026-01-03"]]
    header = rows[0]
    google = dict(zip(header, rows[2], strict=True))
    assert google["as_name"] == "GOOGLE" and google["country"] == "US"
    assert dict(zip(header, rows[3], strict=True))["status"] == "UNRECOGNISED"


def test_result_page_summary_table_and_detail(web, transactional_db,
                                              django_capture_on_commit_callbacks):
    job = start(web, django_capture_on_commit_callbacks, text="8.8.8.8\n1.1.1.1\n???",
                include=["routing"])
    page = web.get(reverse("job-detail", args=[job.pk]), {"indicator": "8.8.8.8"})
    html = page.content.decode()
    assert "By country" in html and "GOOGLE" in html and "CLOUDFLARENET" in html
    assert 'id="table-indicators"' in html and "UNRECOGNISED" in html
    assert "<h4>routing</h4>" in html and "8.8.8.0/24" in html
    fragment = web.get(reverse("job-table", args=[job.pk, "indicators"]),
                       {"indicators-f-status": "ok"}, headers=HX).content.decode()
    assert "Showing 1–2 of 2 indicators matching (of 3)" in fragment
    export = web.get(reverse("job-table-export", args=[job.pk, "indicators", "json"]))
    assert export.json()["count"] == 3
    plain = web.get(reverse("bulk-csv", args=[job.pk])).content.decode()
    assert plain.splitlines()[0].startswith("indicator,type,value")


def test_another_organizations_job_is_404(web, other_org):
    job = JobFactory(organization=other_org, type="bulk_enrichment", status=JobStatus.COMPLETED,
                     result={"status": "completed", "results": [], "errors": [],
                             "totalProcessed": 0, "totalFailed": 0, "totalIndicators": 0,
                             "successRate": 0})
    assert web.get(reverse("bulk-csv", args=[job.pk])).status_code == 404
    assert web.get(reverse("job-detail", args=[job.pk])).status_code == 404


def test_signed_out_is_sent_to_sign_in(client, db):
    assert client.get(UPLOAD).status_code == 302


def test_the_upload_page_needs_a_member(client, db):
    client.force_login(UserFactory(username="stranger"))
    assert client.get(UPLOAD).status_code in (302, 403)


def test_an_uploaded_csv_is_not_offered_to_another_organization(web, other_org, org):
    from jobs.operations.bulk_enrichment import uploads
    EnrichmentUpload.objects.create(organization=other_org, digest=uploads.digest(["8.8.8.8"]),
                                    filename="theirs.csv", column=0, text="8.8.8.8\n")
    job = JobFactory(organization=org, type="bulk_enrichment", status=JobStatus.COMPLETED,
                     params={"indicators": ["8.8.8.8"]},
                     result={"status": "completed", "results": [], "errors": [],
                             "totalProcessed": 0, "totalFailed": 0, "totalIndicators": 1,
                             "successRate": 0})
    body = web.get(reverse("bulk-csv", args=[job.pk])).content.decode()
    assert body.splitlines() == ["indicator,type,value,status,country,as_name,asn,listed,"
                                 "listed_in,risk_score,addresses,rpki,error"]


def test_the_full_form_is_built_from_the_params(web):
    html = web.get(reverse("job-new", args=["bulk_enrichment"])).content.decode()
    assert 'name="indicators"' in html
    assert 'name="include"' in html and 'value="reputation"' in html
    assert 'name="options.batch_size"' in html and 'name="options.max_age"' in html
