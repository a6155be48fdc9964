"""API key authentication: ``Authorization: Bearer <key>`` or ``x-api-key: <key>``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from django.utils import timezone

from jobs import records
from jobs.api.errors import ApiError
from jobs.models import ApiKey, Organization, hash_key

# last_used_at is for people ("used 3 minutes ago"); writing it on every request would
# turn each read into a write, so it is refreshed at most this often.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Caller:
    key_id: int
    organization_id: int
    name: str
    # The count of the rate bucket asked for at sign-in (``caller_for_key``), if any.
    rate_used: int | None = None

    @property
    def organization(self) -> Organization:
        # Only the id is needed to scope queries and to save jobs: no query here. The
        # other fields are deferred (read on first use), and from_db's positional
        # construction is the model's cheapest.
        return Organization.from_db(None, ["id"], [self.organization_id])


def presented_key(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.META.get("HTTP_X_API_KEY", "").strip() or None


def caller_for_key(raw_key: str, *, bucket_suffix: str | None = None) -> Caller | None:
    """The key's caller, or None. With ``bucket_suffix`` (``ratelimit.bucket_suffix``) the
    same query reads where the key stands in that rate bucket (``Caller.rate_used``)."""
    if bucket_suffix is None:
        row = records.active_key(hash_key(raw_key))
        return None if row is None else _caller(row)
    row = records.active_key_and_count(hash_key(raw_key), bucket_suffix)
    return None if row is None else _caller(row, rate_used=row[4])


def caller_and_job(raw_key: str, job_id: uuid.UUID | None):
    """The caller and its organization's job in one query; None for a bad key."""
    found = records.active_key_and_job(hash_key(raw_key), job_id)
    if found is None:
        return None
    key_row, job = found
    return _caller(key_row), job


def _caller(row, *, rate_used: int | None = None) -> Caller:
    touch_key(row[0], row[3])
    return Caller(key_id=row[0], organization_id=row[1], name=row[2], rate_used=rate_used)


def caller_from_row(key) -> Caller:
    """The caller of a key found by the statement that saved its job
    (``records.KeyedSubmission``)."""
    touch_key(key.key_id, key.last_used_at)
    return Caller(key_id=key.key_id, organization_id=key.organization_id, name=key.name)


def touch_key(key_id: int, last_used_at: datetime | None, *, now=None) -> None:
    now = now or timezone.now()
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key_id).update(last_used_at=now)


MISSING_KEY = "An API key is required (Authorization: Bearer <key> or x-api-key: <key>)."
INVALID_KEY = "The API key is not valid or was revoked."


def required_key(request, *, status_if_missing: int = 401) -> str:
    raw = presented_key(request)
    if raw is None:
        raise ApiError(status_if_missing, MISSING_KEY)
    return raw


def request_caller(request, *, bucket_suffix: str | None = None) -> Caller:
    """Sets and returns ``request.caller``; a missing or unknown key is 401."""
    caller = caller_for_key(required_key(request), bucket_suffix=bucket_suffix)
    if caller is None:
        raise ApiError(401, INVALID_KEY)
    request.caller = caller
    return caller


def require_api_key(view):
    """Sets ``request.caller``; a missing or unknown key is 401."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request_caller(request)
        return view(request, *args, **kwargs)

    return wrapper
