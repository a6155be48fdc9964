"""Returns a result that is not plain JSON (NaN), as a buggy operation might."""

from pydantic import BaseModel, ConfigDict

from jobs.operations import OperationSpec, Route


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


def target(params: Params) -> str:
    return ""


def run(params: Params, ctx) -> dict:
    return {"score": float("nan")}


class Result(BaseModel):
    model_config = ConfigDict(extra="allow")


SPEC = OperationSpec(
    type="test_bad_result", label="Test bad result", description="Test: bad result.",
    params=Params, result=Result,
    run=run, timeout=30, routes=(Route("test/bad-result"),), target=target,
)
