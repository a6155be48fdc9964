"""Webhook URLs are targets like any other: judged by the target policy."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from jobs.clients import target_policy

URL_MAX_LENGTH = 2000


def callback_problem(url: Any) -> str | None:
    """Why ``url`` cannot receive webhooks ("refused: ..." for the target policy), or None.

    Only literal addresses are judged here; a name is judged at each delivery, on the
    address it resolves to.
    """
    if not isinstance(url, str) or not url.strip():
        return "must be an http(s) URL"
    if len(url) > URL_MAX_LENGTH:
        return f"must be at most {URL_MAX_LENGTH} characters"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "must be an http(s) URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http(s) URL"
    reason = target_policy().literal_refusal(url)
    return f"refused: {reason}" if reason else None


def validate_webhook_url(url: str) -> None:
    """A model-field validator (the admin's forms)."""
    problem = callback_problem(url)
    if problem:
        raise ValidationError(problem.replace("refused: ", "not allowed: "))
