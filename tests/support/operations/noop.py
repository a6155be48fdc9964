from pydantic import BaseModel, ConfigDict

from jobs.operations import OperationSpec, Presenter, Route
from jobs.web.tables import Column, Table


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n: int = 0


def target(params: Params) -> str:
    return str(params.n)


def run(params: Params, ctx) -> dict:
    return {"n": params.n}


class Result(BaseModel):
    n: int


SPEC = OperationSpec(
    type="test_noop", label="Test noop", description="Test: no-op.",
    params=Params, result=Result,
    run=run, timeout=30, routes=(Route("test/noop"),), target=target,
    presenter=Presenter(template="test_noop_result.html",
                        context=lambda job, result, request: {"n": result.n},
                        summary=lambda result: f"n = {result.n}",
                        tables=(Table("items", "Items", (
                            Column("i", "Number", numeric=True),
                            Column("parity", "Parity", filter=True),
                            Column("text", "Text"),
                        ), rows=lambda result: [
                            {"i": i, "parity": "even" if i % 2 == 0 else "odd",
                             "text": "=cmd" if i == 3 else f"item {i}"}
                            for i in range(result.n)], page_size=5, noun="item"),)),
)
