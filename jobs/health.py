"""Health of the service: /healthz for supervisors, and what the queue-health page shows.

``/healthz`` answers 200 only when the database answers, the broker answers and at
least one worker cluster reported in the last seconds (django-q2's own cluster stats);
otherwise 503 naming what is wrong. ``/healthz/web`` checks only this web process and
its database, for a load balancer deciding whether to send it requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.db.models.functions import TruncMinute
from django.http import JsonResponse
from django.utils import timezone
from django_q.status import Stat

from jobs import queue
from jobs.models import Job, JobStatus


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return f"the database does not answer ({type(exc).__name__})"
    return ""


def _broker() -> str:
    if not settings.REDIS_URL:
        return ""  # the database is the broker
    try:
        queue.broker().ping()
    except Exception as exc:
        return f"the broker (Redis) does not answer ({type(exc).__name__})"
    return ""


def clusters() -> list:
    """django-q2's stats of every worker cluster alive now (they expire in seconds)."""
    try:
        return sorted(Stat.get_all(broker=queue.broker()), key=lambda s: str(s.cluster_id))
    except Exception:
        return []


def healthz(request):
    problems = {"database": _database()}
    if not problems["database"]:
        problems["broker"] = _broker()
        problems["workers"] = "" if clusters() else "no worker cluster has reported lately"
    failing = {name: reason for name, reason in problems.items() if reason}
    body = {"status": "unavailable" if failing else "ok",
            "checks": {name: reason or "ok" for name, reason in problems.items()}}
    if failing:
        body["reason"] = "; ".join(failing.values())
    return JsonResponse(body, status=503 if failing else 200)


def healthz_web(request):
    reason = _database()
    if reason:
        return JsonResponse({"status": "unavailable", "reason": reason}, status=503)
    return JsonResponse({"status": "ok"})


# --- the queue-health page ------------------------------------------------------------


@dataclass
class QueueHealth:
    clusters: list
    queued: int
    oldest_queued_age: timedelta | None
    running: list[Job]
    failures: list[dict]
    throughput: list[tuple[str, int]]   # (HH:MM, jobs ended that minute), last hour
    completed_last_hour: int

    @property
    def throughput_peak(self) -> int:
        return max((n for _, n in self.throughput), default=0)

    @property
    def bars(self) -> list[dict]:
        """The chart's bars in a 600x120 box, drawn by the page without script."""
        peak = self.throughput_peak or 1
        bars = []
        for index, (minute, n) in enumerate(self.throughput):
            height = round(110 * n / peak)
            bars.append({"minute": minute, "n": n, "x": index * 10, "y": 115 - height,
                         "height": height})
        return bars


def queue_health(*, now=None) -> QueueHealth:
    """Across every organization: this page is for staff."""
    now = now or timezone.now()
    hour_ago = now - timedelta(hours=1)
    pending = Job.objects.filter(status=JobStatus.PENDING)
    oldest = pending.aggregate(oldest=Min("created_at"))["oldest"]
    failures = list(Job.objects.filter(status=JobStatus.FAILED, error_at__gte=hour_ago)
                    .order_by().values("type", "error_code").annotate(n=Count("pk"))
                    .order_by("-n", "type"))
    ended = (Job.objects.filter(completed_at__gte=hour_ago).order_by()
             .annotate(minute=TruncMinute("completed_at")).values("minute")
             .annotate(n=Count("pk")))
    per_minute = {row["minute"].strftime("%H:%M"): row["n"] for row in ended}
    minutes = [(hour_ago + timedelta(minutes=i + 1)).strftime("%H:%M") for i in range(60)]
    return QueueHealth(
        clusters=clusters(), queued=pending.count(),
        oldest_queued_age=(now - oldest) if oldest else None,
        running=list(Job.objects.filter(status=JobStatus.PROCESSING)
                     .defer("params", "result", "metadata").order_by("started_at")[:50]),
        failures=failures,
        throughput=[(m, per_minute.get(m, 0)) for m in minutes],
        completed_last_hour=sum(per_minute.values()),
    )
