"""Infrastructure map: what a domain or an address is connected to, as a graph."""

from jobs.operations.infra_map import operation, result, urls, web
from jobs.operations.spec import OperationSpec, Presenter, Route

SPEC = OperationSpec(
    type="infra_map",
    label="Infrastructure map",
    description="What a domain or an IP address is connected to (addresses, name and mail "
                "servers, certificates, networks, registrants), one to three hops deep, "
                "as a graph.",
    params=operation.Params,
    result=result.Result,
    run=operation.run,
    timeout=operation.TIMEOUT,
    routes=(Route("ops/scans/map", "scans"),),
    example={"startPoint": "example.com", "depth": 2},
    target=operation.target,
    literal_targets=operation.literal_targets,
    presenter=Presenter(template="operations/infra_map/result.html",
                        context=web.result_context, summary=web.result_summary,
                        tables=web.TABLES),
    web_urls=urls.urlpatterns,
)
