from pydantic import BaseModel, ConfigDict

from jobs.operations.base import OperationError

TIMEOUT = 30


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "unreachable.test"


def target(params: Params) -> str:
    return params.host


def run(params: Params, ctx) -> dict:
    ctx.progress(0, 1, "Connecting...")
    raise OperationError("TARGET_UNREACHABLE", f"{params.host} did not answer.",
                         "connect timeout after 5 s")
