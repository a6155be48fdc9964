"""Which organization a dashboard request acts for, and the decorators that require one.

A user may belong to several organizations; the one they chose is kept in the session
and checked against their memberships on every request, so a stale or forged id simply
falls back to their first organization.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.shortcuts import render
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from jobs.models import Organization

SESSION_KEY = "organization_id"


class WebRequest(HttpRequest):
    """What dashboard views receive: django-htmx's details and the organization."""

    htmx: HtmxDetails
    organization: Organization


def user_organizations(request) -> list[Organization]:
    """The user's organizations by name, loaded once per request."""
    if not hasattr(request, "_web_organizations"):
        user = request.user
        request._web_organizations = (
            list(Organization.objects.filter(memberships__user=user).order_by("name"))
            if user.is_authenticated else [])
    return request._web_organizations


def current_organization(request) -> Organization | None:
    organizations = user_organizations(request)
    chosen = getattr(request, "session", {}).get(SESSION_KEY)
    for org in organizations:
        if org.pk == chosen:
            return org
    return organizations[0] if organizations else None


def organization_choose(request, organization_id) -> Organization | None:
    """Remember the user's choice if they belong to it; None if they do not."""
    for org in user_organizations(request):
        if str(org.pk) == str(organization_id):
            request.session[SESSION_KEY] = org.pk
            return org
    return None


def signed_in_required(view):
    """Like login_required, but an HTMX request is told to load the sign-in page itself
    rather than having it swapped into a fragment."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        htmx: HtmxDetails | None = getattr(request, "htmx", None)
        if htmx:
            page = htmx.current_url_abs_path or request.get_full_path()
            response = redirect_to_login(page, settings.LOGIN_URL)
            return HttpResponseClientRedirect(response["Location"])
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)

    return wrapper


def organization_required(view):
    """Signed in and a member of some organization; sets ``request.organization``."""

    @signed_in_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        org = current_organization(request)
        if org is None:
            return render(request, "web/no_organization.html", status=403)
        request.organization = org
        return view(request, *args, **kwargs)

    return wrapper
