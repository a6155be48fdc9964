"""The operation registry: the one place that lists operations.

Each entry names a package whose ``SPEC`` (an ``OperationSpec``) says everything about
it; the package is imported on first use. ``settings.JOB_OPERATIONS_EXTRA`` adds more
(the test suite's own operations).
"""

from __future__ import annotations

import importlib
from functools import cache

from django.conf import settings

from jobs.operations.spec import OperationSpec, Periodic, Presenter, Route

__all__ = ["OperationSpec", "Periodic", "Presenter", "Route", "UnknownOperation",
           "get_operation", "known_types", "registry", "specs", "timeout_for"]

OPERATIONS: dict[str, str] = {
    "bulk_enrichment": "jobs.operations.bulk_enrichment",
    "infra_map": "jobs.operations.infra_map",
    "infra_scan": "jobs.operations.infra_scan",
    "screenshot": "jobs.operations.screenshot",
    "search": "jobs.operations.search",
    "similar_domains": "jobs.operations.similar_domains",
}


class UnknownOperation(LookupError):
    pass


def registry() -> dict[str, str]:
    return {**OPERATIONS, **settings.JOB_OPERATIONS_EXTRA}


def known_types() -> list[str]:
    return sorted(registry())


@cache
def _load(job_type: str, path: str) -> OperationSpec:
    spec = importlib.import_module(path).SPEC
    if spec.type != job_type:
        raise ImproperlyRegistered(f"{path}.SPEC.type is {spec.type!r}, registered as {job_type!r}")
    return spec


class ImproperlyRegistered(Exception):
    pass


def get_operation(job_type: str) -> OperationSpec:
    try:
        path = registry()[job_type]
    except KeyError:
        raise UnknownOperation(job_type) from None
    return _load(job_type, path)


def specs() -> list[OperationSpec]:
    """Every registered operation, in the order of their types."""
    return [get_operation(job_type) for job_type in known_types()]


def timeout_for(spec: OperationSpec) -> float:
    return settings.JOB_TIMEOUTS.get(spec.type, spec.timeout)
