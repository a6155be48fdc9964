"""The screenshot result: the published fields first, then what the evidence adds."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

_CONFIG = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Redirect(BaseModel):
    model_config = _CONFIG
    url: str
    status: int | None = None
    location: str | None = None


class Blocked(BaseModel):
    model_config = _CONFIG
    url: str
    host: str
    port: int
    reason: str
    refused: bool = Field(description="True when the target policy refused it.")


class Similar(BaseModel):
    model_config = _CONFIG
    screenshot_id: str
    job_id: str
    page_url: str
    captured_at: str
    distance: int


class Change(BaseModel):
    model_config = _CONFIG
    schedule_id: str
    previous_screenshot_id: str | None = None
    distance: int | None = None
    changed: bool | None = None


class NetworkEntry(BaseModel):
    model_config = _CONFIG
    url: str
    method: str
    resource_type: str
    status: int | None = None
    size: int | None = None
    blocked: bool = False
    failure: str | None = None


class ConsoleMessage(BaseModel):
    model_config = _CONFIG
    type: str
    text: str


class Result(BaseModel):
    model_config = _CONFIG

    screenshot_id: str
    url: str = Field(description="Signed download URL of the image; works without a key.")
    page_url: str
    final_url: str
    http_status: int | None = None
    title: str = ""
    captured_at: str
    format: str
    dimensions: str = Field(description='"WIDTHxHEIGHT"')
    file_size: int
    # Beyond the published shape.
    truncated: bool = Field(False, description="A full page cut at the height limit.")
    server_ip: str | None = None
    tls: dict[str, Any] | None = None
    redirect_chain: list[Redirect] = []
    blocked_requests: list[Blocked] = []
    phash: str = ""
    similar: list[Similar] = []
    change: Change | None = None
    consent_clicked: str | None = None
    response_headers: dict[str, str] = {}
    console: list[ConsoleMessage] = []
    network: list[NetworkEntry] = []
