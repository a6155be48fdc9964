"""The job page's live part as server-sent events (htmx's SSE extension swaps it in).

Each change of the job sends the page's ``progress`` fragment, rendered without its
polling attributes; the end sends the last fragment and ``done``, which closes the
stream. A browser that cannot open the stream keeps polling as before.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string

from jobs.push import watch
from jobs.web import selectors
from jobs.web.orgs import current_organization

KEEPALIVE_SECONDS = 15.0


def _own_job(request, job_id):
    if not request.user.is_authenticated:
        raise Http404("No such job")
    organization = current_organization(request)
    if organization is None:
        raise Http404("No such job")
    return organization, selectors.job_get(organization=organization, job_id=job_id)


def _fragment(request, organization, job_id) -> tuple[object, str]:
    from jobs.web.views import detail_context

    job = selectors.job_get(organization=organization, job_id=job_id)
    context = {**detail_context(job, request), "streaming": True}
    return job, render_to_string("jobs/detail.html#progress", context, request)


def _sse(name: str, html: str) -> bytes:
    data = "\n".join(f"data: {line}" for line in html.strip().splitlines())
    return f"event: {name}\n{data}\n\n".encode()


async def job_events(request, job_id):
    organization, job = await sync_to_async(_own_job)(request, job_id)
    ticket = watch.streams.ticket()
    if ticket is None:
        return HttpResponse("Too many open streams; the page keeps polling.", status=503,
                            headers={"Retry-After": "5"})
    response = StreamingHttpResponse(_stream(request, organization, job.pk, ticket),
                                     content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response._resource_closers.append(ticket.release)
    return response


async def _stream(request, organization, job_id, ticket):
    render = sync_to_async(_fragment, thread_sensitive=False)
    try:
        while True:
            try:
                job, html = await render(request, organization, job_id)
            except Http404:
                return  # deleted while watched
            yield _sse("update", html)
            if job.is_terminal:
                yield b"event: done\ndata: done\n\n"
                return
            while not await watch.job_wait(job.pk, job.updated_at, KEEPALIVE_SECONDS):
                yield b": keep-alive\n\n"
    finally:
        ticket.release()
