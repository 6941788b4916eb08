// The page: data, indexes, the searchable list, the router and the graph.

var DATA = JSON.parse(document.getElementById("kiln-data").textContent);
var NODES = DATA.nodes;
var BYID = new Map();
var PARENTS = NODES.map(function (n) { return n.parents; });
var CHILDREN = NODES.map(function () { return []; });
var COLS = NODES.map(function () { return new Map(); });
var DOWN = new Map(); // colKey -> [{n, c}] of the columns computed from it
NODES.forEach(function (n, i) {
  BYID.set(n.id, i);
  n.parents.forEach(function (p) { CHILDREN[p].push(i); });
  n.columns.forEach(function (c) {
    COLS[i].set(lower(c.name), c);
    (c.upstream || []).forEach(function (r) {
      if (r.n < 0) return;
      var k = colKey(r.n, r.c);
      if (!DOWN.has(k)) DOWN.set(k, []);
      DOWN.get(k).push({ n: i, c: c.name });
    });
  });
});

function columnUpstream(n, c) {
  var col = COLS[n].get(lower(c));
  return col && col.upstream || [];
}

var GRAPH_LIMIT = 400;

// KIND_INFO holds how each kind of node shows (DATA.kinds, made by the
// generator): its title, colour class, and whether it is a check (a test),
// which the graph hides unless asked. No kind is named in the script.
var KIND_INFO = new Map();
DATA.kinds.forEach(function (k) { KIND_INFO.set(k.kind, k); });

function kindInfo(kind) { return KIND_INFO.get(kind) || { kind: kind, title: kind, class: "", check: false }; }

function isCheck(n) { return !!kindInfo(n.kind).check; }

// ---- the searchable list

function buildTree() {
  var tree = clear(document.getElementById("tree"));
  DATA.kinds.forEach(function (k) {
    var kind = k.kind, ids = [];
    // docs.show false leaves a node out of the list (dbt's docs site).
    NODES.forEach(function (n, i) { if (n.kind === kind && !n.hidden) ids.push(i); });
    if (!ids.length) return;
    var folders = new Map();
    ids.forEach(function (i) {
      var f = NODES[i].folder || "(root)";
      if (!folders.has(f)) folders.set(f, []);
      folders.get(f).push(i);
    });
    var sec = el("details", { class: "kind", open: !k.check, "data-kind": kind },
      el("summary", {}, [kindDot(kind), k.title + " (" + ids.length + ")"]));
    var fill = function () {
      Array.from(folders.keys()).sort().forEach(function (f) {
        var items = folders.get(f).slice().sort(function (a, b) { return NODES[a].label < NODES[b].label ? -1 : 1; });
        sec.appendChild(el("details", { class: "folder", open: true }, [el("summary", { text: f })].concat(items.map(treeItem))));
      });
    };
    if (sec.open) fill();
    else sec.addEventListener("toggle", function once() { sec.removeEventListener("toggle", once); fill(); });
    tree.appendChild(sec);
  });
}

function treeItem(i) {
  return el("a", { class: "item", href: nodeHref(i), "data-id": NODES[i].id, title: NODES[i].id }, [kindDot(NODES[i].kind), NODES[i].label]);
}

// search ranks nodes by their name, then id, then the names of their
// columns (a node with a column named q, then one whose column name holds
// q: typing a column name lists the nodes that have it), then their
// description.
function search(q) {
  q = lower(q.trim());
  var hits = [];
  NODES.forEach(function (n, i) {
    var name = lower(n.label), score = -1, why = "";
    if (name === q) score = 0;
    else if (name.indexOf(q) === 0) score = 1;
    else if (name.indexOf(q) >= 0) score = 2;
    else if (lower(n.id).indexOf(q) >= 0) score = 3;
    else {
      // A column named q ranks before one whose name holds q.
      var exact = null, part = null;
      n.columns.forEach(function (c) {
        var cn = lower(c.name);
        if (cn === q) exact = exact || c;
        else if (!part && cn.indexOf(q) >= 0) part = c;
      });
      if (exact || part) { score = exact ? 4 : 4.25; why = (exact || part).name; }
      else if (n.description_html && lower(n.description_html).indexOf(q) >= 0) score = 5;
    }
    if (score >= 0) hits.push({ i: i, s: score + (isCheck(n) ? 0.5 : 0), why: why });
  });
  hits.sort(function (a, b) { return a.s - b.s || a.i - b.i; });
  return hits;
}

