"""The infrastructure map in headless Chromium: the graph draws, a node opens its panel."""

from __future__ import annotations

import pytest

from jobs.models import JobStatus
from jobs.operations.base import make_test_context
from jobs.operations.infra_map.operation import Params, run
from jobs.runner import call_run
from tests.browser.conftest import LIVE_ENV, SCREENSHOTS, sign_in
from tests.factories import JobFactory
from tests.operations.infra_map_zone import start_site, synthetic_map
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.live_env(**LIVE_ENV)]

DESKTOP = {"width": 1280, "height": 1000}


def map_job(org, result):
    return JobFactory(organization=org, type="infra_map", target=result["startPoint"],
                      params={"startPoint": result["startPoint"], "depth": result["depth"]},
                      status=JobStatus.COMPLETED, result=result)


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#result-heading").evaluate(
        "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 12)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def node_position(page, ident: str) -> dict:
    """Where a node is drawn, in page coordinates (cytoscape draws on a canvas)."""
    return page.evaluate("""id => {
        const node = window.infraMap.getElementById(id);
        const box = document.getElementById('imap-canvas').getBoundingClientRect();
        const at = node.renderedPosition();
        return {x: box.left + at.x, y: box.top + at.y};
    }""", ident)


@pytest.fixture
def real_map(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path):
    start_site(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path)
    return call_run(run, Params(startPoint="acme.test", depth=2), make_test_context())


def test_a_finished_map_draws_and_a_click_shows_the_node(browser, live_service, account,
                                                         problems, real_map):
    job = map_job(account["org"], real_map)
    page = problems.watch(browser.new_context(viewport=DESKTOP).new_page())
    sign_in(page, live_service.url, account)
    page.goto(f"{live_service.url}/jobs/{job.pk}/")
    canvas = page.locator("#imap-canvas")
    wait_for(lambda: canvas.get_attribute("data-ready") == "yes")
    assert canvas.get_attribute("data-rendered-nodes") == str(len(real_map["nodes"]))
    assert canvas.locator("canvas").count() >= 1  # cytoscape's drawing layers
    assert f"{len(real_map['nodes'])} nodes and" in page.locator("#imap-drawn").inner_text()

    # Click the nameserver both domains share: its panel names it and its links.
    where = node_position(page, "nameserver:ns1.dnshost.test")
    page.mouse.click(where["x"], where["y"])
    panel = page.locator("#imap-panel")
    wait_for(lambda: "ns1.dnshost.test" in panel.inner_text())
    text = panel.inner_text()
    assert "nameserver" in text.lower() and "uses_ns" in text and "acme.test NS" in text
    assert page.evaluate("window.infraMap.$('.faded').length") > 0  # neighbours stand out
    shot(page, "infra-map-selected")

    # Find by name, then hide a type with the legend.
    page.get_by_label("Find a node").fill("shop.test")
    page.get_by_label("Find a node").press("Enter")
    wait_for(lambda: panel.locator("h3").inner_text() == "shop.test")
    page.locator("input[name=imap-type][value=ip]").uncheck()
    hidden = page.evaluate("window.infraMap.nodes('.ip').filter(n => !n.visible()).length")
    assert hidden == sum(1 for n in real_map["nodes"] if n["type"] == "ip")
    page.get_by_role("button", name="Fit").click()


def test_a_thousand_nodes_draw(browser, live_service, account, problems):
    result = synthetic_map(1000)
    job = map_job(account["org"], result)
    page = problems.watch(browser.new_context(viewport=DESKTOP).new_page())
    sign_in(page, live_service.url, account)
    page.goto(f"{live_service.url}/jobs/{job.pk}/")
    canvas = page.locator("#imap-canvas")
    wait_for(lambda: canvas.get_attribute("data-ready") == "yes")
    assert canvas.get_attribute("data-rendered-nodes") == "1000"
    shot(page, "infra-map-1000")


def test_changes_since_the_last_map_are_highlighted(browser, live_service, account, problems,
                                                    real_map):
    previous = map_job(account["org"], real_map)
    real_map["changes"] = {
        "previousJobId": str(previous.pk), "previousCompletedAt": "2026-11-01T00:00:00Z",
        "previousDepth": 2, "counts": {"addedEdges": 1, "removedEdges": 0, "addedNodes": 1,
                                       "removedNodes": 0},
        "addedEdges": [{"source": "domain:acme.test", "type": "uses_ns",
                        "target": "nameserver:ns1.dnshost.test"}],
        "removedEdges": [], "addedNodes": ["nameserver:ns1.dnshost.test"], "removedNodes": []}
    job = map_job(account["org"], real_map)
    page = problems.watch(browser.new_context(viewport=DESKTOP).new_page())
    sign_in(page, live_service.url, account)
    page.goto(f"{live_service.url}/jobs/{job.pk}/")
    wait_for(lambda: page.locator("#imap-canvas").get_attribute("data-ready") == "yes")
    assert "1 edge added" in page.locator("#imap-changes-section").inner_text()
    page.get_by_label("Highlight changes").check()
    assert page.evaluate("window.infraMap.$('.added').length") == 2  # the edge and the node
    page.get_by_label("Highlight changes").uncheck()
    assert page.evaluate("window.infraMap.$('.added').length") == 0
