"""Bulk enrichment: classify and enrich up to 10,000 indicators in one job."""

from jobs.operations.bulk_enrichment import operation, result, urls, web
from jobs.operations.spec import OperationSpec, Periodic, Presenter, Route

SPEC = OperationSpec(
    type="bulk_enrichment",
    label="Bulk enrichment",
    description="Classify and enrich up to 10,000 IPs, networks, domains, URLs, e-mail "
                "addresses and hashes (defanged forms accepted): DNS, registration, "
                "routing, RPKI, IP intelligence, block lists and history.",
    params=operation.Params,
    result=result.Result,
    run=operation.run,
    timeout=operation.TIMEOUT,
    routes=(Route("ops/enrichment/bulk", "bulk"),),
    example={"indicators": ["example.com", "8.8.8.8", "hxxps://example[.]net/login"],
             "include": ["dns", "whois"]},
    target=operation.target,
    presenter=Presenter(template="operations/bulk_enrichment/result.html",
                        context=web.result_context, summary=web.result_summary,
                        tables=(web.RESULTS_TABLE,)),
    web_urls=urls.urlpatterns,
    error_headings={"TARGET_NOT_ALLOWED": "An indicator is not an allowed target",
                    "INDICATOR_TIMEOUT": "An indicator ran past its time limit",
                    "INDICATOR_FAILED": "An indicator failed (continue_on_error is off)"},
    periodic=(
        Periodic("bulk enrichment: refresh block lists and VRPs",
                 "jobs.operations.bulk_enrichment.tasks.refresh_datasets", 60),
        Periodic("bulk enrichment: purge old cached results",
                 "jobs.operations.bulk_enrichment.tasks.purge_cache", 60),
    ),
)