function showSearch(q) {
  if (!q.trim()) { buildTree(); return; }
  var tree = clear(document.getElementById("tree"));
  var hits = search(q);
  if (!hits.length) { tree.appendChild(el("div", { class: "hint", text: "No node matches." })); return; }
  hits.slice(0, 200).forEach(function (h) {
    var a = treeItem(h.i);
    if (h.why) { a.setAttribute("href", nodeHref(h.i, h.why)); append(a, el("span", { class: "muted", text: " · " + h.why })); }
    tree.appendChild(a);
  });
  if (hits.length > 200) tree.appendChild(el("div", { class: "hint", text: (hits.length - 200) + " more: refine the search" }));
}

// ---- the graph page

function renderGraph(main, q) {
  main.classList.add("full");
  var state = { select: q.get("select") || "", exclude: q.get("exclude") || "", tests: q.get("tests") === "1", node: q.get("node"), column: q.get("column") };
  var selIn = el("input", { type: "text", id: "graph-select", placeholder: "--select, e.g. +revenue_by_product", value: state.select });
  var excIn = el("input", { type: "text", id: "graph-exclude", placeholder: "--exclude", value: state.exclude });
  var testsIn = el("input", { type: "checkbox", id: "graph-tests", checked: state.tests });
  var msg = el("span", { id: "graph-msg" });
  var go = function () {
    var p = new URLSearchParams();
    if (selIn.value.trim()) p.set("select", selIn.value.trim());
    if (excIn.value.trim()) p.set("exclude", excIn.value.trim());
    if (testsIn.checked) p.set("tests", "1");
    if (state.node) p.set("node", state.node);
    location.hash = "#/graph?" + p.toString();
  };
  [selIn, excIn].forEach(function (x) { x.addEventListener("keydown", function (ev) { if (ev.key === "Enter") go(); }); });
  testsIn.addEventListener("change", go);
  var panel = el("aside", { id: "graph-panel", hidden: true });
  var host = el("div", { id: "graph", class: "canvas-host" });
  append(main, [
    el("div", { id: "graph-bar" }, [selIn, excIn, el("label", {}, [testsIn, " tests"]), el("button", { type: "button", id: "graph-apply", text: "Apply", onclick: go }),
      el("span", { class: "muted", title: GRAPH_HELP, text: "help" }), msg]),
    el("div", { id: "graph-wrap" }, [host, panel]),
  ]);
  var canvas = new GraphCanvas(host);
  var focus = state.node && BYID.has(state.node) ? BYID.get(state.node) : -1;
  if (state.column && focus >= 0) { graphColumn(canvas, panel, msg, state, focus); return; }
  var unmatched = [], sel;
  try {
    sel = selectNodes(state.select, state.exclude, unmatched);
  } catch (e) {
    if (!(e instanceof SelectorError)) throw e;
    msg.textContent = "selector error: " + e.message;
    msg.className = "err";
    sel = NODES.map(function () { return true; });
  }
  if (unmatched.length && !msg.textContent) msg.textContent = "matches no node: " + unmatched.join(" ");
  var visible = [];
  sel.forEach(function (on, i) { if (on && (state.tests || !isCheck(NODES[i]))) visible.push(i); });
  var shown = visible;
  if (visible.length > GRAPH_LIMIT) {
    if (focus < 0 || !sel[focus]) {
      canvas.notice([el("b", { text: fmtInt(visible.length) + " nodes match." }), el("p", { text: "That is too many to draw at once: pick a node in the list on the left, or narrow the selection (for example +" + (NODES[visible[0]].name) + "+ or tag:…)." })]);
      panelHint(panel);
      return;
    }
    shown = neighbourhood(focus, new Set(visible));
    if (!msg.textContent) msg.textContent = fmtInt(visible.length) + " nodes match; showing the " + shown.length + " nearest to " + NODES[focus].label;
  } else if (!msg.textContent) {
    msg.textContent = shown.length + " node(s)";
  }
  var drawn = new Set(shown);
  var items = shown.map(function (i) {
    var n = NODES[i];
    return { key: i, label: n.label, kind: n.kind, kindClass: kindInfo(n.kind).class, title: n.id,
      cls: (n.result ? "st-" + n.result.status : "") + (n.hidden ? " hidden" : ""), color: n.hidden ? "" : n.node_color,
      sub: n.kind + (n.kind === "model" && n.config.materialized ? " · " + n.config.materialized : "") + (n.result ? " · " + n.result.status : "") };
  });
  var pick = function (i) {
    state.node = NODES[i].id;
    var p = new URLSearchParams(q);
    p.set("node", state.node);
    p.delete("column");
    history.replaceState(null, "", "#/graph?" + p.toString());
    canvas.highlight(i, within(PARENTS, i, drawn), within(CHILDREN, i, drawn));
    nodePanel(panel, i);
  };
  canvas.draw(items, function (i) { return PARENTS[i]; }, pick, function (i) { location.hash = nodeHref(i); });
  var whole = canvas.firstView();
  if (!whole && msg.className !== "err") msg.textContent += " · shown at a readable size: drag to pan, scroll or \"fit\" to see them all";
  if (focus >= 0 && drawn.has(focus)) {
    pick(focus);
    if (!whole) canvas.center(focus);
  } else panelHint(panel);
}

