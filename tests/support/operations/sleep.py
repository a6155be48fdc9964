"""A slow operation: sleeps in steps, reporting progress at each one."""

import time

from pydantic import BaseModel, ConfigDict, Field

from jobs.operations import OperationSpec, Route


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(1.0, ge=0, le=600)
    steps: int = Field(5, ge=1, le=1000)
    target: str = "sleep"


def target(params: Params) -> str:
    return params.target


def run(params: Params, ctx) -> dict:
    for step in range(params.steps):
        ctx.progress(step, params.steps, f"Sleeping, step {step + 1} of {params.steps}...")
        time.sleep(params.seconds / params.steps)
    ctx.progress(params.steps, params.steps, "Waking up")
    return {"slept": params.seconds, "steps": params.steps}


class Result(BaseModel):
    slept: float
    steps: int


SPEC = OperationSpec(
    type="test_sleep", label="Test sleep",
    description="A slow operation: sleeps in steps, reporting progress at each one.",
    params=Params, result=Result,
    run=run, timeout=120, routes=(Route("test/sleep"),), target=target,
)
