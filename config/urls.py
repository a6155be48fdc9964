from django.contrib import admin
from django.urls import include, path

from jobs.api import urls as api_urls
from jobs.health import healthz

urlpatterns = [
    path("v1/", include(api_urls.urlpatterns)),
    path("v1/", include(api_urls.catch_all)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("jobs.web.urls")),
]
