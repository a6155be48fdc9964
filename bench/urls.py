"""The project's URLs (with the test-only ``/v1/test/noop`` submit route) plus the
baseline views under ``/bench/``."""

from django.urls import path

from bench import baseline
from tests import urls as project

urlpatterns = [
    path("bench/read/<uuid:job_id>", baseline.read_one, name="bench-read"),
    path("bench/insert", baseline.insert_one, name="bench-insert"),
    # Under /v1/ so that it takes the API's middleware path, as the submit view does.
    path("v1/bench/floor", baseline.floor, name="bench-floor"),
    *project.urlpatterns,
]
