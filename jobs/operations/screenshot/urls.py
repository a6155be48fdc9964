"""The operation's own routes: /v1 schedule, history and image endpoints; dashboard pages."""

from django.urls import path

from jobs.operations.screenshot import api, web


def api_urlpatterns() -> list:
    return [
        path("ops/screenshots/schedule", api.schedule_create, name="screenshot-schedule"),
        path("ops/screenshots/schedules", api.schedule_list, name="screenshot-schedules-api"),
        path("ops/screenshots/schedules/<str:schedule_id>", api.schedule_detail,
             name="screenshot-schedule-detail"),
        path("ops/screenshots/schedules/<str:schedule_id>/history", api.history_clear,
             name="screenshot-history-clear"),
        path("ops/screenshots/history", api.history, name="screenshot-history"),
        path("ops/screenshots/image/<str:token>", api.image, name="screenshot-image"),
    ]


def web_urlpatterns() -> list:
    return [
        path("screenshots/", web.gallery, name="screenshot-gallery"),
        path("screenshots/target/<str:host>/", web.target_history, name="screenshot-target"),
        path("screenshots/compare/", web.compare, name="screenshot-compare"),
        path("screenshots/schedules/", web.schedule_list, name="screenshot-schedules"),
        path("screenshots/schedules/<uuid:schedule_id>/<slug:action>/", web.schedule_action,
             name="screenshot-schedule-action"),
    ]
