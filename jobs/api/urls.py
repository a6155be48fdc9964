from django.urls import path, re_path

from jobs.api import openapi, push, views
from jobs.operations import specs


def submit_patterns():
    """Each operation's submit endpoints, and any routes of its own, from its SPEC."""
    patterns = []
    for spec in specs():
        for route in spec.routes:
            patterns.append(path(route.path, views.submit_view(spec.type, route.category),
                                 name=f"submit-{route.path}"))
        if spec.api_urls is not None:
            patterns.extend(spec.api_urls())
    return patterns


urlpatterns = [
    # Submits first: Django tries the patterns in order, and the submit is the path held
    # to a throughput target against a bare insert (reads have room to spare).
    *submit_patterns(),
    path("ops/jobs/list", views.job_list, name="api-job-list"),
    path("ops/quotas", views.quotas, name="api-quotas"),
    path("ops/jobs/<str:job_id>", views.job_detail, name="api-job-detail"),
    path("ops/jobs/<str:job_id>/cancel", views.job_cancel, name="api-job-cancel"),
    path("ops/jobs/<str:job_id>/events", views.job_events, name="api-job-events"),
    path("ops/jobs/<str:job_id>/stream", push.job_stream, name="api-job-stream"),
    path("async-jobs/<str:job_id>", views.async_job_detail, name="api-async-job"),
    path("openapi.json", openapi.openapi_view, name="api-openapi"),
]

catch_all = [re_path(r"^(?P<rest>.*)$", views.not_found)]
