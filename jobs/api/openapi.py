"""The OpenAPI document for /v1, built from the same pydantic models the views use."""

from __future__ import annotations

from functools import cache

from django.http import JsonResponse
from pydantic.json_schema import models_json_schema

from jobs.api import schemas
from jobs.api.decorators import allow_methods
from jobs.api.inputs import MAX_OFFSET
from jobs.operations import specs

REF = "#/components/schemas/{model}"
ERRORS = {
    "400": "Invalid input (validation_error or target_not_allowed)",
    "401": "Missing or invalid API key",
    "404": "No such job in this organization",
    "409": "Conflict",
    "413": "Body too large",
    "415": "Body is not JSON",
    "429": "Rate limited",
    "503": "The database or the broker is briefly unavailable (see Retry-After)",
}


def _ref(model) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _errors(*codes: str) -> dict:
    return {code: _json(schemas.ErrorEnvelope, ERRORS[code]) for code in codes}


JOB_ID = {"name": "jobId", "in": "path", "required": True,
          "schema": {"type": "string", "format": "uuid"}}


def job_links(job_id: str, *, cancel: bool = True) -> dict:
    """OpenAPI links from an answer naming a job (``job_id``, a runtime expression such
    as ``$response.body#/jobId``) to what a client does next: read it in either dialect,
    follow its timeline, cancel it. Clients and fuzzers follow them: submit, read,
    cancel."""
    links = {
        "GetJob": {"operationId": "get_job", "parameters": {"jobId": job_id}},
        "GetAsyncJob": {"operationId": "get_async_job", "parameters": {"jobId": job_id}},
        "GetJobEvents": {"operationId": "get_job_events", "parameters": {"jobId": job_id}},
    }
    if cancel:
        links["CancelJob"] = {"operationId": "cancel_job", "parameters": {"jobId": job_id}}
    return links


def _submit_operations():
    for spec in specs():
        request = _named_model(spec.type, "Request", spec.params)
        result = _named_model(spec.type, "Result", spec.result)
        for route in spec.routes:
            yield route.path, spec, request, result


def _named_model(job_type: str, suffix: str, model):
    """The operation's model under a name of its own (every operation calls it Params)."""
    name = "".join(part.title() for part in job_type.split("_")) + suffix
    return type(name, (model,), {"__doc__": model.__doc__, "__module__": model.__module__})


