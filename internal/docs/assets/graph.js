// GraphCanvas draws a layered DAG in SVG with pan (drag) and zoom (wheel,
// buttons), and highlights a selection with its ancestors and descendants.

function GraphCanvas(container) {
  var self = this;
  this.k = 1; this.tx = 0; this.ty = 0;
  this.view = sv("g", { class: "viewport" });
  this.edgesG = sv("g", { class: "edges" });
  this.nodesG = sv("g", { class: "nodes" });
  this.view.appendChild(this.edgesG);
  this.view.appendChild(this.nodesG);
  this.svg = sv("svg", { role: "img", "aria-label": "lineage graph" }, this.view);
  this.noticeEl = el("div", { class: "notice", hidden: true });
  this.root = el("div", { class: "canvas" }, [
    this.svg,
    el("div", { class: "zoom" }, [
      el("button", { type: "button", title: "zoom in", text: "+", onclick: function () { self.zoomBy(1.25); } }),
      el("button", { type: "button", title: "zoom out", text: "−", onclick: function () { self.zoomBy(0.8); } }),
      el("button", { type: "button", title: "fit the graph", text: "fit", onclick: function () { self.fit(); } }),
    ]),
    this.noticeEl,
  ]);
  container.appendChild(this.root);
  this.elems = new Map();
  this.edgeEls = [];
  this.moved = false;
  var drag = null;
  this.svg.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, tx: self.tx, ty: self.ty };
    self.moved = false;
  });
  window.addEventListener("pointermove", function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!self.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    self.moved = true;
    self.svg.classList.add("dragging");
    self.tx = drag.tx + dx; self.ty = drag.ty + dy;
    self.apply();
  });
  window.addEventListener("pointerup", function () { drag = null; self.svg.classList.remove("dragging"); });
  this.svg.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var r = self.svg.getBoundingClientRect();
    self.zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
  }, { passive: false });
}

GraphCanvas.prototype.apply = function () {
  this.view.setAttribute("transform", "translate(" + this.tx.toFixed(1) + "," + this.ty.toFixed(1) + ") scale(" + this.k.toFixed(4) + ")");
};

GraphCanvas.prototype.zoomAt = function (f, mx, my) {
  var k = Math.min(4, Math.max(0.05, this.k * f));
  f = k / this.k;
  this.tx = mx - (mx - this.tx) * f;
  this.ty = my - (my - this.ty) * f;
  this.k = k;
  this.apply();
};

GraphCanvas.prototype.zoomBy = function (f) {
  var r = this.svg.getBoundingClientRect();
  this.zoomAt(f, r.width / 2, r.height / 2);
};

// The node titles are TITLE_PX in the drawing (style.css); the first view
// of a graph shows them at READABLE_PX or more on the screen.
var TITLE_PX = 12, READABLE_PX = 11.5, PAD = 24;

// fit shows the whole graph, at any scale up to 1.2.
GraphCanvas.prototype.fit = function () {
  var r = this.svg.getBoundingClientRect();
  if (!this.size || !r.width) return;
  this.k = Math.min(1.2, Math.max(0.05, this.fitScale(r)));
  this.tx = (r.width - this.size.w * this.k) / 2;
  this.ty = Math.max(PAD, (r.height - this.size.h * this.k) / 2);
  this.apply();
};

GraphCanvas.prototype.fitScale = function (r) {
  return Math.min((r.width - 2 * PAD) / this.size.w, (r.height - 2 * PAD) / this.size.h);
};

// firstView fits the graph when its titles stay readable; otherwise it
// shows the graph at the least readable scale from its start (the roots,
// on the left), centred vertically when it is not too tall, and returns
// false: the "fit" button then shows the whole graph.
GraphCanvas.prototype.firstView = function () {
  var r = this.svg.getBoundingClientRect();
  if (!this.size || !r.width) return true;
  if (this.fitScale(r) * TITLE_PX >= READABLE_PX) { this.fit(); return true; }
  this.k = READABLE_PX / TITLE_PX;
  this.tx = PAD;
  this.ty = Math.max(PAD, (r.height - this.size.h * this.k) / 2);
  this.apply();
  return false;
};

GraphCanvas.prototype.center = function (key) {
  var p = this.layout && this.layout.pos.get(key), r = this.svg.getBoundingClientRect();
  if (!p || !r.width) return;
  this.k = Math.max(this.k, READABLE_PX / TITLE_PX);
  this.tx = r.width / 2 - (p.x + LAYOUT.w / 2) * this.k;
  this.ty = r.height / 2 - (p.y + LAYOUT.h / 2) * this.k;
  this.apply();
};

GraphCanvas.prototype.notice = function (children) {
  clear(this.noticeEl);
  if (!children) { this.noticeEl.hidden = true; return; }
  append(this.noticeEl, children);
  this.noticeEl.hidden = false;
};

// isDark reports whether CSS colour c (a name or a hex code) is dark
// enough that a node's text on it is drawn light.
function isDark(c) {
  var ctx = document.createElement("canvas").getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillStyle = c; // normalised to #rrggbb
  var h = ctx.fillStyle, r = parseInt(h.slice(1, 3), 16), g = parseInt(h.slice(3, 5), 16), b = parseInt(h.slice(5, 7), 16);
  return 0.299 * r + 0.587 * g + 0.114 * b < 140;
}

