"""Files that jobs produce (screenshots), kept through Django's storage API.

``settings.STORAGES["artifacts"]`` says where: the local filesystem under var/ by
default, or any S3-compatible store (``ARTIFACT_STORAGE=s3``), so web and worker
processes on different machines see the same files.
"""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

log = logging.getLogger(__name__)


def artifact_storage() -> Storage:
    return storages["artifacts"]


def artifact_save(name: str, data: bytes) -> str:
    """Store ``data``; returns the name it was stored under (the storage may alter it)."""
    return artifact_storage().save(name, ContentFile(data))


def artifact_delete(name: str) -> None:
    if not name:
        return
    try:
        artifact_storage().delete(name)
    except Exception:  # a file already gone, or a store that is down, must not stop a purge
        log.exception("could not delete artifact %s", name)
