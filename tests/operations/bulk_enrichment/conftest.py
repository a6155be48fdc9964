import json

import pytest

from jobs.observations import ObservationReader
from jobs.operations import get_operation
from jobs.operations.base import make_test_context
from jobs.operations.bulk_enrichment import operation as op
from jobs.operations.bulk_enrichment import references
from jobs.runner import call_run, result_document


@pytest.fixture(autouse=True)
def fresh_reference_memo():
    references._memo.clear()
    yield
    references._memo.clear()


@pytest.fixture
def enrich(org):
    """Runs the operation as the runner would; returns the result dict (ctx on .ctx)."""

    def run(indicators, include=("routing", "ip_intelligence"), **options):
        params = op.Params.model_validate(
            {"indicators": list(indicators), "include": list(include), "options": options})
        ctx = make_test_context(observations=ObservationReader(org.id))
        result = call_run(op.run, params, ctx)
        run.ctx = ctx
        # What the runner stores: the result checked against the published schema.
        return json.loads(result_document(get_operation("bulk_enrichment"), result))

    return run


def by_indicator(result) -> dict:
    return {item["indicator"]: item for item in result["results"]}


def errors_of(result) -> dict:
    return {item["indicator"]: item for item in result["errors"]}
