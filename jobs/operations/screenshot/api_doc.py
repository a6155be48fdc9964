"""The schedule, history and image endpoints as the OpenAPI document shows them.

The answers' models mirror what ``api.py`` returns (API.md, "Screenshot schedules");
a test holds each live answer against its model.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jobs.api.schemas import SubmitResponse
from jobs.operations.screenshot.params import Params, ScheduleSpec
from jobs.operations.spec import ApiPath

_ANSWER = ConfigDict(extra="forbid")


class ScreenshotScheduleRequest(Params):
    """A capture body whose ``schedule`` is required."""

    schedule: ScheduleSpec = Field(description="When to capture the page again.")


class ScreenshotScheduleOptions(BaseModel):
    """A schedule's capture options as its object shows them: snake_case, every one."""

    model_config = _ANSWER

    width: int
    height: int
    full_page: bool
    wait_time: int
    format: str
    quality: int
    user_agent: str | None
    javascript: bool
    block_ads: bool
    accept_cookies: bool


class ScreenshotSchedule(BaseModel):
    model_config = _ANSWER

    id: str = Field(description="The schedule's id (a UUID).")
    url: str
    username: str
    cron: str | None
    frequency: str | None
    timezone: str
    enabled: bool
    options: ScreenshotScheduleOptions
    retention_count: int
    created_at: str | None
    updated_at: str | None
    last_capture_at: str | None
    next_capture_at: str | None
    capture_count: int


class ScreenshotScheduleList(BaseModel):
    model_config = _ANSWER

    count: int
    max_schedules: int
    max_screenshots_per_schedule: int
    schedules: list[ScreenshotSchedule]


class ScreenshotScheduleDeleted(BaseModel):
    model_config = _ANSWER

    success: bool
    message: str
    id: str


class ScreenshotHistoryCleared(BaseModel):
    model_config = _ANSWER

    success: bool
    message: str
    deleted: int = Field(description="Captures removed.")


class ScreenshotHistoryEntry(BaseModel):
    model_config = _ANSWER

    url: str = Field(description="Signed link to the image (no key needed).")
    captured_at: str | None
    format: str
    dimensions: str
    file_size: int
    screenshot_id: str
    job_id: str
    phash: str
    change_distance: int | None = Field(description="Our addition: perceptual distance "
                                                    "from the previous capture.")
    changed: bool | None


class ScreenshotHistorySchedule(BaseModel):
    model_config = _ANSWER

    schedule_id: str
    url: str
    screenshots: list[ScreenshotHistoryEntry]


class ScreenshotHistory(BaseModel):
    model_config = _ANSWER

    target: str
    schedules: list[ScreenshotHistorySchedule]
    total_screenshots: int
    limit: int


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


NO_SCHEDULE = {"404": "No schedule with this id in this organization"}


def _schedule_links(schedule_id: str, *, read: bool) -> dict[str, Any]:
    """OpenAPI links from an answer naming a schedule to what is done with it next."""
    targets = {"GetSchedule": "get_screenshot_schedule"} if read else {}
    targets |= {"ClearScheduleHistory": "clear_screenshot_history",
                "DeleteSchedule": "delete_screenshot_schedule"}
    return {name: {"operationId": operation, "parameters": {"scheduleId": schedule_id}}
            for name, operation in targets.items()}

API_PATHS = (
    ApiPath("ops/screenshots/schedule", "post", "create_screenshot_schedule",
            "Create a recurring capture and start its first run", status="202",
            answer=SubmitResponse, answer_description="The first capture's job",
            request=ScreenshotScheduleRequest,
            example={"url": "https://example.com/",
                     "schedule": {"frequency": "daily", "retentionCount": 10}},
            errors={"400": "", "401": "", "409": "No room for another schedule", "413": "",
                    "415": "", "429": "", "503": ""}),
    ApiPath("ops/screenshots/schedules", "get", "list_screenshot_schedules",
            "This organization's schedules", answer=ScreenshotScheduleList,
            errors={"401": "", "429": "", "503": ""},
            # Its first schedule: creating one answers with the first capture's job, so
            # the list is the one answer that names schedules.
            links=_schedule_links("$response.body#/schedules/0/id", read=True)),
    ApiPath("ops/screenshots/schedules/{scheduleId}", "get", "get_screenshot_schedule",
            "One schedule", answer=ScreenshotSchedule,
            parameters=(_path_id("scheduleId"),),
            errors={"401": "", **NO_SCHEDULE, "429": "", "503": ""},
            links=_schedule_links("$response.body#/id", read=False)),
    ApiPath("ops/screenshots/schedules/{scheduleId}", "delete", "delete_screenshot_schedule",
            "Delete a schedule (its captures stay until their jobs expire)",
            answer=ScreenshotScheduleDeleted, parameters=(_path_id("scheduleId"),),
            errors={"401": "", **NO_SCHEDULE, "429": "", "503": ""}),
    ApiPath("ops/screenshots/schedules/{scheduleId}/history", "delete",
            "clear_screenshot_history", "Delete a schedule's captures",
            answer=ScreenshotHistoryCleared, parameters=(_path_id("scheduleId"),),
            errors={"401": "", **NO_SCHEDULE, "429": "", "503": ""}),
    ApiPath("ops/screenshots/history", "get", "get_screenshot_history",
            "Captures of the schedules of one page or host", answer=ScreenshotHistory,
            parameters=(
                {"name": "target", "in": "query", "required": True,
                 "description": "A page URL, or a host for every schedule on it.",
                 "schema": {"type": "string", "minLength": 1}},
                {"name": "limit", "in": "query", "required": False,
                 "description": "Captures per schedule, newest first.",
                 "schema": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 1000,
                                       "default": 50},
                                      {"type": "string", "maxLength": 0}]}}),
            errors={"400": "", "401": "", "429": "", "503": ""}),
    ApiPath("ops/screenshots/image/{token}", "get", "get_screenshot_image",
            "A captured image by its signed link", public=True,
            answer_description="The image (png, jpeg or webp)",
            media={"image/png": {"schema": {"type": "string", "format": "binary"}},
                   "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                   "image/webp": {"schema": {"type": "string", "format": "binary"}}},
            parameters=(_path_id("token"),
                        {"name": "download", "in": "query", "required": False,
                         "description": "Present: served as an attachment.",
                         "schema": {"type": "string"}}),
            errors={"404": "No such image, or it expired"}),
)
