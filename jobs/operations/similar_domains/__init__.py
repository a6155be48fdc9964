"""Lookalike domains: names a phisher could register to pass for the given one."""

from jobs.operations.similar_domains import operation, result, web
from jobs.operations.spec import OperationSpec, Presenter, Route

SPEC = OperationSpec(
    type="similar_domains",
    label="Lookalike domains",
    description="Names a phisher could register to pass for a domain: typos, lookalike "
                "characters, other suffixes and more, optionally looked up in DNS.",
    params=operation.Params,
    result=result.Result,
    run=operation.run,
    timeout=operation.TIMEOUT,
    routes=(Route("ops/enrichment/similar-domains", "scans"),),
    example={"domain": "example.com", "techniques": ["typosquatting", "homoglyph"],
             "limit": 100},
    target=operation.target,
    presenter=Presenter(template="operations/similar_domains/result.html",
                        context=web.result_context, summary=web.result_summary,
                        tables=(web.TABLE,)),
)
