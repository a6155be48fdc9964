from pydantic import BaseModel, ConfigDict

from jobs.operations import OperationSpec, Route
from jobs.operations.base import OperationError


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "unreachable.test"


def target(params: Params) -> str:
    return params.host


def run(params: Params, ctx) -> dict:
    ctx.progress(0, 1, "Connecting...")
    raise OperationError("TARGET_UNREACHABLE", f"{params.host} did not answer.",
                         "connect timeout after 5 s")


class Result(BaseModel):
    model_config = ConfigDict(extra="allow")


SPEC = OperationSpec(
    type="test_fail", label="Test fail", description="Test: fail.",
    params=Params, result=Result,
    run=run, timeout=30, routes=(Route("test/fail"),), target=target,
)
