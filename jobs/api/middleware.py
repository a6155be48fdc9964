"""Keeps every /v1 answer in the JSON envelope, whatever went wrong and wherever."""

from __future__ import annotations

import logging
import uuid

from django.core.exceptions import RequestDataTooBig
from django.http import Http404

from jobs.api.errors import STATUS_ERRORS, ApiError, error_response, from_exception

log = logging.getLogger("jobs.api")

API_PREFIX = "/v1/"
_PLAIN = {
    400: "The request could not be read.",
    403: "The request was refused.",
    404: "Not found.",
    405: "This method is not allowed here.",
    413: "The request body is too large.",
    500: "Something went wrong on our side. The error was logged with this trace_id.",
}


OUTAGE_RETRY_AFTER = 5


def is_api_request(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _is_outage(exc: Exception) -> bool:
    from django.db import InterfaceError, OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return isinstance(exc, OperationalError | InterfaceError | RedisConnectionError
                      | RedisTimeoutError)


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_request(request):
            return self.get_response(request)
        request.trace_id = uuid.uuid4().hex
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            # Something outside our views answered (URL resolver, CSRF, host check,
            # Django's own 500 page): put it in the envelope with a plain message.
            response = error_response(
                request, response.status_code if response.status_code in STATUS_ERRORS else 500,
                _PLAIN.get(response.status_code, "The request could not be handled."))
        response["X-Trace-Id"] = request.trace_id
        state = getattr(request, "rate_state", None)
        if state is not None and not response.has_header("RateLimit-Policy"):
            # (A 429 answer carries them already.)
            for name, value in state.headers().items():
                response[name] = value
        return response

    def process_exception(self, request, exc):
        if not is_api_request(request):
            return None
        if isinstance(exc, ApiError):
            return from_exception(request, exc)
        if isinstance(exc, RequestDataTooBig):
            return error_response(request, 413, "The request body is too large.")
        if isinstance(exc, Http404):
            return error_response(request, 404, "Not found.")
        if _is_outage(exc):
            # The database or the broker did not answer (a restart, a failover): nothing
            # was accepted, and a retry soon will most likely go through.
            log.warning("%s on %s %s (trace %s): %s", type(exc).__name__, request.method,
                        request.path, getattr(request, "trace_id", "-"), exc)
            return error_response(request, 503, "The service is briefly unavailable; "
                                  "nothing was changed. Try again shortly.",
                                  headers={"Retry-After": str(OUTAGE_RETRY_AFTER)},
                                  extra={"retryAfter": OUTAGE_RETRY_AFTER})
        log.exception("unhandled error on %s %s (trace %s)", request.method, request.path,
                      getattr(request, "trace_id", "-"))
        return error_response(request, 500, "Something went wrong on our side. "
                              "The error was logged with this trace_id.")
