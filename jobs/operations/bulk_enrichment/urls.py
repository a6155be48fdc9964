"""Bulk enrichment's own dashboard routes: paste or upload a list, the CSV round trip."""

from django.urls import path

from jobs.operations.bulk_enrichment import exports, views


def urlpatterns() -> list:
    return [
        path("jobs/new/bulk_enrichment/upload/", views.bulk_upload, name="bulk-upload"),
        path("jobs/<uuid:job_id>/enriched.csv", exports.bulk_csv, name="bulk-csv"),
    ]
