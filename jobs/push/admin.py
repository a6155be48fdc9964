"""Webhook endpoints and deliveries in the admin; secrets are shown once, on creation."""

from django.contrib import admin, messages
from django.utils.html import format_html

from jobs.push import send, services
from jobs.push.models import EVENTS, Delivery, DeliveryAttempt, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "organization", "events", "enabled", "failing_since", "disabled_at",
                    "created_at"]
    list_filter = ["enabled", "organization"]
    search_fields = ["url", "description"]
    fields = ["organization", "url", "description", "events", "enabled", "failing_since",
              "disabled_at", "disabled_reason", "rotated_at", "previous_until"]
    readonly_fields = ["failing_since", "disabled_at", "disabled_reason", "rotated_at",
                       "previous_until"]
    actions = ["rotate_secret"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (["organization", "url"] if obj else [])

    def get_changeform_initial_data(self, request):
        return {"events": ",".join(EVENTS[:3])}

    def save_model(self, request, obj, form, change):
        if change:
            services.endpoint_update(endpoint=obj, events=obj.event_list, enabled=obj.enabled)
            return
        endpoint, secret = services.endpoint_create(
            organization=obj.organization, url=obj.url, events=obj.event_list,
            description=obj.description)
        obj.pk = endpoint.pk
        self.message_user(request, format_html(
            "Signing secret (shown only now, copy it): <code>{}</code>", secret),
            messages.WARNING)

    @admin.action(description="Rotate the signing secret (the old one signs for 24 h more)")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            secret = services.secret_rotate(endpoint)
            self.message_user(request, format_html(
                "New secret for {} (shown only now): <code>{}</code>", endpoint.url, secret),
                messages.WARNING)


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "status_code", "duration_ms", "outcome", "response_excerpt",
                       "will_retry"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "url", "status", "attempts", "created_at",
                    "next_attempt_at", "organization"]
    list_filter = ["status", "event", "organization"]
    search_fields = ["id", "url", "job__id"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send again")
    def send_again(self, request, queryset):
        for delivery in queryset:
            send.delivery_resend(delivery)
        self.message_user(request, f"Sending {queryset.count()} delivery(ies) again.")
