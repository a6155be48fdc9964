from django.urls import path

from jobs.operations import specs
from jobs.web import account, health, keys, live, tables, views, webhooks

urlpatterns = [
    path("", views.home, name="home"),
    path("jobs/", views.job_list, name="job-list"),
    path("jobs/new/", views.job_new_index, name="job-new-index"),
    path("jobs/new/<slug:job_type>/", views.job_new, name="job-new"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job-detail"),
    path("jobs/<uuid:job_id>/progress/", views.job_progress, name="job-progress"),
    path("jobs/<uuid:job_id>/events/", live.job_events, name="job-events"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job-cancel"),
    path("jobs/<uuid:job_id>/rerun/", views.job_rerun, name="job-rerun"),
    path("jobs/<uuid:job_id>/json/", views.job_json, name="job-json"),
    path("jobs/<uuid:job_id>/table/<slug:name>/", tables.job_table, name="job-table"),
    path("jobs/<uuid:job_id>/table/<slug:name>/<str:fmt>/", tables.job_table_export,
         name="job-table-export"),
    path("health/", health.queue_health_page, name="queue-health"),
    path("keys/", keys.api_keys, name="api-keys"),
    path("keys/<int:key_id>/revoke/", keys.api_key_revoke, name="api-key-revoke"),
    path("webhooks/", webhooks.webhook_list, name="webhooks"),
    path("webhooks/callback-secret/", webhooks.callback_secret_rotate,
         name="callback-secret-rotate"),
    path("webhooks/<int:endpoint_id>/", webhooks.webhook_detail, name="webhook-detail"),
    path("webhooks/<int:endpoint_id>/rotate/", webhooks.webhook_rotate, name="webhook-rotate"),
    path("webhooks/<int:endpoint_id>/delete/", webhooks.webhook_delete, name="webhook-delete"),
    path("webhooks/deliveries/<uuid:delivery_id>/resend/", webhooks.delivery_resend,
         name="delivery-resend"),
    path("organization/", account.organization_switch, name="organization-switch"),
    path("login/", account.sign_in, name="login"),
    path("logout/", account.sign_out, name="logout"),
]

# Each operation's own dashboard pages (result fragments, exports, ...).
for _spec in specs():
    if _spec.web_urls is not None:
        urlpatterns += _spec.web_urls()
