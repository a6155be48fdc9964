"""The one error envelope every /v1 response uses."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, JsonResponse

from jobs.api.formats import iso

STATUS_ERRORS = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """Raise from a view to answer with the envelope."""

    def __init__(self, status: int, message: str, *, error: str | None = None,
                 details: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.error = error or STATUS_ERRORS[status]
        self.message = message
        self.details = details
        self.headers = headers or {}
        self.extra = extra or {}


def error_response(request: HttpRequest, status: int, message: str, *,
                   error: str | None = None, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None,
                   extra: dict[str, Any] | None = None) -> JsonResponse:
    from django.utils import timezone

    body = {
        "status": status,
        "error": error or STATUS_ERRORS[status],
        "message": message,
        "details": details if details is not None else {},
        "timestamp": iso(timezone.now()),
        "trace_id": getattr(request, "trace_id", None) or uuid.uuid4().hex,
        "path": request.path,
        **(extra or {}),
    }
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def from_exception(request: HttpRequest, exc: ApiError) -> JsonResponse:
    return error_response(request, exc.status, exc.message, error=exc.error,
                          details=exc.details, headers=exc.headers, extra=exc.extra)
