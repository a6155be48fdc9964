"""The lookalike table's own dashboard routes: the htmx fragment and the downloads."""

from django.urls import path

from jobs.operations.similar_domains import exports, web


def urlpatterns() -> list:
    return [
        path("jobs/<uuid:job_id>/lookalikes/", web.job_lookalikes, name="job-lookalikes"),
        path("jobs/<uuid:job_id>/export/<str:fmt>/", exports.job_export, name="job-export"),
    ]
