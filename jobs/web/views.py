"""Dashboard pages for jobs: home, the list, a job's detail, and starting new ones.

Every view starts from ``request.organization`` (set by ``organization_required``), so
another organization's job is a 404. Status only changes through ``jobs.lifecycle``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from jobs import lifecycle
from jobs.api import whisper
from jobs.models import Job, JobStatus
from jobs.operations import UnknownOperation, get_operation
from jobs.submission import SubmissionInvalid, job_start
from jobs.web import present, selectors, webhooks
from jobs.web.forms import JobFilterForm, OperationForm
from jobs.web.orgs import WebRequest, organization_required

PAGE_SIZE = 25
HOME_LIST_SIZE = 8


@organization_required
def home(request: WebRequest):
    org = request.organization
    counts = selectors.job_status_counts(organization=org)
    active = present.with_labels(selectors.jobs_active(organization=org, limit=HOME_LIST_SIZE))
    recent = present.with_labels(selectors.jobs_finished(organization=org, limit=HOME_LIST_SIZE))
    running = counts[JobStatus.PROCESSING]
    waiting = counts[JobStatus.PENDING]
    shown_running = sum(job.status == JobStatus.PROCESSING for job in active)
    return render_refreshable(request, "home.html", "overview", "overview", {
        "status_counts": [(value, present.STATUS_LABELS[value], counts[value])
                          for value in JobStatus.values],
        "total": sum(counts.values()),
        "active_jobs": active,
        # Beyond the rows shown ("+N more"), split so each links to its own list.
        "more_running": running - shown_running,
        "more_waiting": waiting - (len(active) - shown_running),
        "recent_jobs": present.with_summaries(recent, organization=org),
        "operations": present.operations(),
        "disabled_endpoints": webhooks.disabled_endpoints(org),
    })


def render_refreshable(request, template: str, target: str, partial: str, context: dict):
    """The whole page, or only ``partial`` when htmx refreshes the element ``#target``."""
    if request.htmx and request.htmx.target == target:
        template = f"{template}#{partial}"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@organization_required
def job_list(request: WebRequest):
    form = JobFilterForm(request.GET or None)
    jobs = selectors.job_list(organization=request.organization, **form.filters())
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = present.with_summaries(present.with_labels(page.object_list),
                                   organization=request.organization)
    context = {"form": form, "page": page, "jobs": shown, "filtered": form.active,
               # The table refreshes itself as one piece (new jobs appear too): often
               # while one of its jobs runs, now and then otherwise.
               "refresh_seconds": 10 if all(job.is_terminal for job in shown) else 2}
    return render_refreshable(request, "jobs/list.html", "job-table", "table", context)


def detail_context(job: Job, request) -> dict:
    context = {
        "job": job,
        "operation_label": present.operation_label(job.type),
        "duration": present.duration_text(job.duration),
        "started_by": present.started_by(job),
        "timeline": present.timeline(job),
    }
    if job.is_terminal:
        context["raw_json"], context["raw_json_cut"] = present.pretty_json(
            whisper.job_object(job))
    if job.status == JobStatus.COMPLETED:
        context["result"] = job.result
        context.update(present.result_section(job, request))
    elif job.is_terminal:
        context["error_heading"] = present.error_heading(job)
    return context


@organization_required
def job_detail(request: WebRequest, job_id):
    job = selectors.job_get(organization=request.organization, job_id=job_id)
    context = detail_context(job, request)
    context["params_json"] = present.pretty_json(job.params)[0]
    context["deliveries"] = webhooks.job_deliveries(job)
    return render(request, "jobs/detail.html", context)


@organization_required
def job_progress(request: WebRequest, job_id):
    """The live part of the detail page. Once the job has ended it is sent one last time
    with status 286, which tells htmx to stop polling."""
    job = selectors.job_get(organization=request.organization, job_id=job_id)
    if not request.htmx:
        return redirect("job-detail", job_id=job.pk)
    html = render_to_string("jobs/detail.html#progress", detail_context(job, request), request)
    return HttpResponseStopPolling(html) if job.is_terminal else HttpResponse(html)


@organization_required
@require_POST
def job_cancel(request: WebRequest, job_id):
    org = request.organization
    job = selectors.job_get(organization=org, job_id=job_id)
    try:
        job = lifecycle.job_cancel(job_id=job.pk, organization=org, by=request.user.username)
        note = "Job cancelled."
    except lifecycle.JobAlreadyEnded as exc:
        job = exc.job
        note = "The job had already ended."
    except lifecycle.JobNotFound:
        raise Http404("No such job") from None
    if request.htmx:
        return render(request, "jobs/detail.html#progress", detail_context(job, request))
    messages.info(request, note)
    return redirect("job-detail", job_id=job.pk)


@organization_required
@require_POST
def job_rerun(request: WebRequest, job_id):
    """Start a new job with the same parameters; if they no longer pass, show the form."""
    job = selectors.job_get(organization=request.organization, job_id=job_id)
    try:
        operation = get_operation(job.type)
    except UnknownOperation:
        messages.error(request, "This kind of job is not available any more.")
        return redirect("job-detail", job_id=job.pk)
    form = OperationForm(operation.params, initial=job.params)
    return _start(request, operation.type, form, data=job.params)


@organization_required
def job_json(request: WebRequest, job_id):
    """The job as the API returns it, as a file to download."""
    job = selectors.job_get(organization=request.organization, job_id=job_id)
    response = JsonResponse(whisper.job_object(job), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="job-{job.pk}.json"'
    return response


@organization_required
def job_new_index(request: WebRequest):
    return render(request, "jobs/new_index.html", {"operations": present.operations()})


@organization_required
def job_new(request: WebRequest, job_type):
    try:
        operation = get_operation(job_type)
    except UnknownOperation:
        raise Http404("No such operation") from None
    if request.method == "POST":
        form = OperationForm(operation.params, data=request.POST)
        return _start(request, job_type, form, data=form.body)
    form = OperationForm(operation.params, initial=_copied_params(request, job_type))
    return _render_new(request, job_type, form)


def _copied_params(request: WebRequest, job_type: str) -> dict:
    """The parameters of ``?from=<job id>`` ("edit and run again"), if it is ours."""
    source = request.GET.get("from")
    if not source:
        return {}
    job = selectors.job_get(organization=request.organization, job_id=source)
    return job.params if job.type == job_type else {}


def _start(request: WebRequest, job_type: str, form: OperationForm, *, data: dict):
    try:
        job, _created = job_start(
            organization=request.organization, job_type=job_type, data=data,
            user=request.user, username=request.user.username, source="dashboard")
    except SubmissionInvalid as exc:
        form.add_errors(exc.details)
        return _render_new(request, job_type, form)
    messages.success(request, f"{present.operation_label(job_type)} started.")
    return redirect("job-detail", job_id=job.pk)


def _render_new(request: WebRequest, job_type: str, form: OperationForm):
    return render(request, "jobs/new.html", {
        "job_type": job_type,
        "operation_label": present.operation_label(job_type),
        "operation_description": present.operation_description(job_type),
        "form": form,
    })

