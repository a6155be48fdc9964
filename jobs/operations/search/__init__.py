"""Registration-data search: every domain with the same registrant, e-mail, name server..."""

from jobs.operations.search import operation, result, urls, web
from jobs.operations.spec import OperationSpec, Periodic, Presenter, Route

SPEC = OperationSpec(
    type="search",
    label="Registration search",
    description="Domains by their registration data: registrant name, company, e-mail, "
                "phone, registrar, name servers, statuses and dates, with * wildcards.",
    params=operation.Params,
    result=result.Result,
    run=operation.run,
    timeout=operation.TIMEOUT,
    routes=(Route("ops/enrichment/search", "scans"),),
    example={"query": 'registrantCompany:"Example Inc" nameServer:ns1.*'},
    target=operation.target,
    presenter=Presenter(template="operations/search/result.html",
                        context=web.result_context, summary=web.result_summary,
                        tables=(web.RECORDS,)),
    error_headings={"INVALID_QUERY": "The query cannot be read"},
    web_urls=urls.urlpatterns,
    periodic=(
        # An importing process killed outright leaves its run "running" and, for a bulk
        # load, the search indexes set aside: put both right once no import is running.
        Periodic("registration search: repair after a lost import",
                 "jobs.registrations.tasks.repair_after_lost_import", 5),
    ),
)
