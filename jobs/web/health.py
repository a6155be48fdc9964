"""The queue-health page, for staff: workers, queue depth, running jobs, failures."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from jobs.health import queue_health
from jobs.web.orgs import WebRequest, signed_in_required
from jobs.web.views import render_refreshable


@signed_in_required
def queue_health_page(request: WebRequest):
    if not request.user.is_staff:
        raise PermissionDenied("Staff only")
    return render_refreshable(request, "web/queue_health.html", "queue-health", "health",
                              {"health": queue_health(), "nav_section": "health"})
