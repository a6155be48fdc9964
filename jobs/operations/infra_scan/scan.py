"""Infrastructure scan: DNS, subdomains, TLS, ports, web technologies, WHOIS and a
vulnerability review of one domain, as one job. This module holds the request, the
scan's shared state and the orchestration; each module of the scan is its own file.

Request body (camelCase or snake_case):

- ``domain`` (required): a host name (IDNA is normalised to its A-label form; a URL is
  reduced to its host). An IP literal is accepted in any spelling and written
  canonically, so the API refuses forbidden ones with ``target_not_allowed``.
- ``type``: ``comprehensive`` (default, every module), or one of ``dns``,
  ``subdomains``, ``ssl``, ``ports``, ``technologies``, ``whois``, ``vulnerability``.
- ``ports``: ports and ranges for the port scan (``[443, "8000-8100"]``); default the
  common-ports list.
- ``sslPort`` (default 443) and ``httpPort`` (default 80): where TLS is inspected and
  the web pages are fetched, so a scan can look at a site on another port.

Modules run in parallel under ``comprehensive``; the TLS report, the port scan and the
home pages are each computed once and shared (the vulnerability module reads all
three). Each module reports progress as it starts; one that fails records
``{"error": "..."}`` and the scan goes on. Cancellation is checked as each module starts
and inside long loops, and every module is bounded by the time the job has left.
Findings and the risk score: see ``findings.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from jobs.net.errors import ClientError
from jobs.operations.base import Context, JobAborted, JobTimedOut
from jobs.operations.infra_scan import (
    dns,
    ports,
    ssl,
    subdomains,
    technologies,
    vulnerability,
    whois,
)
from jobs.operations.infra_scan.core import Scan, now
from jobs.operations.infra_scan.findings import MODULE_ORDER, merge, summarise
from jobs.operations.infra_scan.request import SCAN_TYPES, Params, literal_targets, target

__all__ = ["MODULES", "SCAN_TYPES", "TIMEOUT", "Params", "literal_targets", "run", "target"]

log = logging.getLogger(__name__)

TIMEOUT = 600


@dataclass(frozen=True)
class Module:
    name: str           # the scan type that runs it alone, and a finding's "module"
    key: str            # its entry in result["modules"]
    starting: str       # the progress message as it starts
    connects: bool      # needs an address to connect to (others work from DNS and WHOIS)
    run: Callable[[Scan], Awaitable[tuple[Any, list[dict]]]]


MODULES: dict[str, Module] = {m.name: m for m in (
    Module("dns", "dns", "Scanning DNS...", False, dns.run),
    Module("subdomains", "subdomains", "Enumerating subdomains...", False, subdomains.run),
    Module("ssl", "ssl", "Scanning SSL...", True, ssl.run),
    Module("ports", "ports", "Scanning ports...", True, ports.run),
    Module("technologies", "technologies", "Detecting technologies...", True,
           technologies.run),
    Module("whois", "whois", "Looking up WHOIS...", False, whois.run),
    Module("vulnerability", "vulnerabilities", "Checking vulnerabilities...", True,
           vulnerability.run),
)}  # fmt: skip
assert tuple(MODULES) == MODULE_ORDER


# --- running ---------------------------------------------------------------------------------


async def run(params: Params, ctx: Context) -> dict:
    started = now()
    names = list(MODULE_ORDER) if params.type == "comprehensive" else [params.type]
    scan = Scan(params, ctx, total=len(names) + 1)
    try:
        await scan.step(f"Resolving {params.domain}...")
        # A single connecting module is pointless without an address; a comprehensive
        # scan of a name with no address still has DNS, subdomains and WHOIS to offer.
        await scan.resolve_target(needs_address=params.type != "comprehensive"
                                  and MODULES[params.type].connects)
        outcomes = await _gather_modules(scan, [MODULES[name] for name in names])
    finally:
        scan.close()
    findings = merge({module.name: found for module, _value, found in outcomes})
    await ctx.aprogress(scan.total, scan.total, "Done")
    return {
        "domain": params.domain,
        "scanType": params.type,
        "startedAt": started,
        "finishedAt": now(),
        "modules": {module.key: value for module, value, _ in outcomes},
        "findings": findings,
        "summary": summarise(findings),
    }


async def _gather_modules(scan: Scan, modules: list[Module]) -> list[tuple[Module, Any, list]]:
    tasks = [asyncio.create_task(_run_module(scan, module)) for module in modules]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        # Cancelled or timed out: stop the sibling modules before handing the error up.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _run_module(scan: Scan, module: Module) -> tuple[Module, Any, list]:
    await scan.step(module.starting)
    try:
        async with asyncio.timeout(scan.budget()):
            value, findings = await module.run(scan)
    except (JobAborted, JobTimedOut):
        raise
    except TimeoutError:
        return module, {"error": "the module ran out of time"}, []
    except ClientError as exc:
        return module, {"error": exc.message}, []
    except Exception:  # one broken module must not sink the scan; the log has details
        log.exception("infra scan module %s failed for %s", module.name, scan.domain)
        return module, {"error": "the module failed unexpectedly"}, []
    return module, value, [{**finding, "module": module.name} for finding in findings]
