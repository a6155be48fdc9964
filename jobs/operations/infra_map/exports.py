"""The map as files: JSON (the result), GEXF 1.3 (Gephi) and GraphML, written with
ElementTree so every value is escaped the XML way."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

GEXF_NS = "http://gexf.net/1.3"
GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
GRAPHML_SCHEMA = "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"
# Characters XML 1.0 cannot carry at all; answers from anyone's servers may hold them.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
NODE_FIELDS = ("type", "label", "data")
EDGE_FIELDS = ("type", "query", "server", "firstSeen", "lastSeen")


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return NOT_XML.sub("\ufffd", "" if value is None else str(value))


def _node_values(node: dict) -> dict[str, str]:
    return {"type": node["type"], "label": _text(node["label"]), "data": _text(node.get("data"))}


def _edge_values(edge: dict) -> dict[str, str]:
    provenance = edge.get("provenance") or {}
    return {"type": edge["type"], "query": _text(provenance.get("query")),
            "server": _text(provenance.get("server")), "firstSeen": _text(edge.get("firstSeen")),
            "lastSeen": _text(edge.get("lastSeen"))}


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def gexf(result: dict) -> bytes:
    ET.register_namespace("", GEXF_NS)
    root = ET.Element(f"{{{GEXF_NS}}}gexf", version="1.3")
    meta = ET.SubElement(root, f"{{{GEXF_NS}}}meta")
    ET.SubElement(meta, f"{{{GEXF_NS}}}creator").text = "SecOps Jobs"
    ET.SubElement(meta, f"{{{GEXF_NS}}}description").text = _text(
        f"Infrastructure map of {result.get('startPoint')}, depth {result.get('depth')}")
    graph = ET.SubElement(root, f"{{{GEXF_NS}}}graph", defaultedgetype="directed",
                          mode="static")
    for kind, fields in (("node", NODE_FIELDS), ("edge", EDGE_FIELDS)):
        attributes = ET.SubElement(graph, f"{{{GEXF_NS}}}attributes", {"class": kind})
        for i, name in enumerate(fields):
            ET.SubElement(attributes, f"{{{GEXF_NS}}}attribute", id=str(i), title=name,
                          type="string")
    nodes = ET.SubElement(graph, f"{{{GEXF_NS}}}nodes")
    for node in result.get("nodes") or []:
        element = ET.SubElement(nodes, f"{{{GEXF_NS}}}node", id=_text(node["id"]),
                                label=_text(node["label"]))
        _gexf_values(element, NODE_FIELDS, _node_values(node))
    edges = ET.SubElement(graph, f"{{{GEXF_NS}}}edges")
    for i, edge in enumerate(result.get("edges") or []):
        element = ET.SubElement(edges, f"{{{GEXF_NS}}}edge", id=str(i),
                                source=_text(edge["source"]), target=_text(edge["target"]),
                                label=edge["type"])
        _gexf_values(element, EDGE_FIELDS, _edge_values(edge))
    return _xml(root)


def _gexf_values(element: ET.Element, fields: tuple[str, ...], values: dict) -> None:
    holder = ET.SubElement(element, f"{{{GEXF_NS}}}attvalues")
    for i, name in enumerate(fields):
        ET.SubElement(holder, f"{{{GEXF_NS}}}attvalue", {"for": str(i), "value": values[name]})


def graphml(result: dict) -> bytes:
    ET.register_namespace("", GRAPHML_NS)
    ET.register_namespace("xsi", XSI_NS)
    root = ET.Element(f"{{{GRAPHML_NS}}}graphml",
                      {f"{{{XSI_NS}}}schemaLocation": f"{GRAPHML_NS} {GRAPHML_SCHEMA}"})
    for kind, fields in (("node", NODE_FIELDS), ("edge", EDGE_FIELDS)):
        for name in fields:
            ET.SubElement(root, f"{{{GRAPHML_NS}}}key", {
                "id": f"{kind[0]}_{name}", "for": kind, "attr.name": name,
                "attr.type": "string"})
    graph = ET.SubElement(root, f"{{{GRAPHML_NS}}}graph", id="G", edgedefault="directed")
    for node in result.get("nodes") or []:
        element = ET.SubElement(graph, f"{{{GRAPHML_NS}}}node", id=_text(node["id"]))
        _graphml_values(element, "n", _node_values(node))
    for i, edge in enumerate(result.get("edges") or []):
        element = ET.SubElement(graph, f"{{{GRAPHML_NS}}}edge", id=f"e{i}",
                                source=_text(edge["source"]), target=_text(edge["target"]))
        _graphml_values(element, "e", _edge_values(edge))
    return _xml(root)


def _graphml_values(element: ET.Element, prefix: str, values: dict) -> None:
    for name, value in values.items():
        ET.SubElement(element, f"{{{GRAPHML_NS}}}data", key=f"{prefix}_{name}").text = value


def json_bytes(result: dict) -> bytes:
    return json.dumps(result, indent=2, ensure_ascii=False).encode("utf-8")


FORMATS = {
    "json": (json_bytes, "application/json"),
    "gexf": (gexf, "application/gexf+xml"),
    "graphml": (graphml, "application/graphml+xml"),
}