def _or_empty(schema: dict) -> dict:
    """A query parameter the published clients may send empty (``?limit=``): no value."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}],
            "description": "An empty value means the default."}


@cache
def build_document() -> dict:
    submits = list(_submit_operations())
    results = list(dict.fromkeys(r for _p, _s, _m, r in submits))
    own_paths = [p for spec in specs() for p in spec.api_paths]
    own_models = [m for p in own_paths for m in (p.request, p.answer) if m is not None]
    models = list(dict.fromkeys(m for _p, _s, m, _r in submits)) + results + [
        *dict.fromkeys(m for m in own_models if m is not schemas.SubmitResponse),
        schemas.SubmitResponse, schemas.Job, schemas.JobList, schemas.AsyncJob,
        schemas.ErrorEnvelope, schemas.Quotas, schemas.JobTimeline, schemas.WebhookPayload,
        schemas.StreamStatusEvent, schemas.Progress]
    modes = [(m, "serialization" if m in results else "validation") for m in models]
    refs, defs = models_json_schema(modes, ref_template=REF, by_alias=True)
    # Two operations may both call their model "Params": pydantic gives each a unique
    # name in the document, so take the reference it made rather than the class name.
    body = {m: refs[(m, mode)] for m, mode in modes}
    schemas_ = defs.get("$defs", {})
    _document_results(schemas_, [body[r] for r in results])
    _document_callback(schemas_, [body[m] for _p, _s, m, _r in submits])
    paths: dict[str, dict] = {}
    for route, spec, model, _result in submits:
        paths[f"/v1/{route}"] = {"post": {
            "operationId": f"submit_{route.replace('/', '_').replace('-', '_')}",
            "summary": f"Start a {spec.type} job: {spec.label}",
            "description": spec.description,
            "tags": ["operations"],
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string"}}],
            "requestBody": {"required": True,
                            "content": {"application/json": _with_example(
                                {"schema": body[model]}, spec.example)}},
            "responses": {"202": {**_json(schemas.SubmitResponse, "Job accepted"),
                                  "links": job_links("$response.body#/jobId")},
                          **_errors("400", "401", "409", "413", "415", "429", "503")},
            "callbacks": {"jobEnded": CALLBACK},
        }}
    paths["/v1/ops/jobs/{jobId}"] = {"get": {
        "operationId": "get_job", "summary": "Read a job", "tags": ["jobs"],
        "description": "With `wait`, answers as soon as the job's status or progress "
                       "changes, or after `wait` seconds with the current state (an ended "
                       "job answers at once). Waiting requests are bounded per server "
                       "process: past the bound the answer is 429 with Retry-After.",
        "parameters": [JOB_ID, WAIT],
        "responses": {"200": {**_json(schemas.Job, "The job"),
                              "links": job_links("$response.body#/id")},
                      **_errors("400", "401", "404", "429")}}}
    paths["/v1/ops/jobs/{jobId}/stream"] = {"get": {
        "operationId": "stream_job", "summary": "Follow a job as server-sent events",
        "tags": ["jobs"], "description": STREAM_DESCRIPTION,
        "parameters": [JOB_ID, {"name": "Last-Event-ID", "in": "header", "required": False,
                                "schema": {"type": "string"},
                                "description": "Resume after the last event received."}],
        "responses": {"200": {"description": "The event stream",
                              "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                      "204": {"description": "Last-Event-ID names the final event: "
                                             "nothing more will come"},
                      **_errors("401", "404", "429")}}}
    paths["/v1/ops/jobs/list"] = {"get": {
        "operationId": "list_jobs", "summary": "Recent jobs, newest first", "tags": ["jobs"],
        "parameters": [
            {"name": "status", "in": "query", "schema": {"type": "string"}},
            {"name": "type", "in": "query", "schema": {"type": "string"}},
            {"name": "limit", "in": "query", "schema": _or_empty(
                {"type": "integer", "minimum": 1, "maximum": 100, "default": 50})},
            {"name": "offset", "in": "query", "schema": _or_empty(
                {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0})}],
        # No links: a page may be empty, and a link to its first job then leads nowhere.
        "responses": {"200": _json(schemas.JobList, "A page of jobs"),
                      **_errors("400", "401", "429")}}}
    paths["/v1/ops/jobs/{jobId}/cancel"] = {"post": {
        "operationId": "cancel_job", "summary": "Cancel a job", "tags": ["jobs"],
        "parameters": [JOB_ID],
        "responses": {"200": {**_json(schemas.Job, "The cancelled job"),
                              "links": job_links("$response.body#/id", cancel=False)},
                      **_errors("401", "404", "409", "429")}}}
    paths["/v1/ops/jobs/{jobId}/events"] = {"get": {
        "operationId": "get_job_events", "summary": "A job's timeline", "tags": ["jobs"],
        "parameters": [JOB_ID],
        "responses": {"200": _json(schemas.JobTimeline, "Every move, oldest first"),
                      **_errors("401", "404", "429")}}}
    paths["/v1/ops/quotas"] = {"get": {
        "operationId": "get_quotas", "summary": "This key's rate limits and usage",
        "tags": ["jobs"],
        "responses": {"200": _json(schemas.Quotas, "Limits and usage per category"),
                      **_errors("401")}}}
    paths["/v1/async-jobs/{jobId}"] = {"get": {
        "operationId": "get_async_job", "summary": "Read a job (deepidv dialect)",
        "tags": ["deepidv"], "parameters": [JOB_ID],
        "responses": {"200": _json(schemas.AsyncJob, "The job"),
                      "400": _json(schemas.ErrorEnvelope, "jobId is not a UUID"),
                      "401": _json(schemas.ErrorEnvelope, "Invalid API key"),
                      "403": _json(schemas.ErrorEnvelope,
                                   "No key, or the job belongs to another organization"),
                      "404": _json(schemas.ErrorEnvelope, "No such job")}}}
    for own in own_paths:
        paths.setdefault(f"/v1/{own.path}", {})[own.method] = _own_path(own, body)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Security operations jobs API", "version": "1.0.0",
                 "description": "Start long security operations as jobs and read them in "
                                "the Whisper ops or deepidv async-jobs dialect."},
        "paths": paths,
        "components": {
            "schemas": schemas_,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
        },
        "security": [{"bearer": []}, {"apiKey": []}],
    }


def _own_path(own, body: dict) -> dict:
    """An operation's own endpoint (``ApiPath``) as an OpenAPI operation."""
    if own.answer is not None:
        success = {"description": own.answer_description or own.summary,
                   "content": {"application/json": {"schema": body[own.answer]}}}
    else:
        success = {"description": own.answer_description or own.summary,
                   "content": dict(own.media)}
    errors = {code: {"description": text or ERRORS[code],
                     "content": {"application/json": {"schema": _ref(schemas.ErrorEnvelope)}}}
              for code, text in own.errors.items()}
    if own.answer is schemas.SubmitResponse:
        success["links"] = job_links("$response.body#/jobId")
    if own.links:
        success["links"] = {**success.get("links", {}), **own.links}
    operation = {"operationId": own.operation_id, "summary": own.summary,
                 "tags": ["operations"], "parameters": list(own.parameters),
                 "responses": {own.status: success, **errors}}
    if own.request is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": _with_example({"schema": body[own.request]}, own.example)}}
    if own.public:
        operation["security"] = []
    return operation