function within(next, i, set) {
  var out = new Set(), stack = [i];
  while (stack.length) {
    next[stack.pop()].forEach(function (j) { if (set.has(j) && !out.has(j)) { out.add(j); stack.push(j); } });
  }
  return out;
}

// neighbourhood returns the nodes of set nearest to i, up and down, by
// growing depth, at most GRAPH_LIMIT of them, in topological order.
function neighbourhood(i, set) {
  var got = new Set([i]), frontier = [i];
  while (frontier.length) {
    var next = [];
    frontier.forEach(function (k) {
      PARENTS[k].concat(CHILDREN[k]).forEach(function (j) { if (set.has(j) && !got.has(j) && next.indexOf(j) < 0) next.push(j); });
    });
    if (got.size + next.length > GRAPH_LIMIT) break;
    next.forEach(function (j) { got.add(j); });
    frontier = next;
  }
  return Array.from(got).sort(function (a, b) { return a - b; });
}

var GRAPH_HELP = "Click a node to highlight its ancestors and descendants and to list its columns; double-click to open its page. Drag to pan, scroll to zoom. The filter takes kiln's --select syntax: +name, name+2, tag:…, path:…, source:…, config.materialized:table, a,b (both), a b (either).";

function panelHint(panel) {
  clear(panel);
  panel.hidden = true;
}

function closeButton(panel) {
  return el("button", { type: "button", class: "close", title: "close", text: "×", onclick: function () { panel.hidden = true; } });
}

function nodePanel(panel, i) {
  var n = NODES[i];
  clear(panel);
  panel.hidden = false;
  append(panel, [
    closeButton(panel),
    el("h3", {}, [kindDot(n.kind), el("a", { href: nodeHref(i), id: "panel-open", text: n.label })]),
    el("div", { class: "sub", text: n.kind + (n.relation ? " · " + n.relation : "") }),
    n.description_html ? el("div", { class: "desc", trustedHTML: n.description_html }) : null,
  ]);
  if (!n.columns.length) return;
  append(panel, el("h3", { text: "Columns: pick one for its lineage" }));
  append(panel, el("div", { class: "cols" }, n.columns.map(function (c) {
    return el("button", { type: "button", class: "mono", "data-col": c.name, text: c.name, onclick: function () {
      var p = new URLSearchParams(location.hash.split("?")[1] || "");
      p.set("node", n.id);
      p.set("column", c.name);
      location.hash = "#/graph?" + p.toString();
    } });
  })));
}

