"""Standard Webhooks signatures (https://www.standardwebhooks.com), made by its package."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def secret_new() -> str:
    """A fresh 256-bit secret in the ``whsec_<base64>`` form receivers paste as is."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_header(secrets_: list[str], msg_id: str, timestamp: datetime, body: str) -> str:
    """The ``webhook-signature`` value: one ``v1,<sig>`` per active secret, space-separated
    (during a rotation's overlap both the new and the old secret sign)."""
    return " ".join(Webhook(secret).sign(msg_id, timestamp, body) for secret in secrets_)


def headers(secrets_: list[str], msg_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(secrets_, msg_id, timestamp, body),
    }
