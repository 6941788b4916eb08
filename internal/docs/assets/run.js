// The last run: a Gantt timeline of the nodes per worker, and the tests'
// expected and actual results.

var STATUS_ORDER = ["error", "fail", "warn", "skipped", "success", "pass"];

function runSummary() {
  var run = DATA.run;
  return el("div", {}, [
    el("div", { class: "sub", text: "kiln " + (run.command || "run") + " · " + run.generated_at + " · " + fmtSeconds(run.elapsed_s) +
      " · " + run.threads.length + " thread(s)" + (run.unknown ? " · " + run.unknown + " result(s) of nodes no longer in the project" : "") }),
    el("div", { class: "cards", id: "run-statuses" }, Object.keys(run.statuses).sort(function (a, b) {
      return STATUS_ORDER.indexOf(a) - STATUS_ORDER.indexOf(b);
    }).map(function (s) { return el("div", { class: "card" }, [el("b", { text: fmtInt(run.statuses[s]) }), statusBadge(s)]); })),
  ]);
}

function renderRun(main) {
  append(main, el("h1", { text: "Last run" }));
  if (!DATA.run) {
    append(main, el("p", { class: "muted", text: "No run results: run kiln build, then kiln docs generate." }));
    return;
  }
  append(main, runSummary());
  append(main, [el("h2", { text: "Timeline" }),
    el("div", { class: "legend" }, ["success", "pass", "warn", "fail", "error"].map(function (s) {
      return el("span", {}, [statusBadge(s)]);
    }).concat([el("span", { class: "muted", text: "one row per worker; click a bar to open its node" })]))]);
  var host = el("div", { id: "run-timeline" });
  append(main, host);
  drawTimeline(host);
  var tests = DATA.run.results.filter(function (i) { return isCheck(NODES[i]); });
  tests.sort(function (a, b) {
    return STATUS_ORDER.indexOf(NODES[a].result.status) - STATUS_ORDER.indexOf(NODES[b].result.status) || a - b;
  });
  renderTestTable(main, "Tests: expected and actual", tests, "run-tests");
  var problems = DATA.run.results.filter(function (i) {
    var s = NODES[i].result.status;
    return s === "error" || s === "fail" || s === "warn" || s === "skipped";
  });
  if (problems.length) {
    var t = el("table", { id: "run-problems" }, el("tr", {}, ["Node", "Status", "Message"].map(function (h) { return el("th", { text: h }); })));
    problems.forEach(function (i) {
      var r = NODES[i].result;
      t.appendChild(el("tr", {}, [el("td", {}, [kindDot(NODES[i].kind), nodeLink(i)]), el("td", {}, statusBadge(r.status)), el("td", { text: r.message || "" })]));
    });
    append(main, [el("h2", { text: "Problems" }), t]);
  }
}

function niceStep(span, ticks) {
  var raw = span / ticks, p = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  var m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

function drawTimeline(host) {
  var run = DATA.run, left = 96, rowH = 26, top = 22;
  var width = Math.max(720, host.clientWidth || 900) - 2;
  var span = run.span_ms || 1, scale = (width - left - 16) / span;
  var rows = {};
  run.threads.forEach(function (t, k) { rows[t] = k; });
  var height = top + run.threads.length * rowH + 10;
  var svg = sv("svg", { width: width, height: height, role: "img", "aria-label": "run timeline" });
  var step = niceStep(span, 8);
  for (var x = 0; x <= span + 1e-9; x += step) {
    var px = left + x * scale;
    svg.appendChild(sv("line", { class: "tick", x1: px, x2: px, y1: top - 4, y2: height }));
    svg.appendChild(sv("text", { x: px + 2, y: 12, text: step >= 1000 ? (x / 1000).toFixed(step >= 10000 ? 0 : 1) + " s" : Math.round(x) + " ms" }));
  }
  run.threads.forEach(function (t, k) {
    svg.appendChild(sv("text", { x: 6, y: top + k * rowH + 16, text: t }));
  });
  run.results.forEach(function (i) {
    var r = NODES[i].result;
    if (!r.thread || !r.started_at || rows[r.thread] === undefined) return;
    var bar = sv("rect", {
      class: "bar s-" + r.status + (isCheck(NODES[i]) ? " test" : ""), "data-id": NODES[i].id,
      x: (left + r.start_ms * scale).toFixed(1), y: top + rows[r.thread] * rowH + 3,
      width: Math.max(2, (r.end_ms - r.start_ms) * scale - 1).toFixed(1), height: rowH - 8, rx: 2,
    }, sv("title", { text: NODES[i].label + " (" + NODES[i].kind + ") · " + r.status + " · " + fmtSeconds(r.execution_time) }));
    bar.addEventListener("click", function () { location.hash = nodeHref(i); });
    svg.appendChild(bar);
  });
  host.appendChild(svg);
}
