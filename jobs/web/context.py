"""Template context for every page: the organization the user works in, and where they are."""

from jobs.web.orgs import current_organization, user_organizations

SECTIONS = {
    "home": "home",
    "job-list": "jobs",
    "job-detail": "jobs",
    "job-new-index": "new",
    "job-new": "new",
    "api-keys": "keys",
    "webhooks": "webhooks",
    "webhook-detail": "webhooks",
}


def organization(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    return {
        "organization": current_organization(request),
        "organizations": user_organizations(request),
        "nav_section": SECTIONS.get(match.url_name if match else "", ""),
    }
