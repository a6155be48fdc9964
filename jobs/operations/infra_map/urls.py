"""The map's own dashboard routes: the graph as JSON, GEXF and GraphML downloads."""

from django.urls import path

from jobs.operations.infra_map import web


def urlpatterns() -> list:
    return [
        path("jobs/<uuid:job_id>/map/<str:fmt>/", web.job_map_export, name="infra-map-export"),
    ]
