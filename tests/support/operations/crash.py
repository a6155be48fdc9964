from pydantic import BaseModel, ConfigDict

TIMEOUT = 30


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pass


def target(params: Params) -> str:
    return ""


def run(params: Params, ctx) -> dict:
    raise RuntimeError("secret internals: password=hunter2 at /srv/app/config.py")
