"""API keys of the current organization: list, create (shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jobs import services
from jobs.web import selectors
from jobs.web.forms import ApiKeyForm
from jobs.web.orgs import WebRequest, organization_required


@organization_required
def api_keys(request: WebRequest):
    org = request.organization
    created = None
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        key, raw = services.api_key_create(organization=org, name=form.cleaned_data["name"],
                                           created_by=request.user)
        created = {"key": key, "raw": raw}
        form = ApiKeyForm()
    response = render(request, "keys/list.html", {
        "form": form,
        "keys": selectors.api_key_list(organization=org),
        "created": created,
        "base_url": request.build_absolute_uri("/").rstrip("/"),
    })
    if created:
        # The raw key is on this page and nowhere else: keep it out of caches.
        response["Cache-Control"] = "no-store"
    return response


@organization_required
@require_POST
def api_key_revoke(request: WebRequest, key_id):
    key = selectors.api_key_get(organization=request.organization, key_id=key_id)
    revoked = services.api_key_revoke(key=key)
    key.refresh_from_db()
    if request.htmx:
        return render(request, "keys/list.html#key-row", {"key": key})
    if revoked:
        messages.success(request, f"Key “{key.name}” revoked. Clients using it are refused "
                                  "from now on.")
    else:
        messages.info(request, f"Key “{key.name}” was already revoked.")
    return redirect("api-keys")
