"""Value formats the API contract fixes."""

from datetime import UTC, datetime


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds and Z: 2026-06-05T12:00:00.000Z."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)
