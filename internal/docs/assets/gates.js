// Charts of the deviation gates (issue 19): for each series of an anomaly
// test of the last run, its accepted months, the band of the month
// checked and the value found, drawn as a small inline SVG.

function fmtValue(x) {
  if (x === null || x === undefined) return "";
  return Number(x).toLocaleString("en-US", { maximumFractionDigits: Math.abs(x) >= 100 ? 0 : 2 });
}

// monthIndex turns "YYYY-MM" into a count of months.
function monthIndex(m) {
  var p = String(m).split("-");
  return Number(p[0]) * 12 + Number(p[1]) - 1;
}

// gateChart draws one series: history as a line with dots, the band as a
// shaded strip with the expected value dashed, the month checked as a dot
// coloured by its verdict.
function gateChart(g) {
  var W = 380, H = 130, L = 56, R = 12, T = 10, B = 24;
  var pts = (g.history || []).map(function (p) { return { x: monthIndex(p.month), y: p.value }; });
  var now = { x: monthIndex(g.month), y: g.value };
  var ys = pts.map(function (p) { return p.y; });
  [g.value, g.lower, g.upper, g.expected].forEach(function (v) { if (v !== null && v !== undefined) ys.push(v); });
  var svg = sv("svg", { class: "gate-chart", width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
    "aria-label": (g.label || "gate") + ": " + (g.verdict || "") });
  if (!ys.length) return svg;
  var lo = Math.min.apply(null, ys), hi = Math.max.apply(null, ys);
  if (hi === lo) { hi += Math.abs(hi) * 0.1 || 1; lo -= Math.abs(lo) * 0.1 || 1; }
  var pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
  var x0 = pts.length ? pts[0].x : now.x - 1, x1 = now.x;
  if (x1 === x0) x0 = x1 - 1;
  var X = function (m) { return L + (m - x0) / (x1 - x0) * (W - L - R); };
  var Y = function (v) { return T + (hi - v) / (hi - lo) * (H - T - B); };
  if (g.lower !== null && g.upper !== null && g.lower !== undefined && g.upper !== undefined) {
    svg.appendChild(sv("rect", { class: "band", x: L, width: W - L - R, y: Y(g.upper), height: Math.max(1, Y(g.lower) - Y(g.upper)) }));
    svg.appendChild(sv("text", { class: "axis", x: L - 4, y: Y(g.upper) + 4, "text-anchor": "end", text: fmtValue(g.upper) }));
    svg.appendChild(sv("text", { class: "axis", x: L - 4, y: Y(g.lower) + 4, "text-anchor": "end", text: fmtValue(g.lower) }));
  }
  if (g.expected !== null && g.expected !== undefined) {
    svg.appendChild(sv("line", { class: "expected", x1: L, x2: W - R, y1: Y(g.expected), y2: Y(g.expected) }));
  }
  if (pts.length) {
    svg.appendChild(sv("polyline", { class: "history", points: pts.map(function (p) { return X(p.x) + "," + Y(p.y); }).join(" ") }));
    pts.forEach(function (p) { svg.appendChild(sv("circle", { class: "past", cx: X(p.x), cy: Y(p.y), r: 2.2 })); });
  }
  if (g.value !== null && g.value !== undefined) {
    svg.appendChild(sv("circle", { class: "now v-" + (g.verdict || "pass"), cx: X(now.x), cy: Y(now.y), r: 4.5 },
      sv("title", { text: g.month + ": " + fmtValue(g.value) })));
  }
  svg.appendChild(sv("text", { class: "axis", x: L, y: H - 6, text: pts.length ? (g.history[0].month) : "" }));
  svg.appendChild(sv("text", { class: "axis", x: W - R, y: H - 6, "text-anchor": "end", text: g.month }));
  return svg;
}

// renderGates draws the series of the tests whose results carry gates,
// a chart and its explanation each.
function renderGates(main, tests, title) {
  var items = [];
  tests.forEach(function (j) {
    var r = NODES[j].result;
    (r && r.gates || []).forEach(function (g) { items.push({ j: j, g: g }); });
  });
  if (!items.length) return;
  var box = el("div", { class: "gates", id: "gates" });
  items.forEach(function (it) {
    var g = it.g;
    box.appendChild(el("figure", { class: "gate", "data-verdict": g.verdict }, [
      el("figcaption", {}, [statusBadge(g.verdict === "anomaly" ? "fail" : g.verdict === "cold_start" ? "warn" : "pass"), " ",
        tests.length > 1 ? [nodeLink(it.j, NODES[it.j].name), ": "] : null, el("span", { class: "mono", text: g.label })]),
      gateChart(g),
      el("ul", { class: "explain" }, (g.explain || []).map(function (l) { return el("li", { text: l }); })),
    ]));
  });
  append(main, [el("h2", { text: title }), box]);
}
