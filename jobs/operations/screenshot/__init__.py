"""Website screenshots: capture a page safely in a real browser, keep it, watch it change."""

from jobs.operations.screenshot import api_doc, operation, params, result, urls, web
from jobs.operations.spec import OperationSpec, Periodic, Presenter, Route

SPEC = OperationSpec(
    type=params.JOB_TYPE,
    label="Website screenshot",
    description="A real browser photographs a page through the target policy and keeps "
                "the evidence: redirects, blocked requests, server, TLS, headers and a "
                "perceptual hash to find look-alike pages. Optionally on a schedule.",
    params=params.Params,
    result=result.Result,
    run=operation.run,
    timeout=operation.TIMEOUT,
    routes=(Route("ops/screenshots/capture", "screenshots"),),
    example={"url": "https://example.com/", "options": {"fullPage": True}},
    target=operation.target,
    literal_targets=operation.literal_targets,
    presenter=Presenter(template="operations/screenshot/result.html",
                        context=web.result_context, summary=web.result_summary,
                        tables=web.TABLES),
    schedulable=True,
    error_headings={"TARGET_NOT_ALLOWED": "This page is not an allowed target",
                    "BROWSER_CRASHED": "The browser crashed",
                    "SCHEDULE_LIMIT": "No room for another schedule"},
    api_urls=urls.api_urlpatterns,
    api_paths=api_doc.API_PATHS,
    web_urls=urls.web_urlpatterns,
    periodic=(Periodic("screenshots: fire due schedules",
                       "jobs.operations.screenshot.schedules.fire_due_schedules", 1),),
)
