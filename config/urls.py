from django.contrib import admin
from django.urls import include, path

from jobs.api import urls as api_urls
from jobs.health import healthz, healthz_web

urlpatterns = [
    path("v1/", include(api_urls.urlpatterns)),
    path("v1/", include(api_urls.catch_all)),
    path("healthz", healthz, name="healthz"),
    path("healthz/web", healthz_web, name="healthz-web"),
    path("admin/", admin.site.urls),
    path("", include("jobs.web.urls")),
]
