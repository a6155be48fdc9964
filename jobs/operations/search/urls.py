"""The search package's own dashboard pages: a record with its pivots and history, and the
staff import page."""

from django.urls import path

from jobs.operations.search import pages


def urlpatterns() -> list:
    return [
        path("registrations/", pages.record_lookup, name="registration-record-lookup"),
        path("registrations/<int:record_id>/", pages.record_detail, name="registration-record"),
        path("registrations/import/", pages.import_page, name="registration-import"),
        path("registrations/import/<int:run_id>/", pages.import_status,
             name="registration-import-status"),
    ]
