import json

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

# django-q2's admin first, so that its page of queued tasks can be replaced below.
from django_q import admin as q_admin
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from jobs.health import queue_health
from jobs.models import ApiKey, Job, Membership, Organization
from jobs.queue import task_package
from jobs.services import api_key_create, api_key_revoke


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "prefix", "created_at", "last_used_at",
                    "revoked_at"]
    list_filter = ["organization", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    fields = ["organization", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # A key's organization and name are fixed once it exists.
        return self.readonly_fields + (["organization", "name"] if obj else [])

    def save_model(self, request, obj, form, change):
        if change:
            return
        key, raw = api_key_create(organization=obj.organization, name=obj.name,
                                  created_by=request.user)
        obj.pk = key.pk
        self.message_user(request, format_html(
            "New key (shown only now, copy it): <code>{}</code>", raw), messages.WARNING)

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        count = sum(api_key_revoke(key=key) for key in queryset)
        self.message_user(request, f"Revoked {count} key(s).")


def _pretty(value) -> str:
    return format_html("<pre style='white-space:pre-wrap;max-width:80em'>{}</pre>",
                       json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "status", "target", "organization", "username",
                    "created_at", "completed_at"]
    list_filter = ["status", "type", "organization"]
    search_fields = ["id", "target", "username"]
    date_hierarchy = "created_at"
    list_select_related = ["organization"]
    exclude = ["params", "result", "metadata"]
    readonly_fields = ["pretty_params", "pretty_result", "pretty_metadata"]

    def get_readonly_fields(self, request, obj=None):
        names = [f.name for f in Job._meta.fields if f.name not in self.exclude]
        return names + self.readonly_fields

    def get_urls(self):
        own = [path("queue-health/", self.admin_site.admin_view(self.queue_health_view),
                    name="jobs_queue_health")]
        return own + super().get_urls()

    def queue_health_view(self, request):
        context = {**self.admin_site.each_context(request), "title": "Queue health",
                   "health": queue_health()}
        return TemplateResponse(request, "admin/jobs/queue_health.html", context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="params")
    def pretty_params(self, job):
        return _pretty(job.params)

    @admin.display(description="result")
    def pretty_result(self, job):
        return _pretty(job.result)

    @admin.display(description="metadata")
    def pretty_metadata(self, job):
        return _pretty(job.metadata)
from jobs.push import admin as _push_admin  # noqa: E402, F401 - registers its models


def _shown(method: str, label: str):
    """An admin column showing ``OrmQ.<method>()`` of the entry as a worker will see it."""

    @admin.display(description=label)
    def column(self, obj):
        return getattr(self._entry(obj), method)()

    return column


class QueuedTaskAdmin(q_admin.QueueAdmin):
    """django-q2's queued tasks, a job's one-line entry (``jobs.queue``) shown as the
    task a worker makes of it."""

    @staticmethod
    def _entry(obj: OrmQ) -> OrmQ:
        if "task" not in obj.__dict__:      # OrmQ.task is a cached property
            try:
                obj.task = SignedPackage.loads(task_package(obj.payload))
            except Exception as exc:        # what django-q2's own page shows then
                obj.task = {"id": "*" + exc.__class__.__name__}
        return obj

    # The columns and fields of django-q2's page, each read from the decoded entry.
    task_id = _shown("task_id", "Task id")
    name = _shown("name", "Name")
    group = _shown("group", "Group")
    func = _shown("func", "Function")
    args = _shown("args", "Arguments")
    kwargs = _shown("kwargs", "Keyword arguments")
    q_options = _shown("q_options", "Queue options")


if admin.site.is_registered(OrmQ):
    admin.site.unregister(OrmQ)
    admin.site.register(OrmQ, QueuedTaskAdmin)
