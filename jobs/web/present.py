"""Turning jobs and results into what the pages show: labels, durations, JSON trees."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from pydantic import ValidationError

from jobs.models import Job, JobEvent, JobStatus
from jobs.operations import OperationSpec, UnknownOperation, get_operation, specs
from jobs.web import selectors

log = logging.getLogger(__name__)

STATUS_LABELS = {
    JobStatus.PENDING: "Pending",
    JobStatus.PROCESSING: "Running",
    JobStatus.COMPLETED: "Completed",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
}

ERROR_HEADINGS = {
    "CANCELLED": "This job was cancelled",
    "TIMEOUT": "The job took too long and was stopped",
    "WORKER_LOST": "The worker running this job stopped responding",
    "TARGET_NOT_ALLOWED": "The target is not allowed",
    "TARGET_UNREACHABLE": "The target could not be reached",
    "INVALID_PARAMS": "The job's parameters are no longer valid",
    "UNKNOWN_OPERATION": "This kind of job is not available here",
    "INTERNAL_ERROR": "Something went wrong on our side",
}



@dataclass(frozen=True)
class OperationInfo:
    type: str
    label: str
    description: str


def _spec(job_type: str) -> OperationSpec | None:
    try:
        return get_operation(job_type)
    except UnknownOperation:
        return None


def operation_label(job_type: str) -> str:
    spec = _spec(job_type)
    return spec.label if spec else job_type.replace("_", " ").capitalize()


def operation_description(job_type: str) -> str:
    spec = _spec(job_type)
    return spec.description if spec else ""


def operations() -> list[OperationInfo]:
    return [OperationInfo(spec.type, spec.label, spec.description) for spec in specs()]


def with_labels(jobs):
    """Attach ``type_label`` to each job, for lists and rows."""
    jobs = list(jobs)
    labels: dict[str, str] = {}
    for job in jobs:
        if job.type not in labels:
            labels[job.type] = operation_label(job.type)
        job.type_label = labels[job.type]
    return jobs


def duration_text(duration: timedelta | None) -> str:
    if duration is None:
        return ""
    seconds = int(duration.total_seconds())
    if seconds < 1:
        return "under a second"
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def started_by(job: Job) -> str:
    source = job.metadata.get("source", "")
    how = {"dashboard": "from the dashboard", "api": "with an API key"}.get(source, "")
    who = job.username or "unknown"
    return f"{who} ({how})" if how else who


def error_heading(job: Job) -> str:
    spec = _spec(job.type)
    own = spec.error_headings if spec else {}
    return own.get(job.error_code) or ERROR_HEADINGS.get(job.error_code, "The job failed")


def result_section(job: Job, request) -> dict[str, Any]:
    """What the job page shows of a completed job's result: the operation's own
    presenter over its typed result, or a collapsible JSON tree."""
    spec = _spec(job.type)
    presenter = spec.presenter if spec else None
    fallback = {"result_template": "jobs/results/_fallback.html",
                "result_tree": json_tree(job.result)}
    if presenter is None:
        return fallback
    try:
        result = spec.result.model_validate(job.result)
    except ValidationError:
        # Only a result stored by an older version can miss the schema: the runner
        # checks every result before it is stored.
        log.warning("job %s: stored result does not match %s", job.pk, spec.result.__name__)
        return {**fallback, "result_outdated": True}
    return {"result_template": presenter.template,
            **presenter.context(job, result, request)}


def result_summary(job: Job) -> str:
    """One line about a completed job's result, for job lists."""
    return _summary_of(job.type, job.result)


def _summary_of(job_type: str, result: Any) -> str:
    spec = _spec(job_type)
    if spec is None or spec.presenter is None or not isinstance(result, dict):
        return ""
    try:
        return spec.presenter.summary(spec.result.model_validate(result))
    except ValidationError:
        return ""


def with_summaries(jobs: list[Job], *, organization) -> list[Job]:
    """Attach ``summary`` (one line about the result) to each completed job of a list.

    Lists leave the result out (it can be megabytes) and refresh every few seconds, and
    a stored result never changes: so each summary is worked out once, from one query
    for all the results a page misses, and kept in the cache.
    """
    done = {str(job.pk): job for job in jobs if job.status == JobStatus.COMPLETED}
    known = cache.get_many([_summary_key(pk) for pk in done])
    missing = [pk for pk in done if _summary_key(pk) not in known]
    if missing:
        results = selectors.job_results(organization=organization, job_ids=missing)
        fresh = {_summary_key(pk): _summary_of(done[pk].type, results.get(done[pk].pk))
                 for pk in missing}
        cache.set_many(fresh, timeout=settings.JOB_RETENTION_DAYS * 86400)
        known.update(fresh)
    for job in jobs:
        job.summary = known.get(_summary_key(job.pk), "")
    return jobs


