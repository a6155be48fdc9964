"""Pydantic's validation errors as the field -> messages map every 400 answer carries."""

from __future__ import annotations

from pydantic import ValidationError


def validation_details(exc: ValidationError) -> dict[str, list[str]]:
    details: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        field = ".".join(str(part) for part in err["loc"]) or "body"
        message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        details.setdefault(field, []).append(message)
    return details
