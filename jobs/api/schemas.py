"""Response shapes, for the OpenAPI document (the serializers in whisper.py and
deepidv.py produce exactly these)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

WhisperStatus = Literal["PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"]


class SubmitResponse(BaseModel):
    jobId: str
    status: Literal["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]
    statusUrl: str
    message: str


class Progress(BaseModel):
    current: int
    total: int
    message: str
    percentage: float | None = None


class JobError(BaseModel):
    code: str
    message: str
    details: str
    timestamp: str


class Job(BaseModel):
    id: str
    status: WhisperStatus
    type: str
    params: dict[str, Any]
    progress: Progress
    result: dict[str, Any] | None
    error: JobError | None
    createdAt: str
    updatedAt: str
    completedAt: str | None
    metadata: dict[str, str]
    username: str


class JobSummaryError(BaseModel):
    code: str
    message: str


class JobSummary(BaseModel):
    jobId: str
    type: str
    status: WhisperStatus
    createdAt: str
    completedAt: str | None
    progress: Progress
    error: JobSummaryError | None


class JobList(BaseModel):
    jobs: list[JobSummary]
    total: int
    limit: int
    offset: int
    status: WhisperStatus | None


class AsyncJob(BaseModel):
    jobId: str
    status: Literal["pending", "processing", "ready", "failed"]
    createdAt: int = Field(description="epoch milliseconds")
    updatedAt: str
    result: dict[str, Any] | None = Field(None, description="present only when ready")
    error: str | None = Field(None, description="present only when failed")


class ErrorEnvelope(BaseModel):
    status: int
    error: str
    message: str
    details: dict[str, Any]
    timestamp: str
    trace_id: str
    path: str
    retryAfter: int | None = Field(None, description="seconds; only with 429")


class Quota(BaseModel):
    category: str
    limit: int
    windowSeconds: int
    used: int
    remaining: int
    resetAt: str


class Quotas(BaseModel):
    quotas: list[Quota]


class JobEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    at: str
    type: Literal["submitted", "claimed", "progress", "retried", "reaped", "cancel_requested",
                  "completed", "failed", "cancelled", "handed_back"]


class JobTimeline(BaseModel):
    jobId: str
    events: list[JobEvent] = Field(description="Oldest first. Besides at and type, each "
                                               "event carries its own fields: by, worker, "
                                               "attempt, current, total, message, reason, code.")
class WebhookPayload(JobSummary):
    """The body of every webhook delivery (signed per Standard Webhooks)."""

    statusUrl: str


class StreamStatusEvent(BaseModel):
    """``event: status`` of a job's event stream."""

    jobId: str
    status: str
