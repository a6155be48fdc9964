"""What a capture request may say: the page, the browser options and an optional schedule."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from jobs.net.names import NotAName, host_name

_CONFIG = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

Frequency = Literal["hourly", "every_6_hours", "every_12_hours", "twice_daily", "daily",
                    "weekly", "monthly"]
# Each named frequency as the cron expression it stands for.
FREQUENCY_CRON = {
    "hourly": "0 * * * *",
    "every_6_hours": "0 */6 * * *",
    "every_12_hours": "0 */12 * * *",
    "twice_daily": "0 0,12 * * *",
    "daily": "0 0 * * *",
    "weekly": "0 0 * * 0",
    "monthly": "0 0 1 * *",
}
MAX_URL_LENGTH = 2048
JOB_TYPE = "screenshot"


_ADDRESS_SPELLING = re.compile(r"[0-9a-fx.:]+")


class Options(BaseModel):
    model_config = _CONFIG

    width: int = Field(1920, ge=320, le=7680, description="Viewport width in pixels.")
    height: int = Field(1080, ge=240, le=4320, description="Viewport height in pixels.")
    full_page: bool = Field(False, description="The whole page, not just the viewport "
                                               "(up to the height limit).")
    wait_time: int = Field(2000, ge=0, le=30000,
                           description="Milliseconds to wait after the page loaded.")
    format: Literal["png", "jpeg", "webp"] = Field("png", description="Image format.")
    quality: int = Field(90, ge=1, le=100, description="jpeg and webp quality.")
    user_agent: str | None = Field(None, max_length=512, description="User-Agent header.")
    javascript: bool = Field(True, description="Run the page's scripts.")
    block_ads: bool = Field(False, description="Refuse known ad and tracker hosts.")
    accept_cookies: bool = Field(True, description="Click the cookie-consent button.")


class ScheduleSpec(BaseModel):
    model_config = _CONFIG

    cron: str | None = Field(None, max_length=120, description="A cron expression.")
    frequency: Frequency | None = Field(None, description="Or a named frequency.")
    timezone: str = Field("UTC", max_length=64, description="Time zone of the cron times.")
    retention_count: int = Field(30, ge=1, le=1000, description="Captures kept.")
    enabled: bool = Field(True, description="Whether it runs.")

    @field_validator("cron")
    @classmethod
    def real_cron(cls, value: str | None) -> str | None:
        if value is not None and not croniter.is_valid(value.strip()):
            raise ValueError("not a valid cron expression (five fields, e.g. '0 */6 * * *')")
        return value.strip() if value else None

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a known time zone (e.g. UTC, Europe/Berlin)") from None
        return value

    @model_validator(mode="after")
    def one_rhythm(self) -> ScheduleSpec:
        if not self.cron and not self.frequency:
            raise ValueError("give a cron expression or a frequency")
        if self.cron and self.frequency:
            raise ValueError("give a cron expression or a frequency, not both")
        return self

    @property
    def expression(self) -> str:
        return self.cron or FREQUENCY_CRON[self.frequency]


class Params(BaseModel):
    model_config = _CONFIG

    url: str = Field(description="The page to capture (http or https).")
    options: Options = Field(default_factory=Options)
    schedule: ScheduleSpec | None = Field(None, description="Capture it again on a schedule.")

    @field_validator("url", mode="before")
    @classmethod
    def web_url(cls, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("an http or https URL is expected")
        text = value.strip()
        if "://" not in text:
            text = f"http://{text}"
        if len(text) > MAX_URL_LENGTH:
            raise ValueError(f"longer than {MAX_URL_LENGTH} characters")
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise ValueError("not a valid URL") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise ValueError("only http and https pages can be captured")
        if not parts.hostname:
            raise ValueError("the URL has no host")
        # Address spellings (127.1, 0x7f.1, IPv6) are the target policy's to judge.
        # Browsers take underscores in names (some real subdomains have them).
        if not _ADDRESS_SPELLING.fullmatch(parts.hostname):
            try:
                host_name(parts.hostname.replace("_", "u"))
            except NotAName:
                raise ValueError("the URL's host is not a valid host name") from None
        return text
