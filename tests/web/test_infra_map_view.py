"""The map on a job's page: the graph's data block, tables, changes and the downloads."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from jobs.models import Job, JobStatus
from jobs.operations.base import make_test_context
from jobs.operations.infra_map.exports import GEXF_NS, GRAPHML_NS, gexf, graphml
from jobs.operations.infra_map.operation import Params, run
from jobs.runner import call_run
from tests.factories import JobFactory
from tests.operations.infra_map_zone import start_site

HOSTILE = 'evil</script><script>alert(1)</script>\x01.test'


@pytest.fixture
def mapped(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path) -> dict:
    start_site(dns_zone, http_servers, whois_servers, test_certs, settings, tmp_path)
    result = call_run(run, Params(startPoint="acme.test", depth=2), make_test_context())
    result["changes"] = {"previousJobId": None, "addedEdges": [], "removedEdges": [],
                         "addedNodes": [], "removedNodes": [], "counts": {}}
    return result


def map_job(org, result, **extra):
    return JobFactory(organization=org, type="infra_map", target=result["startPoint"],
                      params={"startPoint": result["startPoint"], "depth": result["depth"]},
                      status=JobStatus.COMPLETED, result=result, **extra)


def test_the_page_carries_the_graph_and_its_tables(web, org, mapped):
    job = map_job(org, mapped)
    page = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert 'id="imap-canvas"' in page and f'data-node-count="{len(mapped["nodes"])}"' in page
    assert '<script id="infra-map-data" type="application/json">' in page
    assert "infra_map/map.js" in page and "vendor/cytoscape/cytoscape.min.js" in page
    # No inline script: every <script> either loads a file or is a JSON data block.
    for tag in page.split("<script")[1:]:
        head = tag.split(">", 1)[0]
        assert "src=" in head or 'type="application/json"' in head, head
    block = page.split('<script id="infra-map-data" type="application/json">')[1]
    graph = json.loads(block.split("</script>")[0])
    assert {n["id"] for n in graph["nodes"]} == {n["id"] for n in mapped["nodes"]}
    assert 'id="table-nodes"' in page and 'id="table-edges"' in page
    assert "This is the first map of acme.test" in page
    for fmt in ("json", "gexf", "graphml"):
        assert reverse("infra-map-export", args=[job.pk, fmt]) in page


def test_hostile_names_cannot_break_out_of_the_data_block(web, org, mapped):
    mapped["nodes"].append({"id": f"domain:{HOSTILE}", "type": "domain", "label": HOSTILE,
                            "data": {}})
    job = map_job(org, mapped)
    page = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "<script>alert(1)" not in page


def test_changes_are_listed(web, org, mapped):
    previous = map_job(org, mapped)
    mapped["changes"] = {"previousJobId": str(previous.pk),
                         "previousCompletedAt": "2026-01-01T00:00:00Z", "previousDepth": 2,
                         "counts": {"addedEdges": 1, "removedEdges": 1, "addedNodes": 0,
                                    "removedNodes": 0},
                         "addedEdges": [{"source": "domain:acme.test", "type": "uses_mx",
                                         "target": "mailserver:mail.acme.test"}],
                         "removedEdges": [{"source": "domain:acme.test", "type": "resolves_to",
                                           "target": "ip:127.0.0.99"}],
                         "addedNodes": [], "removedNodes": []}
    job = map_job(org, mapped)
    page = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert 'id="imap-changes"' in page  # the "highlight changes" switch
    assert "<code>ip:127.0.0.99</code>" in page
    assert reverse("job-detail", args=[previous.pk]) in page


def test_json_export_is_the_result(web, org, mapped):
    job = map_job(org, mapped)
    response = web.get(reverse("infra-map-export", args=[job.pk, "json"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="map-acme.test-')
    assert json.loads(response.content) == mapped


def test_gexf_export_parses_back_to_the_same_graph(web, org, mapped):
    mapped["nodes"].append({"id": f"domain:{HOSTILE}", "type": "domain", "label": HOSTILE,
                            "data": {"note": "a & b < c"}})
    job = map_job(org, mapped)
    response = web.get(reverse("infra-map-export", args=[job.pk, "gexf"]))
    assert response["Content-Type"].startswith("application/gexf+xml")
    root = ET.fromstring(response.content)
    ns = {"g": GEXF_NS}
    assert root.tag == f"{{{GEXF_NS}}}gexf" and root.get("version") == "1.3"
    graph = root.find("g:graph", ns)
    assert graph.get("defaultedgetype") == "directed"
    titles = {a.get("id"): a.get("title")
              for a in graph.findall("g:attributes[@class='node']/g:attribute", ns)}
    nodes = graph.findall("g:nodes/g:node", ns)
    assert {n.get("id") for n in nodes} == {n["id"].replace("\x01", "\ufffd")
                                            for n in mapped["nodes"]}
    edges = graph.findall("g:edges/g:edge", ns)
    assert len(edges) == len(mapped["edges"])
    ids = {n.get("id") for n in nodes}
    assert all(e.get("source") in ids and e.get("target") in ids for e in edges)
    first = nodes[0]
    values = {titles[v.get("for")]: v.get("value")
              for v in first.findall("g:attvalues/g:attvalue", ns)}
    assert values["type"] in {"domain", "ip"} and json.loads(values["data"]) is not None


def test_graphml_export_parses_back_to_the_same_graph(mapped):
    root = ET.fromstring(graphml(mapped))
    ns = {"m": GRAPHML_NS}
    assert root.tag == f"{{{GRAPHML_NS}}}graphml"
    keys = {k.get("id"): (k.get("for"), k.get("attr.name")) for k in root.findall("m:key", ns)}
    assert keys["n_type"] == ("node", "type") and keys["e_type"] == ("edge", "type")
    graph = root.find("m:graph", ns)
    assert graph.get("edgedefault") == "directed"
    nodes = graph.findall("m:node", ns)
    assert [n.get("id") for n in nodes] == [n["id"] for n in mapped["nodes"]]
    edges = graph.findall("m:edge", ns)
    by_edge = [(e.get("source"), e.find("m:data[@key='e_type']", ns).text, e.get("target"))
               for e in edges]
    assert by_edge == [(e["source"], e["type"], e["target"]) for e in mapped["edges"]]
    # Keys are declared before the graph, as the schema requires.
    assert [child.tag.split("}")[1] for child in root][-1] == "graph"
    assert gexf(mapped).startswith(b"<?xml version='1.0' encoding='utf-8'?>")


def test_edges_csv_comes_from_the_shared_tables(web, org, mapped):
    job = map_job(org, mapped)
    response = web.get(reverse("job-table-export", args=[job.pk, "edges", "csv"]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == len(mapped["edges"])
    assert {"acme.test NS"} <= {r["query"] for r in rows}


@pytest.mark.parametrize("fmt", ["json", "gexf", "graphml"])
def test_another_organizations_map_is_404(web, other_org, mapped, fmt):
    job = map_job(other_org, mapped)
    assert web.get(reverse("infra-map-export", args=[job.pk, fmt])).status_code == 404
    assert web.get(reverse("job-detail", args=[job.pk])).status_code == 404
    assert web.get(reverse("job-table-export", args=[job.pk, "edges", "csv"])).status_code == 404


def test_unknown_format_and_unfinished_map_are_404(web, org, mapped):
    job = map_job(org, mapped)
    assert web.get(reverse("infra-map-export", args=[job.pk, "dot"])).status_code == 404
    running = map_job(org, mapped)
    running.status = JobStatus.PROCESSING
    running.save()
    assert web.get(reverse("infra-map-export", args=[running.pk, "gexf"])).status_code == 404


def test_a_map_of_one_node_says_so(web, org):
    result = {"startPoint": "lonely.test", "depth": 1,
              "nodes": [{"id": "domain:lonely.test", "type": "domain", "label": "lonely.test",
                         "data": {"start": True}}], "edges": [],
              "stats": {"nodeCount": 1, "edgeCount": 0, "depthReached": 1, "lookups": 3,
                        "durationMs": 12, "hubs": [], "refused": [],
                        "truncated": {"hit": False}}}
    job = map_job(org, result)
    page = web.get(reverse("job-detail", args=[job.pk])).content.decode()
    assert "Nothing was found beyond the start point" in page
    assert "No edges." in page


def test_the_dashboard_form_starts_a_map(web, org, settings):
    settings.ALLOWED_TARGET_NETWORKS = []
    page = web.get(reverse("job-new", args=["infra_map"]))
    assert page.status_code == 200
    assert 'name="startPoint"' in page.content.decode()
    response = web.post(reverse("job-new", args=["infra_map"]),
                        {"startPoint": "Example.COM", "depth": "2"})
    job = Job.objects.get()
    assert response.status_code == 302 and job.type == "infra_map"
    assert job.params == {"startPoint": "example.com", "depth": 2}
    refused = web.post(reverse("job-new", args=["infra_map"]), {"startPoint": "10.0.0.1"})
    assert refused.status_code == 200 and Job.objects.count() == 1