def _with_example(media: dict, example) -> dict:
    return media if example is None else {**media, "example": dict(example)}


WAIT = {"name": "wait", "in": "query", "required": False,
        "description": "Hold the request until the job moves, at most this many seconds.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 30}}
STREAM_DESCRIPTION = (
    "`text/event-stream`. Events: `status` (StreamStatusEvent) when the status changes, "
    "`progress` (Progress) when progress changes, and a final `result` (Job, with its "
    "result or error) after which the server closes the stream. Every event carries an "
    "`id`; reconnecting with `Last-Event-ID` sends only what changed since. Comments "
    "(`: keep-alive`) arrive every 15 s while nothing moves.")
CALLBACK = {"{$request.body#/callbackUrl}": {"post": {
    "summary": "The job ended (job.completed, job.failed or job.cancelled)",
    "description": "Signed per Standard Webhooks: `webhook-id`, `webhook-timestamp`, "
                   "`webhook-signature` (HMAC-SHA256 over id.timestamp.body with the "
                   "organization's callback secret). A 2xx answer ends it; timeouts, 5xx "
                   "and 429 (Retry-After honoured) are retried with back-off for 24 h; "
                   "other answers, and redirects, are not.",
    "parameters": [{"name": n, "in": "header", "required": True, "schema": {"type": "string"}}
                   for n in ("webhook-id", "webhook-timestamp", "webhook-signature")],
    "requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": REF.format(model="WebhookPayload")}}}},
    "responses": {"2XX": {"description": "Received"}}}}}


def _document_callback(schemas_: dict, request_refs: list[dict]) -> None:
    """Any submit body may carry ``callbackUrl`` (or ``callback_url``)."""
    for ref in request_refs:
        schema = schemas_.get(ref["$ref"].rsplit("/", 1)[-1])
        if schema is not None:
            schema.setdefault("properties", {})["callbackUrl"] = {
                "anyOf": [{"type": "string", "format": "uri", "maxLength": 2000},
                          {"type": "null"}],
                "description": "Told with a signed POST when the job ends (our addition); "
                               "obeys the target policy like any target. Null: none."}


def _document_results(schemas_: dict, result_refs: list[dict]) -> None:
    """A job's ``result`` is one of the operations' result documents (by its ``type``)."""
    nullable = {"anyOf": [*result_refs, {"type": "null"}],
                "description": "Set only when COMPLETED; its shape depends on the job's type."}
    for name in ("Job", "AsyncJob"):
        schemas_[name]["properties"]["result"] = nullable


def openapi_view(request):

    @allow_methods("GET")
    def view(request):
        return JsonResponse(build_document())

    return view(request)
