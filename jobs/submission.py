"""Turning a request body into a job: the one path the API and the dashboard share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from jobs import lifecycle
from jobs.models import Job
from jobs.operations import OperationSpec, get_operation
from jobs.push.targets import callback_problem
from jobs.validation import validation_details


class SubmissionInvalid(Exception):
    """``details`` maps each field (as the client spelled it) to its messages."""

    def __init__(self, details: dict[str, list[str]], error: str = "validation_error"):
        field, messages = next(iter(details.items()))
        super().__init__(f"{field}: {messages[0]}")
        self.details = details
        self.error = error
        self.message = str(self)


def params_validate(job_type: str, data: dict[str, Any]) -> tuple[OperationSpec, BaseModel]:
    """Validate a body for ``job_type``, including the target policy on literal addresses."""
    operation = get_operation(job_type)
    try:
        # Strict: each value must already have its documented JSON type (2, not "2" or
        # 2.0; true, not 1), as the OpenAPI document promises. Validators that take
        # another shape on purpose (a comma-separated list) still run first.
        params = operation.params.model_validate(data, strict=True)
    except ValidationError as exc:
        raise SubmissionInvalid(validation_details(exc)) from None
    _refuse_literal_targets(operation, params)
    return operation, params


def _refuse_literal_targets(operation: OperationSpec, params: BaseModel) -> None:
    literal_targets = operation.literal_targets
    if literal_targets is None:
        return
    from jobs.clients import target_policy

    policy = target_policy()
    details: dict[str, list[str]] = {}
    for field, host in literal_targets(params):
        reason = policy.literal_refusal(host)
        if reason:
            details.setdefault(field, []).append(reason)
    if details:
        raise SubmissionInvalid(details, error="target_not_allowed")


CALLBACK_FIELDS = ("callbackUrl", "callback_url")


def callback_split(data: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The body without its ``callbackUrl`` (any job type may carry one; it is not one
    of the operation's parameters) and the URL, checked against the target policy."""
    given = [(name, data[name]) for name in CALLBACK_FIELDS if data.get(name) is not None]
    rest = {k: v for k, v in data.items() if k not in CALLBACK_FIELDS}
    if not given:
        return rest, ""
    field, url = given[0]
    if any(value != url for _name, value in given):  # values may be any JSON, unhashable
        raise SubmissionInvalid({field: ["callbackUrl and callback_url differ; send one"]})
    problem = callback_problem(url)
    if problem:
        error = "target_not_allowed" if problem.startswith("refused: ") else "validation_error"
        raise SubmissionInvalid({field: [problem.removeprefix("refused: ")]}, error=error)
    return rest, url


@dataclass(frozen=True, slots=True)
class Submission:
    """A valid request body for one operation: the job's parameters and target, and the
    URL to tell when it ends ("" for none)."""

    job_type: str
    params: dict[str, Any]
    target: str
    callback_url: str


def submission_read(job_type: str, data: dict[str, Any]) -> Submission:
    """Validate a body for ``job_type``; raises SubmissionInvalid."""
    data, callback_url = callback_split(data)
    operation, params = params_validate(job_type, data)
    return Submission(job_type, params.model_dump(mode="json", by_alias=True, exclude_none=True),
                      operation.target(params), callback_url)


def job_start(*, organization, job_type: str, data: dict[str, Any], api_key_id=None,
              user=None, username: str, source: str, idempotency_key: str | None = None,
              charge=None,
              metadata: dict[str, str] | None = None) -> tuple[Job, bool]:
    """Validate and submit. Raises SubmissionInvalid or lifecycle.IdempotencyConflict.

    ``charge`` is the request's rate count, made with the job after validation (see
    ``lifecycle.job_submit``).
    ``metadata`` is added to the job's (e.g. what started it).
    """
    return submission_start(
        submission_read(job_type, data), organization=organization, api_key_id=api_key_id,
        user=user, username=username, source=source, idempotency_key=idempotency_key,
        charge=charge, metadata=metadata)


def submission_start(submission: Submission, *, organization, api_key_id=None, user=None,
                     username: str, source: str, idempotency_key: str | None = None,
                     charge=None, metadata: dict[str, str] | None = None) -> tuple[Job, bool]:
    """``job_start`` for a body already read (``submission_read``)."""
    return lifecycle.job_submit(
        organization=organization, job_type=submission.job_type, params=submission.params,
        target=submission.target, api_key_id=api_key_id, user=user, username=username,
        metadata={"source": source, **(metadata or {})}, idempotency_key=idempotency_key,
        charge=charge, callback_url=submission.callback_url,
    )


def submission_start_with_key(submission: Submission, *, hashed_key: str, source: str,
                              charge=None):
    """On PostgreSQL, for a submission without callback or idempotency key: find the key
    (its hash), count ``charge`` and save the job in one statement
    (``lifecycle.job_submit_with_key``, which says what it returns)."""
    return lifecycle.job_submit_with_key(
        hashed_key=hashed_key, job_type=submission.job_type, params=submission.params,
        target=submission.target, metadata={"source": source}, charge=charge)


def submits_with_key(submission: Submission, idempotency_key: str | None) -> bool:
    """Whether ``submission_start_with_key`` can take this submission."""
    return (not idempotency_key and not submission.callback_url
            and lifecycle.submits_with_key())