// draw lays out and draws items: [{key, label, sub, title, kind, cls, color}] in
// topological order; parentsOf(key) gives a key's parents. onPick(key) runs
// on a click, onOpen(key) on a double click.
GraphCanvas.prototype.draw = function (items, parentsOf, onPick, onOpen) {
  var self = this;
  clear(this.edgesG); clear(this.nodesG);
  this.elems = new Map(); this.edgeEls = [];
  var keys = items.map(function (it) { return it.key; });
  var lay = layeredLayout(keys, parentsOf);
  this.layout = lay;
  this.size = { w: lay.width, h: lay.height };
  var W = LAYOUT.w, H = LAYOUT.h;
  lay.edges().forEach(function (e) {
    var p = sv("path", { class: "edge", d: edgePath(lay.pos.get(e[0]), lay.pos.get(e[1]), e[2]), "data-from": e[0], "data-to": e[1] });
    self.edgesG.appendChild(p);
    self.edgeEls.push({ from: e[0], to: e[1], el: p });
  });
  var frag = document.createDocumentFragment();
  items.forEach(function (it) {
    var p = lay.pos.get(it.key);
    var g = sv("g", { class: "node kind-" + (it.kindClass || it.kind) + (it.cls ? " " + it.cls : ""), transform: "translate(" + p.x + "," + p.y + ")", "data-key": it.key }, [
      sv("title", { text: it.title || it.label }),
      sv("rect", { width: W, height: H, rx: 5 }),
      sv("text", { x: 9, y: 14, class: "title", text: truncate(it.label, 25) }),
      sv("text", { x: 9, y: 27, class: "kind", text: truncate(it.sub || it.kind, 32) }),
    ]);
    if (it.color) {
      // docs.node_color fills the box (through the CSSOM: the page's CSP
      // allows no style attribute); a dark one gets light text.
      g.querySelector("rect").style.fill = it.color;
      if (isDark(it.color)) g.classList.add("on-dark");
    }
    g.addEventListener("click", function (ev) { ev.stopPropagation(); if (!self.moved && onPick) onPick(it.key); });
    g.addEventListener("dblclick", function (ev) { ev.stopPropagation(); if (onOpen) onOpen(it.key); });
    self.elems.set(it.key, { g: g, base: g.getAttribute("class") });
    frag.appendChild(g);
  });
  this.nodesG.appendChild(frag);
};

// highlight marks key, its ancestors up and its descendants down (Sets of
// keys); the rest is dimmed. A null key clears the highlight.
GraphCanvas.prototype.highlight = function (key, up, down) {
  this.elems.forEach(function (e, k) {
    var c = e.base;
    if (key !== null && key !== undefined) {
      if (k === key) c += " sel";
      else if (up.has(k)) c += " up";
      else if (down.has(k)) c += " down";
      else c += " dim";
    }
    e.g.setAttribute("class", c);
  });
  this.edgeEls.forEach(function (e) {
    var c = "edge";
    if (key !== null && key !== undefined) {
      var upPath = (up.has(e.from) || e.from === key) && (up.has(e.to) || e.to === key);
      var downPath = (down.has(e.from) || e.from === key) && (down.has(e.to) || e.to === key);
      c += upPath || downPath ? " hot" : " dim";
    }
    e.el.setAttribute("class", c);
  });
};

// Column lineage graphs: keys are "n|column" for a column of node n, and
// "x|relation|column" for a relation no node stands for.

function colKey(n, c) { return n + "|" + lower(c); }

function columnLineage(n, c) {
  var start = colKey(n, c), info = new Map(), up = new Set(), down = new Set(), parents = new Map();
  info.set(start, { n: n, c: c });
  var queue = [start];
  while (queue.length) {
    var k = queue.shift(), x = info.get(k), ps = [];
    if (x.n >= 0) columnUpstream(x.n, x.c).forEach(function (r) {
      var rk = r.n >= 0 ? colKey(r.n, r.c) : "x|" + r.r + "|" + lower(r.c);
      ps.push(rk);
      if (!info.has(rk)) { info.set(rk, { n: r.n, c: r.c, r: r.r }); up.add(rk); queue.push(rk); }
    });
    parents.set(k, ps);
  }
  queue = [start];
  while (queue.length) {
    var dk = queue.shift();
    (DOWN.get(dk) || []).forEach(function (r) {
      var rk = colKey(r.n, r.c);
      if (!parents.has(rk)) parents.set(rk, []);
      if (parents.get(rk).indexOf(dk) < 0) parents.get(rk).push(dk);
      if (!info.has(rk)) { info.set(rk, { n: r.n, c: r.c }); down.add(rk); queue.push(rk); }
    });
  }
  var keys = Array.from(info.keys());
  keys.sort(function (a, b) { return info.get(a).n - info.get(b).n || (a < b ? -1 : a > b ? 1 : 0); });
  return { start: start, keys: keys, info: info, up: up, down: down, parentsOf: function (k) { return parents.get(k) || []; } };
}

function columnItems(cl) {
  return cl.keys.map(function (k) {
    var x = cl.info.get(k);
    var owner = x.n >= 0 ? NODES[x.n].label : x.r;
    return { key: k, kind: "column", label: x.c, sub: owner + (x.n >= 0 ? " · " + NODES[x.n].kind : ""), title: owner + "." + x.c };
  });
}

// drawColumnGraph draws the lineage of column c of node n on canvas.
function drawColumnGraph(canvas, n, c, onPick, onOpen) {
  var cl = columnLineage(n, c);
  canvas.draw(columnItems(cl), cl.parentsOf, onPick, onOpen);
  canvas.highlight(cl.start, cl.up, cl.down);
  return cl;
}
