from django.urls import include, path

from config import urls as base
from jobs.api.urls import submit_patterns

TEST_ENDPOINTS = [
    ("test/sleep", "test_sleep", "scans"),
    ("test/fail", "test_fail", "scans"),
    ("test/crash", "test_crash", "scans"),
    ("test/noop", "test_noop", "scans"),
]

urlpatterns = [path("v1/", include(submit_patterns(TEST_ENDPOINTS))), *base.urlpatterns]
