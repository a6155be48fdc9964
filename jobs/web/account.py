"""Signing in and out, and choosing the organization to work in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from jobs.web.orgs import WebRequest, organization_choose, signed_in_required

sign_in = auth_views.LoginView.as_view(template_name="registration/login.html",
                                       redirect_authenticated_user=True)
sign_out = auth_views.LogoutView.as_view()


@signed_in_required
@require_POST
def organization_switch(request: WebRequest):
    org = organization_choose(request, request.POST.get("organization", ""))
    if org is None:
        messages.error(request, "You are not a member of that organization.")
    else:
        messages.success(request, f"You are now working in {org.name}.")
    return redirect("home")
