"""Infrastructure scan: DNS, subdomains, TLS, ports, web technologies, WHOIS and a
vulnerability review of one domain, as one job."""

from jobs.operations.infra_scan import result, scan, web, web_tables
from jobs.operations.spec import OperationSpec, Presenter, Route

SPEC = OperationSpec(
    type="infra_scan",
    label="Infrastructure scan",
    description="DNS, subdomains, TLS, ports, web technologies, WHOIS and a vulnerability "
                "review of one domain, as one job.",
    params=scan.Params,
    result=result.Result,
    run=scan.run,
    timeout=scan.TIMEOUT,
    routes=(Route("ops/scans/infrastructure", "scans"), Route("ops/scan", "scans")),
    example={"domain": "example.com", "type": "dns"},
    target=scan.target,
    literal_targets=scan.literal_targets,
    presenter=Presenter(template="operations/infra_scan/result.html",
                        context=web.result_context, summary=web.result_summary,
                        tables=web_tables.TABLES),
)
