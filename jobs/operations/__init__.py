"""The operation registry: job type -> module, imported on first use.

An operation module defines:

- ``Params``: a pydantic model of the request body (validated before anything is
  queued; the dashboard form and the OpenAPI document use it too);
- ``run(params, ctx) -> dict``: does the work and returns the JSON-able result;
- ``TIMEOUT``: seconds the job may run (``JOB_TIMEOUTS`` overrides it);
- ``target(params) -> str``: what the job is about, for lists and search.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from django.conf import settings

OPERATIONS: dict[str, str] = {
    "infra_scan": "jobs.operations.infra_scan",
    "similar_domains": "jobs.operations.similar_domains",
}


class UnknownOperation(LookupError):
    pass


@dataclass(frozen=True)
class Operation:
    type: str
    module: ModuleType

    @property
    def params_model(self):
        return self.module.Params

    @property
    def timeout(self) -> float:
        return settings.JOB_TIMEOUTS.get(self.type, getattr(self.module, "TIMEOUT", 600))

    def run(self, params, ctx):
        return self.module.run(params, ctx)

    def target(self, params) -> str:
        return self.module.target(params)


def registry() -> dict[str, str]:
    return {**OPERATIONS, **settings.JOB_OPERATIONS_EXTRA}


def known_types() -> list[str]:
    return sorted(registry())


@cache
def _load(job_type: str, path: str) -> Operation:
    return Operation(type=job_type, module=importlib.import_module(path))


def get_operation(job_type: str) -> Operation:
    try:
        path = registry()[job_type]
    except KeyError:
        raise UnknownOperation(job_type) from None
    return _load(job_type, path)
