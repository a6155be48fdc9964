from django.urls import path, re_path

from jobs.api import openapi, views
from jobs.operations import registry

# (path under /v1/, job type, rate-limit category)
SUBMIT_ENDPOINTS = [
    ("ops/scans/infrastructure", "infra_scan", "scans"),
    ("ops/scan", "infra_scan", "scans"),
    ("ops/scans/map", "infra_map", "scans"),
    ("ops/enrichment/bulk", "bulk_enrichment", "bulk"),
    ("ops/enrichment/search", "search", "scans"),
    ("ops/enrichment/similar-domains", "similar_domains", "scans"),
    ("ops/screenshots/capture", "screenshot", "screenshots"),
]


def submit_patterns(endpoints):
    """Routes for the operations this installation can run."""
    available = registry()
    return [path(route, views.submit_view(job_type, category), name=f"submit-{route}")
            for route, job_type, category in endpoints if job_type in available]


urlpatterns = [
    path("ops/jobs/list", views.job_list, name="api-job-list"),
    path("ops/jobs/<str:job_id>", views.job_detail, name="api-job-detail"),
    path("ops/jobs/<str:job_id>/cancel", views.job_cancel, name="api-job-cancel"),
    path("async-jobs/<str:job_id>", views.async_job_detail, name="api-async-job"),
    path("openapi.json", openapi.openapi_view, name="api-openapi"),
    *submit_patterns(SUBMIT_ENDPOINTS),
]

catch_all = [re_path(r"^(?P<rest>.*)$", views.not_found)]