function graphColumn(canvas, panel, msg, state, i) {
  var cl = drawColumnGraph(canvas, i, state.column, function (k) {
    var x = cl.info.get(k);
    if (x.n < 0) return;
    var p = new URLSearchParams(location.hash.split("?")[1] || "");
    p.set("node", NODES[x.n].id);
    p.set("column", x.c);
    location.hash = "#/graph?" + p.toString();
  }, function (k) {
    var x = cl.info.get(k);
    if (x.n >= 0) location.hash = nodeHref(x.n, x.c);
  });
  canvas.firstView();
  msg.textContent = "column lineage: " + cl.up.size + " upstream, " + cl.down.size + " downstream column(s)";
  clear(panel);
  panel.hidden = false;
  var back = new URLSearchParams(location.hash.split("?")[1] || "");
  back.delete("column");
  append(panel, [
    closeButton(panel),
    el("h3", { text: NODES[i].label + "." + state.column }),
    el("p", {}, [el("a", { href: "#/graph?" + back.toString(), text: "← back to the node graph" })]),
    el("p", {}, el("a", { href: nodeHref(i, state.column), text: "open the page of " + NODES[i].label })),
    el("p", { class: "muted", text: "Upstream columns are blue, downstream green. Click a column to follow it." }),
  ]);
}

// ---- router

function route() {
  var t0 = performance.now();
  var h = location.hash || "#/", qi = h.indexOf("?");
  var pathPart = qi >= 0 ? h.slice(1, qi) : h.slice(1), q = new URLSearchParams(qi >= 0 ? h.slice(qi + 1) : "");
  var main = clear(document.getElementById("main"));
  main.className = "";
  main.scrollTop = 0;
  var tab = "overview";
  if (pathPart.indexOf("/node/") === 0) {
    var id = decodeURIComponent(pathPart.slice(6)), i = BYID.get(id);
    tab = "";
    if (i === undefined) append(main, el("p", { text: "No node " + id + " in this project." }));
    else renderNode(main, i, q.get("column"));
    markCurrent(id);
  } else if (pathPart === "/graph") {
    tab = "graph";
    renderGraph(main, q);
  } else if (pathPart === "/run") {
    tab = "run";
    renderRun(main);
  } else {
    renderOverview(main);
  }
  Array.prototype.forEach.call(document.querySelectorAll("#tabs a"), function (a) {
    a.classList.toggle("active", a.getAttribute("data-tab") === tab);
    if (a.getAttribute("data-tab") === "run") a.classList.toggle("disabled", !DATA.run);
  });
  if (window.kiln) window.kiln.renderMs = performance.now() - t0;
}

function markCurrent(id) {
  Array.prototype.forEach.call(document.querySelectorAll("#tree .item"), function (a) {
    a.classList.toggle("current", a.getAttribute("data-id") === id);
  });
}

document.getElementById("meta").textContent = "kiln " + DATA.kiln_version + " · " + DATA.generated_at;
var searchBox = document.getElementById("search");
searchBox.addEventListener("input", function () { showSearch(searchBox.value); });
searchBox.addEventListener("keydown", function (ev) {
  if (ev.key !== "Enter") return;
  var first = document.querySelector("#tree .item");
  if (first) location.hash = first.getAttribute("href");
});
// For tests and other tools: the data and the selector.
window.kiln = { data: DATA, renderMs: 0, select: function (sel, exc) {
  var d = selectNodes(sel, exc);
  return NODES.filter(function (n, i) { return d[i]; }).map(function (n) { return n.id; });
} };

window.addEventListener("hashchange", route);
buildTree();
route();

