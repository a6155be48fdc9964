/* The infrastructure map on a job's page, drawn with cytoscape.js (vendored).
 *
 * Reads the graph from the JSON block #infra-map-data, so the page carries no inline
 * script. Loads cytoscape on demand (this file may arrive in an htmx swap, where
 * scripts do not run in order). Every value from the result is written with
 * textContent: names and certificate fields come from anyone's servers.
 */
(function () {
  "use strict";
  if (window.infraMapLoaded) {
    window.infraMapLoaded();
    return;
  }
  var here = document.currentScript;
  var cytoscapeUrl = here ? here.getAttribute("data-cytoscape") : null;
  var BIG = 200; // above this many nodes: rings by degree, labels only when zoomed in
  var TYPES = {
    domain: { color: "#2f54d9", shape: "ellipse" },
    ip: { color: "#11803f", shape: "round-rectangle" },
    nameserver: { color: "#7c3aed", shape: "diamond" },
    mailserver: { color: "#c026d3", shape: "hexagon" },
    certificate: { color: "#c2410c", shape: "tag" },
    asn: { color: "#475569", shape: "octagon" },
    registrant: { color: "#0e7490", shape: "star" }
  };

  function withCytoscape(done) {
    if (window.cytoscape) { done(); return; }
    var existing = document.querySelector("script[data-infra-map-cytoscape]");
    if (existing) { existing.addEventListener("load", done); return; }
    var script = document.createElement("script");
    script.src = cytoscapeUrl;
    script.setAttribute("data-infra-map-cytoscape", "");
    script.addEventListener("load", done);
    document.head.appendChild(script);
  }

  function start() {
    var canvas = document.getElementById("imap-canvas");
    var data = document.getElementById("infra-map-data");
    if (!canvas || !data || canvas.getAttribute("data-ready")) { return; }
    canvas.setAttribute("data-ready", "loading");
    withCytoscape(function () { draw(canvas, JSON.parse(data.textContent)); });
  }

  function elements(graph) {
    var out = [];
    graph.nodes.forEach(function (n) {
      var d = n.data || {};
      var classes = [n.type];
      if (d.start) { classes.push("start"); }
      if (d.hub) { classes.push("hub"); }
      if (d.refused) { classes.push("refused"); }
      out.push({ group: "nodes", classes: classes.join(" "),
                 data: { id: n.id, type: n.type, label: n.label, info: d } });
    });
    graph.edges.forEach(function (e, i) {
      out.push({ group: "edges", data: { id: "e" + i, source: e.source, target: e.target,
                 type: e.type, provenance: e.provenance || {}, firstSeen: e.firstSeen,
                 lastSeen: e.lastSeen } });
    });
    return out;
  }

  function style(big) {
    var rules = [
      { selector: "node", style: {
        "label": "data(label)", "font-size": 10, "color": "#0f172a",
        "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "ellipsis",
        "text-max-width": 140, "width": 18, "height": 18, "border-width": 1,
        "border-color": "#ffffff", "min-zoomed-font-size": big ? 9 : 0 } },
      { selector: "edge", style: {
        "width": 1.2, "line-color": "#a8b1bf", "target-arrow-color": "#a8b1bf",
        "target-arrow-shape": "triangle", "arrow-scale": 0.7,
        "curve-style": big ? "haystack" : "bezier" } },
      { selector: "node.start", style: { "width": 30, "height": 30, "border-width": 3,
        "border-color": "#f59e0b", "font-weight": "bold" } },
      { selector: "node.hub", style: { "width": 28, "height": 28, "border-width": 3,
        "border-style": "double", "border-color": "#0f172a" } },
      { selector: "node.refused", style: { "border-width": 2, "border-style": "dashed",
        "border-color": "#b42318", "background-opacity": 0.45 } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#f59e0b" } },
      { selector: ".faded", style: { "opacity": 0.12 } },
      { selector: "edge.near", style: { "line-color": "#0f172a", "target-arrow-color": "#0f172a",
        "width": 2, "label": "data(type)", "font-size": 8, "text-rotation": "autorotate",
        "text-background-color": "#ffffff", "text-background-opacity": 0.8 } },
      { selector: ".added", style: { "line-color": "#11803f", "target-arrow-color": "#11803f",
        "border-color": "#11803f", "border-width": 4, "width": 3 } }
    ];
    Object.keys(TYPES).forEach(function (kind) {
      rules.splice(1, 0, { selector: "node." + kind, style: {
        "background-color": TYPES[kind].color, "shape": TYPES[kind].shape } });
    });
    return rules;
  }

  var GOLDEN = Math.PI * (3 - Math.sqrt(5)); // phyllotaxis: even cover of a disc
  var SPACING = 26;

  function spiral(k, spacing) {
    var r = spacing * Math.sqrt(k + 0.5);
    return { x: r * Math.cos(k * GOLDEN), y: r * Math.sin(k * GOLDEN) };
  }

  // A layout that reads at a thousand nodes and costs O(n): each first-hop node heads a
  // cluster of everything reached through it (spread on a sunflower spiral); clusters
  // are packed in rows under the start point. Busy nodes (shared name servers, hubs)
  // do not pull the names around them into their own cluster.
  var BUSY = 40;

  function clusterPositions(cy, startId) {
    var owner = {};
    var clusters = [];
    var queue = [];
    var start = cy.getElementById(startId);
    function claim(n, index) {
      if (owner[n.id()] !== undefined) { return; }
      if (index === null) { index = clusters.length; clusters.push([]); }
      owner[n.id()] = index;
      clusters[index].push(n);
      if (n.degree() <= BUSY) { queue.push(n); }
    }
    if (start.length) {
      owner[startId] = -1;
      start.neighborhood("node").forEach(function (n) { claim(n, null); });
    }
    while (queue.length) {
      var node = queue.shift();
      node.neighborhood("node").forEach(function (n) { claim(n, owner[node.id()]); });
    }
    cy.nodes().forEach(function (n) { claim(n, null); }); // what no path reached
    var boxes = clusters.filter(function (c) { return c.length; }).map(function (c) {
      return { members: c, r: SPACING * Math.sqrt(c.length) + SPACING / 2 };
    });
    boxes.sort(function (a, b) { return b.r - a.r; });
    var area = 0;
    var widest = 0;
    boxes.forEach(function (b) { area += 4 * b.r * b.r; widest = Math.max(widest, 2 * b.r); });
    var width = Math.max(Math.sqrt(area) * 1.4, widest);
    var positions = {};
    var x = 0, y = 0, rowHeight = 0;
    boxes.forEach(function (b) {
      if (x > 0 && x + 2 * b.r > width) { x = 0; y += rowHeight + SPACING; rowHeight = 0; }
      b.members.forEach(function (n, k) {
        var at = k === 0 ? { x: 0, y: 0 } : spiral(k, SPACING);
        positions[n.id()] = { x: x + b.r + at.x, y: y + b.r + at.y };
      });
      x += 2 * b.r + SPACING;
      rowHeight = Math.max(rowHeight, 2 * b.r);
    });
    positions[startId] = { x: width / 2, y: -3 * SPACING };
    return positions;
  }

  function layoutOptions(name, cy, startId) {
    var big = cy.nodes().length > BIG;
    if (name === "auto") { name = big ? "clusters" : "cose"; }
    if (name === "clusters") {
      var positions = clusterPositions(cy, startId);
      return { name: "preset", fit: true, padding: 16,
               positions: function (n) { return positions[n.id()]; } };
    }
    if (name === "concentric") {
      return { name: "concentric", animate: false, minNodeSpacing: big ? 4 : 18,
               concentric: function (n) { return n.id() === startId ? 1e6 : n.degree(); },
               levelWidth: function () { return big ? 4 : 2; } };
    }
    if (name === "breadthfirst") {
      return { name: "breadthfirst", animate: false, directed: false, spacingFactor: 1.1,
               roots: "#" + cssId(startId), circle: big };
    }
    return { name: "cose", animate: false, randomize: false, nodeRepulsion: 9000,
             idealEdgeLength: 70, numIter: 1000, fit: true, padding: 24 };
  }

  function cssId(id) {
    return window.CSS && CSS.escape ? CSS.escape(id) : id.replace(/([^\w-])/g, "\\$1");
  }

  function draw(canvas, graph) {
    canvas.textContent = "";
    var big = graph.nodes.length > BIG;
    var startId = (graph.nodes.find(function (n) { return n.data && n.data.start; }) || {}).id;
    var cy = window.cytoscape({
      container: canvas, elements: elements(graph), style: style(big),
      wheelSensitivity: 0.3, minZoom: 0.05, maxZoom: 4,
      textureOnViewport: big, hideEdgesOnViewport: big, pixelRatio: big ? 1 : "auto"
    });
    cy.layout(layoutOptions("auto", cy, startId)).run();
    canvas.setAttribute("data-ready", "yes");
    canvas.setAttribute("data-rendered-nodes", String(cy.nodes().length));
    canvas.setAttribute("data-rendered-edges", String(cy.edges().length));
    var drawn = document.getElementById("imap-drawn");
    if (drawn) {
      drawn.textContent = cy.nodes().length + " nodes and " + cy.edges().length +
        " edges drawn. Drag to pan, scroll to zoom, click a node for its details.";
    }
    window.infraMap = cy; // for the browser tests and the curious
    wire(cy, graph, startId);
  }

  function wire(cy, graph, startId) {
    var panel = document.getElementById("imap-panel");
    cy.on("tap", "node", function (event) { select(cy, panel, event.target); });
    cy.on("tap", function (event) {
      if (event.target === cy) { clearFocus(cy); }
    });
    on("imap-fit", "click", function () { cy.fit(cy.elements(":visible"), 24); });
    on("imap-layout", "change", function (event) {
      cy.elements(":visible").layout(layoutOptions(event.target.value, cy, startId)).run();
    });
    document.querySelectorAll("input[name=imap-type]").forEach(function (box) {
      box.addEventListener("change", function () {
        cy.nodes("." + box.value).style("display", box.checked ? "element" : "none");
      });
    });
    var names = document.getElementById("imap-names");
    if (names) {
      graph.nodes.slice(0, 2000).forEach(function (n) {
        var option = document.createElement("option");
        option.value = n.label;
        names.appendChild(option);
      });
    }
    on("imap-find", "change", function (event) { find(cy, panel, event.target.value); });
    on("imap-find", "keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); find(cy, panel, event.target.value); }
    });
    on("imap-changes", "change", function (event) { showChanges(cy, graph, event.target.checked); });
  }

  function on(id, name, handler) {
    var element = document.getElementById(id);
    if (element) { element.addEventListener(name, handler); }
  }

  function find(cy, panel, text) {
    var wanted = (text || "").trim().toLowerCase();
    if (!wanted) { return; }
    var exact = cy.nodes().filter(function (n) {
      return n.data("label").toLowerCase() === wanted || n.id().toLowerCase() === wanted;
    });
    var found = exact.length ? exact : cy.nodes().filter(function (n) {
      return n.data("label").toLowerCase().indexOf(wanted) !== -1;
    });
    if (!found.length) {
      panel.textContent = "";
      panel.appendChild(el("p", "muted", "No node matches “" + text + "”."));
      return;
    }
    var node = found[0];
    node.style("display", "element");
    cy.animate({ center: { eles: node }, zoom: Math.max(cy.zoom(), 1.2) }, { duration: 250 });
    select(cy, panel, node);
  }

  function clearFocus(cy) {
    cy.elements().removeClass("faded near");
  }

  function select(cy, panel, node) {
    cy.elements().unselect();
    node.select();
    clearFocus(cy);
    var near = node.closedNeighborhood();
    cy.elements().not(near).addClass("faded");
    near.edges().addClass("near");
    showPanel(cy, panel, node);
  }

  function el(tag, className, text) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (text !== undefined) { element.textContent = text; }
    return element;
  }

  function showPanel(cy, panel, node) {
    panel.textContent = "";
    panel.appendChild(el("p", "imap-panel-type imap-type-" + node.data("type"), node.data("type")));
    panel.appendChild(el("h3", "imap-panel-title", node.data("label")));
    panel.appendChild(el("p", "mono small muted", node.id()));
    var facts = el("dl", "imap-facts");
    var info = node.data("info") || {};
    Object.keys(info).sort().forEach(function (key) {
      var value = info[key];
      if (value === null || value === "" || (Array.isArray(value) && !value.length)) { return; }
      facts.appendChild(el("dt", "", key));
      facts.appendChild(el("dd", "mono", typeof value === "object" ? JSON.stringify(value) : String(value)));
    });
    if (facts.childNodes.length) { panel.appendChild(facts); }
    var edges = node.connectedEdges();
    panel.appendChild(el("h4", "", edges.length + " link" + (edges.length === 1 ? "" : "s")));
    var list = el("ul", "imap-links");
    edges.slice(0, 100).forEach(function (edge) {
      var outgoing = edge.source().id() === node.id();
      var other = outgoing ? edge.target() : edge.source();
      var item = el("li");
      item.appendChild(el("span", "imap-edge-type", (outgoing ? "→ " : "← ") + edge.data("type")));
      item.appendChild(document.createTextNode(" "));
      var link = el("button", "imap-link", other.data("label"));
      link.type = "button";
      link.addEventListener("click", function () { select(cy, panel, other); });
      item.appendChild(link);
      var provenance = edge.data("provenance") || {};
      if (provenance.query) {
        item.appendChild(el("span", "imap-prov muted small",
          provenance.query + " @ " + (provenance.server || "?") +
          (provenance.ms !== undefined ? " · " + provenance.ms + "\u00a0ms" : "")));
      }
      list.appendChild(item);
    });
    panel.appendChild(list);
  }

  function showChanges(cy, graph, on) {
    cy.elements().removeClass("added");
    if (!on) { return; }
    var changes = graph.changes || {};
    var added = {};
    (changes.addedEdges || []).forEach(function (e) {
      added[e.source + " " + e.type + " " + e.target] = true;
    });
    cy.edges().forEach(function (edge) {
      var key = edge.data("source") + " " + edge.data("type") + " " + edge.data("target");
      if (added[key]) { edge.addClass("added"); }
    });
    (changes.addedNodes || []).forEach(function (id) {
      cy.getElementById(id).addClass("added");
    });
  }

  window.infraMapLoaded = start;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  document.addEventListener("htmx:afterSettle", start);
})();