def _summary_key(job_id) -> str:
    return f"job-summary:{job_id}"


def pretty_json(value: Any, limit: int = 200_000) -> tuple[str, bool]:
    """Indented JSON, cut at ``limit`` characters; the flag says whether it was cut."""
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
    if len(text) > limit:
        return text[:limit], True
    return text, False


# --- the collapsible JSON view -------------------------------------------------------

MAX_ITEMS = 100      # entries shown per object or array
MAX_NODES = 2000     # entries shown in the whole tree
MAX_DEPTH = 12       # deeper values are shown as compact JSON
OPEN_DEPTH = 2       # levels expanded at first


@dataclass
class JsonNode:
    """One entry of the tree. ``children`` is None for scalars."""

    key: str
    kind: str                      # object, array, string, number, boolean, null
    text: str = ""                 # a scalar's display text
    children: list[JsonNode] | None = None
    size: int = 0                  # entries in an object or array
    hidden: int = 0                # entries left out to keep the page small
    depth: int = 0
    open: bool = False
    preview: str = ""              # a closed object's first few scalar values


def json_tree(value: Any, key: str = "result") -> JsonNode:
    budget = [MAX_NODES]
    return _node(key, value, 0, budget)


def _node(key: str, value: Any, depth: int, budget: list[int]) -> JsonNode:
    budget[0] -= 1
    if isinstance(value, dict | list) and depth >= MAX_DEPTH:
        return JsonNode(key, "string", json.dumps(value, ensure_ascii=False), depth=depth)
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
        return _container(key, "object", items, depth, budget)
    if isinstance(value, list):
        return _container(key, "array", [(str(i), v) for i, v in enumerate(value)], depth, budget)
    if value is None:
        return JsonNode(key, "null", "null", depth=depth)
    if isinstance(value, bool):
        return JsonNode(key, "boolean", "true" if value else "false", depth=depth)
    if isinstance(value, int | float):
        return JsonNode(key, "number", json.dumps(value), depth=depth)
    return JsonNode(key, "string", str(value), depth=depth)


def _preview(items, limit: int = 3, width: int = 90) -> str:
    scalars = [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in items
               if not isinstance(v, dict | list)][:limit]
    text = ", ".join(scalars)
    return text if len(text) <= width else text[:width - 1] + "…"


def _container(key, kind, items, depth, budget) -> JsonNode:
    node = JsonNode(key, kind, children=[], size=len(items), depth=depth,
                    open=depth < OPEN_DEPTH, preview=_preview(items))
    for index, (child_key, child) in enumerate(items):
        if index >= MAX_ITEMS or budget[0] <= 0:
            node.hidden = len(items) - index
            break
        node.children.append(_node(child_key, child, depth + 1, budget))
    return node


# --- the job's timeline -----------------------------------------------------------------

EVENT_LABELS = {
    "submitted": "Submitted", "claimed": "Started", "progress": "Progress",
    "retried": "Queued again", "reaped": "Worker lost", "handed_back": "Handed back",
    "cancel_requested": "Cancel requested", "completed": "Completed", "failed": "Failed",
    "cancelled": "Cancelled",
}


@dataclass
class TimelineStep:
    at: Any
    label: str
    detail: str


@dataclass
class Timeline:
    steps: list[TimelineStep]
    queued_for: str
    ran_for: str
    attempts: int
    workers: list[str]


def _event_detail(event) -> str:
    data = event.data
    parts = {
        "claimed": f"attempt {data.get('attempt', '')} on {data.get('worker', '?')}",
        "progress": f"{data.get('current')}/{data.get('total')} · {data.get('message', '')}",
        "reaped": f"{data.get('reason', '')} (attempt {data.get('attempt', '?')})",
        "retried": f"attempt {data.get('attempt', '?')} will follow",
        "failed": data.get("code", ""),
        "handed_back": f"by {data.get('worker', '?')}, which was stopping",
        "cancel_requested": f"by {data['by']}" if data.get("by") else "",
    }
    return parts.get(event.type, "")


def timeline(job: Job) -> Timeline:
    events = JobEvent.numbered(job.events.order_by("at", "pk"))
    by = f"by {job.username}" if job.username else ""
    steps = [TimelineStep(job.created_at, "Submitted", by)]
    steps += [TimelineStep(e.at, EVENT_LABELS.get(e.type, e.type), _event_detail(e))
              for e in events]
    claims = [e for e in events if e.type == "claimed"]
    first_start = claims[0].at if claims else None
    end = job.completed_at
    return Timeline(
        steps=steps,
        queued_for=duration_text(first_start - job.created_at) if first_start else "",
        ran_for=duration_text((end or timezone.now()) - first_start) if first_start else "",
        attempts=max((e.data["attempt"] for e in claims), default=0),
        workers=list(dict.fromkeys(e.data.get("worker", "") for e in claims)),
    )

