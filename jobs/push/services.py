"""Managing webhook endpoints and signing secrets (dashboard and admin call these)."""

from __future__ import annotations

from django.utils import timezone

from jobs.push import signing
from jobs.push.models import (
    DEFAULT_EVENTS,
    EVENTS,
    SECRET_OVERLAP,
    CallbackSecret,
    WebhookEndpoint,
)


def _events_text(events) -> str:
    chosen = [e for e in EVENTS if e in set(events or DEFAULT_EVENTS)]
    return ",".join(chosen)


def endpoint_create(*, organization, url: str, events=None,
                    description: str = "") -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown once; receivers verify with it)."""
    secret = signing.secret_new()
    endpoint = WebhookEndpoint.objects.create(
        organization=organization, url=url, events=_events_text(events),
        description=description, secret=secret)
    return endpoint, secret


def endpoint_update(*, endpoint: WebhookEndpoint, events, enabled: bool,
                    description: str | None = None) -> WebhookEndpoint:
    """Change what it receives; turning it back on forgets why it was turned off."""
    endpoint.events = _events_text(events)
    if enabled and not endpoint.enabled:
        endpoint.failing_since = None
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
    endpoint.enabled = enabled
    if description is not None:
        endpoint.description = description
    endpoint.save()
    return endpoint


def secret_rotate(holder, *, now=None) -> str:
    """A new secret for ``holder``; the old one keeps signing for SECRET_OVERLAP."""
    now = now or timezone.now()
    secret = signing.secret_new()
    holder.previous_secret, holder.previous_until = holder.secret, now + SECRET_OVERLAP
    holder.secret, holder.rotated_at = secret, now
    holder.save(update_fields=["secret", "previous_secret", "previous_until", "rotated_at"])
    return secret


def callback_secret_rotate(*, organization, now=None) -> str:
    """The organization's callback secret: made on first use, else rotated."""
    holder = CallbackSecret.objects.filter(organization=organization).first()
    if holder is None:
        secret = signing.secret_new()
        CallbackSecret.objects.create(organization=organization, secret=secret)
        return secret
    return secret_rotate(holder, now=now)
