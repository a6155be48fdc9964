from pydantic import BaseModel, ConfigDict

from jobs.operations import OperationSpec, Route


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pass


def target(params: Params) -> str:
    return ""


def run(params: Params, ctx) -> dict:
    raise RuntimeError("secret internals: password=hunter2 at /srv/app/config.py")


class Result(BaseModel):
    model_config = ConfigDict(extra="allow")


SPEC = OperationSpec(
    type="test_crash", label="Test crash", description="Test: crash.",
    params=Params, result=Result,
    run=run, timeout=30, routes=(Route("test/crash"),), target=target,
)
