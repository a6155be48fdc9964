"""Reading requests: JSON bodies, query strings, and pydantic errors as the envelope."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from jobs.api.errors import ApiError
from jobs.models import JobStatus
from jobs.operations import known_types
from jobs.validation import validation_details

JSON_TYPES = ("application/json",)


def read_json_object(request) -> dict[str, Any]:
    raw = request.body  # RequestDataTooBig (413) is raised here for oversize bodies
    if not raw.strip():
        raise ApiError(400, "The request body is empty; a JSON object is expected.",
                       details={"body": ["empty"]})
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type not in JSON_TYPES and not content_type.endswith("+json"):
        raise ApiError(415, "Send the body as JSON with Content-Type: application/json.")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, f"The request body is not valid JSON ({_json_reason(exc)}).",
                       details={"body": ["malformed JSON"]}) from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.",
                       details={"body": ["expected an object"]})
    return body


def _json_reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return "not UTF-8"


def validate(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(validation_details(exc)) from None


def invalid(details: dict[str, list[str]], error: str = "validation_error") -> ApiError:
    field, messages = next(iter(details.items()))
    return ApiError(400, f"{field}: {messages[0]}", error=error, details=details)


# Past any real list; and a bigger number would not fit the database's integers.
MAX_OFFSET = 1_000_000_000


class JobListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: JobStatus | None = None
    type: str | None = None
    limit: int = Field(50, ge=1, le=100)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)

    @field_validator("status", mode="before")
    @classmethod
    def upper_status(cls, value):
        return value.upper() if isinstance(value, str) else value

    @field_validator("type")
    @classmethod
    def known_type(cls, value):
        if value is not None and value not in known_types():
            raise ValueError(f"unknown job type; one of {', '.join(known_types())}")
        return value


LIST_PARAMETERS = ("status", "type", "limit", "offset")


def list_query(request) -> JobListQuery:
    # An empty value (``?status=&type=``) means "no filter", as the published clients send.
    repeated = {key: ["given more than once"] for key in LIST_PARAMETERS
                if len(request.GET.getlist(key)) > 1}
    if repeated:
        raise invalid(repeated)
    data = {key: request.GET[key] for key in LIST_PARAMETERS
            if request.GET.get(key, "") != ""}
    return validate(JobListQuery, data)

