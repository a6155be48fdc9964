from pydantic import BaseModel, ConfigDict

TIMEOUT = 30


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n: int = 0


def target(params: Params) -> str:
    return str(params.n)


def run(params: Params, ctx) -> dict:
    return {"n": params.n}
