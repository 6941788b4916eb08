// DOM helpers. User text always goes through textContent (or a text node):
// never innerHTML, except for descriptions, which the generator rendered
// from a safe Markdown subset with every other character escaped.

var SVGNS = "http://www.w3.org/2000/svg";

function setAttrs(e, attrs) {
  if (!attrs) return;
  Object.keys(attrs).forEach(function (k) {
    var v = attrs[k];
    if (v === undefined || v === null || v === false) return;
    if (k === "text") e.textContent = String(v);
    else if (k === "trustedHTML") e.innerHTML = v; // generator-rendered Markdown only
    else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  });
}

function append(e, c) {
  if (c === undefined || c === null || c === false) return;
  if (Array.isArray(c)) { c.forEach(function (x) { append(e, x); }); return; }
  if (typeof c === "string" || typeof c === "number") { e.appendChild(document.createTextNode(String(c))); return; }
  e.appendChild(c);
}

function el(tag, attrs, children) {
  var e = document.createElement(tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}

function sv(tag, attrs, children) {
  var e = document.createElementNS(SVGNS, tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}

function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

function nodeHref(i, column) {
  var h = "#/node/" + encodeURIComponent(NODES[i].id);
  if (column) h += "?column=" + encodeURIComponent(column);
  return h;
}

function nodeLink(i, text) {
  if (i < 0 || !NODES[i]) return el("span", { class: "muted", text: text || "?" });
  return el("a", { href: nodeHref(i), text: text || NODES[i].label });
}

function statusBadge(status) {
  if (!status) return null;
  return el("span", { class: "badge s-" + status.replace(/\s+/g, "-"), text: status });
}

function kindDot(kind) { return el("span", { class: "dot k-" + kindInfo(kind).class }); }

function fmtSeconds(s) {
  if (s === undefined || s === null) return "";
  if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 1 : 0) + " ms";
  return s.toFixed(2) + " s";
}

function fmtInt(n) { return n === undefined || n === null || n < 0 ? "" : Number(n).toLocaleString("en-US"); }

function lower(s) { return String(s).toLowerCase(); }

function truncate(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }
