"""Webhook endpoints of the current organization, the callback secret, and deliveries.

Secrets are shown once, on the page that made them; every query starts from
``request.organization``, so another organization's endpoint or delivery is a 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jobs.push import send, services
from jobs.push.models import EVENTS, CallbackSecret, Delivery, WebhookEndpoint
from jobs.push.targets import callback_problem
from jobs.web.orgs import WebRequest, organization_required

EVENT_LABELS = {
    "job.completed": "Job completed",
    "job.failed": "Job failed",
    "job.cancelled": "Job cancelled",
    "job.progress": "Progress steps (many deliveries; opt in)",
}
RECENT_DELIVERIES = 50


class EndpointForm(forms.Form):
    url = forms.CharField(label="URL", max_length=2000,
                          help_text="Receives a signed POST for each chosen event.")
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=[(e, EVENT_LABELS[e]) for e in EVENTS], widget=forms.CheckboxSelectMultiple,
        initial=["job.completed", "job.failed", "job.cancelled"])
    enabled = forms.BooleanField(required=False, initial=True)

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        problem = callback_problem(url)
        if problem:
            raise forms.ValidationError(problem.replace("refused: ", "Not allowed: "))
        return url


def _endpoint(request: WebRequest, endpoint_id) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(organization=request.organization,
                                              pk=endpoint_id).first()
    if endpoint is None:
        raise Http404("No such endpoint")
    return endpoint


def _no_store(response):
    response["Cache-Control"] = "no-store"  # a secret is on this page
    return response


@organization_required
def webhook_list(request: WebRequest):
    org = request.organization
    form = EndpointForm(request.POST if request.method == "POST" else None)
    created = None
    if form.is_bound and form.is_valid():
        endpoint, secret = services.endpoint_create(
            organization=org, url=form.cleaned_data["url"], events=form.cleaned_data["events"],
            description=form.cleaned_data["description"])
        created = {"endpoint": endpoint, "secret": secret}
        form = EndpointForm()
    response = render(request, "webhooks/list.html", {
        "form": form, "created": created,
        "endpoints": WebhookEndpoint.objects.filter(organization=org),
        "callback_secret": CallbackSecret.objects.filter(organization=org).first(),
        "new_callback_secret": request.session.pop("new_callback_secret", None),
    })
    return _no_store(response) if created else response


@organization_required
@require_POST
def callback_secret_rotate(request: WebRequest):
    secret = services.callback_secret_rotate(organization=request.organization)
    # Shown on the next page only (a redirect keeps a reload from rotating again).
    request.session["new_callback_secret"] = secret
    return redirect("webhooks")


@organization_required
def webhook_detail(request: WebRequest, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    initial = {"url": endpoint.url, "description": endpoint.description,
               "events": endpoint.event_list, "enabled": endpoint.enabled}
    form = EndpointForm(request.POST if request.method == "POST" else None, initial=initial)
    form.fields["url"].disabled = True  # a new URL is a new endpoint, with a new secret
    if form.is_bound and form.is_valid():
        services.endpoint_update(endpoint=endpoint, events=form.cleaned_data["events"],
                                 enabled=form.cleaned_data["enabled"],
                                 description=form.cleaned_data["description"])
        messages.success(request, "Endpoint saved.")
        return redirect("webhook-detail", endpoint_id=endpoint.pk)
    response = render(request, "webhooks/detail.html", {
        "endpoint": endpoint, "form": form,
        "new_secret": request.session.pop(f"new_secret_{endpoint.pk}", None),
        "deliveries": _deliveries(Delivery.objects.filter(endpoint=endpoint)),
    })
    return _no_store(response)


@organization_required
@require_POST
def webhook_rotate(request: WebRequest, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    request.session[f"new_secret_{endpoint.pk}"] = services.secret_rotate(endpoint)
    return redirect("webhook-detail", endpoint_id=endpoint.pk)


@organization_required
@require_POST
def webhook_delete(request: WebRequest, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    endpoint.delete()
    messages.success(request, f"Endpoint {endpoint.url} deleted.")
    return redirect("webhooks")


@organization_required
@require_POST
def delivery_resend(request: WebRequest, delivery_id):
    delivery = Delivery.objects.filter(organization=request.organization,
                                       pk=delivery_id).first()
    if delivery is None:
        raise Http404("No such delivery")
    with transaction.atomic():
        send.delivery_resend(delivery)
    messages.success(request, "Sending again; the attempt appears below in a moment.")
    return redirect(request.POST.get("next") or "webhooks")


def _deliveries(queryset):
    return list(queryset.select_related("endpoint").prefetch_related("tries")
                .order_by("-created_at")[:RECENT_DELIVERIES])


def job_deliveries(job) -> list[Delivery]:
    """A job's deliveries, for its page."""
    return _deliveries(Delivery.objects.filter(organization=job.organization, job=job))


def disabled_endpoints(organization) -> list[WebhookEndpoint]:
    """Endpoints turned off for failing, for the overview's notice."""
    return list(WebhookEndpoint.objects.filter(organization=organization, enabled=False)
                .exclude(disabled_at=None))
