"""Returns a result that is not plain JSON (NaN), as a buggy operation might."""

from pydantic import BaseModel, ConfigDict

TIMEOUT = 30


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


def target(params: Params) -> str:
    return ""


def run(params: Params, ctx) -> dict:
    return {"score": float("nan")}
