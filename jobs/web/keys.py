"""API keys of the current organization: list, create (shown once), revoke.

Creating a key is post/redirect/get: the new raw key rides in the session to the page the
browser is sent to and is taken out as it is shown, so reloading that page neither shows
it again nor creates a second key.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jobs import services
from jobs.web import selectors
from jobs.web.forms import ApiKeyForm
from jobs.web.orgs import WebRequest, organization_required

NEW_KEY = "api_key_created"


@organization_required
def api_keys(request: WebRequest):
    org = request.organization
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        key, raw = services.api_key_create(organization=org, name=form.cleaned_data["name"],
                                           created_by=request.user)
        request.session[NEW_KEY] = {"id": key.pk, "raw": raw, "org": org.pk}
        return redirect("api-keys")
    created = _created_once(request)
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


def _created_once(request: WebRequest) -> dict | None:
    """The key created just before this request, taken out of the session; None if
    there is none, or it belongs to an organization other than the current one."""
    stored = request.session.pop(NEW_KEY, None)
    if not isinstance(stored, dict) or stored.get("org") != request.organization.pk:
        return None
    key = selectors.api_key_list(organization=request.organization).filter(
        pk=stored.get("id")).first()
    return {"key": key, "raw": stored.get("raw", "")} if key else None


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
