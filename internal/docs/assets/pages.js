// The overview and the page of a node.

function renderOverview(main) {
  var counts = {};
  NODES.forEach(function (n) { counts[n.kind] = (counts[n.kind] || 0) + 1; });
  var lineageCols = 0;
  NODES.forEach(function (n) { if (n.lineage) lineageCols += n.columns.length; });
  append(main, [
    el("h1", { text: DATA.project }),
    el("div", { class: "sub", text: "Documentation generated " + DATA.generated_at + " by kiln " + DATA.kiln_version +
      (DATA.has_catalog ? ", with the database's catalog" : ", without a database: no column types or row counts") }),
    el("div", { class: "cards" }, DATA.kinds.map(function (k) {
      return el("div", { class: "card", "data-kind": k.kind }, [el("b", { text: fmtInt(counts[k.kind] || 0) }), kindDot(k.kind), lower(k.title)]);
    }).concat([el("div", { class: "card" }, [el("b", { text: fmtInt(lineageCols) }), "columns with lineage"])])),
    el("p", {}, ["Open the ", el("a", { href: "#/graph", text: "lineage graph" }),
      ", search a model, source or column on the left, or see ", el("a", { href: "#/run", text: "the last run" }), "."]),
  ]);
  renderBuiltWith(main);
  if (DATA.overview_html) {
    append(main, [el("div", { class: "desc", id: "overview", trustedHTML: DATA.overview_html })]);
  }
  if (DATA.run) {
    append(main, [el("h2", { text: "Last run" }), runSummary()]);
  }
}

// renderBuiltWith shows the runs whose data the tables hold, with the
// vars each ran with (given by --vars, or the project's defaults) and
// the input files it read, so that a reader can tell which month (or
// folder of inputs) the pages stand for.
function renderBuiltWith(main) {
  var runs = DATA.built_with || [];
  if (!runs.length) return;
  var box = el("div", { id: "built-with" }, [el("h2", { text: "Built with" })]);
  runs.forEach(function (b) {
    var who = [b.relations ? "The tables hold the data of run " : "The last run, ", el("span", { class: "mono", text: b.run_id.slice(0, 8) }),
      " (kiln " + (b.command || "?") + ", finished " + b.finished_at + ")",
      b.relations ? ", " + fmtInt(b.relations) + (b.relations === 1 ? " relation" : " relations") + ", built with these vars:" : ", had these vars (no database was read):"];
    var vars = el("table", { class: "meta vars" }, b.vars.map(function (v) {
      return el("tr", { "data-var": v.name }, [el("th", { class: "mono", text: v.name }), el("td", { class: "mono", text: v.value }),
        el("td", { class: "muted", text: v.given ? "--vars" : "project default" })]);
    }));
    append(box, [el("p", { class: "built-run" }, who), vars]);
    if (b.inputs && b.inputs.length) {
      append(box, [el("p", { text: "Its input files:" }), el("table", { class: "meta inputs" }, b.inputs.map(function (f) {
        return el("tr", { "data-input": f.id }, [el("th", {}, nodeLink(f.node, f.node < 0 ? f.id : undefined)), el("td", { class: "mono", text: f.path }),
          el("td", { class: "mono", title: "sha256 " + f.sha256, text: "sha256 " + f.sha256.slice(0, 12) }), el("td", { text: fmtInt(f.size) + " bytes" })]);
      }))]);
    } else if (b.relations) {
      append(box, [el("p", { class: "muted", text: "Its input files are not known here: kiln_manifest.json records those of the last run that compiled the project, another run." })]);
    }
  });
  append(main, box);
}

function metaRow(label, value) {
  if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) return null;
  return el("tr", {}, [el("th", { text: label }), el("td", {}, value)]);
}

function refLink(r) {
  if (r.n < 0) return el("span", { class: "mono", text: r.r + "." + r.c });
  return el("a", { class: "mono", href: nodeHref(r.n, r.c), text: NODES[r.n].label + "." + r.c });
}

function testBadges(col) {
  return (col.tests || []).map(function (t) {
    var tn = NODES[t], st = tn.result ? tn.result.status : "not run";
    return el("a", { href: nodeHref(t), class: "badge s-" + st.replace(/\s+/g, "-"), title: tn.name, text: (tn.test && tn.test.generic || tn.name) + ": " + st });
  });
}

function renderNode(main, i, column) {
  var n = NODES[i], r = n.result;
  var cfg = n.config || {};
  append(main, [
    el("h1", { id: "node-title" }, [kindDot(n.kind), n.label]),
    el("div", { class: "sub" }, [n.kind, n.kind === "model" && cfg.materialized ? " · " + cfg.materialized : "", n.relation ? " · " + n.relation : "", " ", r ? statusBadge(r.status) : null]),
  ]);
  var rows = n.table && n.table.rows >= 0 ? n.table.rows : (r && r.rows !== undefined && !r.rolled_back ? r.rows : null);
  // "last build" is the build whose data the relation holds: the last
  // run's when it built the node and was not rolled back, else the run
  // the history records (n.built); a rolled-back attempt shows apart.
  var built = null, ranOK = r && r.completed_at && !r.rolled_back;
  if (ranOK && (r.status === "success" || !n.built)) {
    built = [r.completed_at, " (" + fmtSeconds(r.execution_time) + (r.thread ? ", " + r.thread : "") + ")"];
  } else if (n.built) {
    built = [n.built.finished_at, " (run ", el("span", { class: "mono", text: n.built.run_id.slice(0, 8) }), ", kiln " + n.built.command + ")"];
  }
  var attempt = r && r.rolled_back ? [r.completed_at || "", " (" + fmtSeconds(r.execution_time) + "): rolled back with its run; the relation holds " + (built ? "the last build" : "an earlier build")] : null;
  append(main, el("table", { class: "meta" }, [
    metaRow("unique_id", el("span", { class: "mono", text: n.id })),
    metaRow("file", n.path ? el("span", { class: "mono", text: n.path }) : null),
    metaRow("relation", n.relation ? el("span", { class: "mono", text: n.relation + (n.table ? " (" + n.table.type + ")" : "") }) : null),
    metaRow("materialization", n.kind === "model" ? cfg.materialized : null),
    metaRow("tags", (n.tags || []).map(function (t) { return el("span", { class: "badge", text: t }); })),
    metaRow("rows", rows === null ? null : fmtInt(rows)),
    metaRow("last build", built),
    metaRow("rolled-back build", attempt),
    metaRow("last run", r ? [statusBadge(r.status), r.message || ""] : null),
    metaRow("skipped because of", r && r.skipped_by >= 0 ? nodeLink(r.skipped_by) : null),
  ]));
  if (n.description_html) append(main, [el("h2", { text: "Description" }), el("div", { class: "desc", id: "node-description", trustedHTML: n.description_html })]);
  if (n.source) renderSource(main, n);
  if (n.batches) renderBatches(main, n);
  if (n.test) renderTest(main, n);
  if (n.test) renderGates(main, [i], "Deviation gate");
  if (n.export) renderExport(main, n);
  if (n.exposure) renderExposure(main, n);
  if (n.columns.length) renderColumns(main, i, column);
  renderDeps(main, i);
  var tests = CHILDREN[i].filter(function (c) { return isCheck(NODES[c]); });
  if (tests.length && !n.test) renderTestTable(main, "Tests", tests);
  if (tests.length && !n.test) renderGates(main, tests, "Deviation gates");
  if (n.raw_code) append(main, [el("h2", { text: "Code" }), el("pre", { id: "raw-code" }, el("code", { text: n.raw_code }))]);
  if (n.compiled_code) append(main, [el("h2", { text: "Compiled SQL" }), el("pre", { id: "compiled-code" }, el("code", { text: n.compiled_code }))]);
}

// renderBatches shows a microbatch model's batching and the batches its
// interval state records as built.
function renderBatches(main, n) {
  var b = n.batches;
  append(main, [el("h2", { text: "Batches" }), el("table", { class: "meta" }, [
    metaRow("event_time", el("span", { class: "mono", text: b.event_time })),
    metaRow("batch_size", b.batch_size),
    metaRow("time zone", b.time_zone || "UTC"),
    metaRow("built", b.built.length + (b.built.length === 1 ? " batch" : " batches")),
  ])]);
  if (!b.built.length) return;
  var t = el("table", { id: "intervals" }, el("tr", {}, ["Start (UTC)", "End (UTC)", "Built at", "Run"].map(function (h) { return el("th", { text: h }); })));
  b.built.forEach(function (iv) {
    append(t, el("tr", {}, [el("td", { class: "mono", text: iv.start }), el("td", { class: "mono", text: iv.end }),
      el("td", { text: iv.built_at }), el("td", { class: "mono", text: iv.run_id.slice(0, 8) })]));
  });
  append(main, t);
}

function renderSource(main, n) {
  var s = n.source;
  append(main, [el("h2", { text: "Source" }), el("table", { class: "meta" }, [
    metaRow("source", s.source_name),
    metaRow("file", s.location ? el("span", { class: "mono", text: s.location }) : null),
    metaRow("format", s.format), metaRow("sheet", s.sheet), metaRow("loader", s.loader),
  ])]);
  if (s.source_description_html) append(main, [el("h3", { text: "About the source " + s.source_name }), el("div", { class: "desc", trustedHTML: s.source_description_html })]);
}

function renderTest(main, n) {
  var t = n.test, r = n.result || {};
  append(main, [el("h2", { text: "Test" }), el("table", { class: "meta" }, [
    metaRow("on", t.attached >= 0 ? nodeLink(t.attached) : null),
    metaRow("column", t.column ? el("a", { href: nodeHref(t.attached, t.column), class: "mono", text: t.column }) : null),
    metaRow("test", t.generic || "singular"),
    metaRow("arguments", t.kwargs ? el("span", { class: "mono", text: JSON.stringify(t.kwargs) }) : null),
    metaRow("severity", n.config.severity),
    metaRow("status", r.status ? statusBadge(r.status) : "not run"),
    metaRow("expected", r.expected), metaRow("actual", r.actual),
    metaRow("failures", r.failures === undefined ? null : fmtInt(r.failures)),
  ])]);
}

function renderExport(main, n) {
  var x = n.export;
  append(main, [el("h2", { text: "Export" }), el("table", { class: "meta" }, [
    metaRow("format", x.format), metaRow("file", el("span", { class: "mono", text: x.path })),
    metaRow("writes", x.sheets.map(function (s) { return el("div", {}, [s.name ? s.name + ": " : "", nodeLink(s.model)]); })),
  ])]);
}

function renderExposure(main, n) {
  var x = n.exposure, url = /^https?:\/\//.test(x.url || "") ? el("a", { href: x.url, rel: "noopener noreferrer", text: x.url }) : x.url;
  append(main, [el("h2", { text: "Exposure" }), el("table", { class: "meta", id: "exposure" }, [
    metaRow("type", x.type), metaRow("label", x.label), metaRow("maturity", x.maturity),
    metaRow("owner", x.owner), metaRow("url", url || null),
  ])]);
}

function renderColumns(main, i, column) {
  var n = NODES[i];
  var table = el("table", { id: "columns" }, el("tr", {}, ["Column", "Type", "Description", "Tests", "Computed from", "Feeds"].map(function (h) { return el("th", { text: h }); })));
  var section = el("div", { id: "column-lineage" });
  n.columns.forEach(function (c) {
    var down = DOWN.get(colKey(i, c.name)) || [];
    var tr = el("tr", { class: "col-row" + (column && lower(column) === lower(c.name) ? " picked" : ""), "data-col": c.name }, [
      el("td", {}, el("button", { class: "linkish mono col-name", type: "button", title: "show the lineage of this column", text: c.name,
        onclick: function () { history.replaceState(null, "", nodeHref(i, c.name)); pickColumn(table, section, i, c.name); } })),
      el("td", { class: "mono", text: c.type || "" }),
      el("td", { class: "desc", trustedHTML: c.description_html || "" }),
      el("td", {}, testBadges(c)),
      el("td", { class: "refs" }, !n.lineage ? null : c.upstream && c.upstream.length ? [c.direct ? "= " : null].concat(c.upstream.map(refLink)) : el("span", { class: "muted", text: "constant" })),
      el("td", { class: "refs" }, down.map(function (d) { return refLink(d); })),
    ]);
    table.appendChild(tr);
  });
  append(main, [el("h2", { text: "Columns" }), table]);
  if (n.lineage_error) append(main, el("p", { class: "note", text: "The column lineage could not be derived: " + n.lineage_error }));
  (n.lineage_notes || []).forEach(function (t) { append(main, el("p", { class: "note", text: "Lineage: " + t })); });
  append(main, section);
  if (column) pickColumn(table, section, i, column);
}

// pickColumn shows the whole lineage of column c of node i: every column
// upstream down to the sources, every column downstream, and their graph.
function pickColumn(table, section, i, c) {
  Array.prototype.forEach.call(table.querySelectorAll("tr.col-row"), function (tr) {
    tr.classList.toggle("picked", lower(tr.getAttribute("data-col")) === lower(c));
  });
  clear(section);
  var cl = columnLineage(i, c);
  var list = function (set) {
    var keys = cl.keys.filter(function (k) { return set.has(k); });
    if (!keys.length) return el("span", { class: "muted", text: "none" });
    return keys.map(function (k) { var x = cl.info.get(k); return refLink({ n: x.n, r: x.r, c: x.c }); });
  };
  var origins = new Set();
  cl.up.forEach(function (k) { if (!cl.parentsOf(k).length) origins.add(k); });
  append(section, [
    el("h2", { text: "Column lineage of " + NODES[i].label + "." + c }),
    el("table", { class: "meta" }, [
      el("tr", {}, [el("th", { text: "comes from" }), el("td", { class: "refs", id: "lineage-upstream" }, list(cl.up))]),
      el("tr", {}, [el("th", { text: "origins" }), el("td", { class: "refs", id: "lineage-origins" }, list(origins))]),
      el("tr", {}, [el("th", { text: "goes to" }), el("td", { class: "refs", id: "lineage-downstream" }, list(cl.down))]),
    ]),
  ]);
  var host = el("div", { class: "colgraph" });
  section.appendChild(host);
  var canvas = new GraphCanvas(host);
  drawColumnGraph(canvas, i, c, null, function (k) {
    var x = cl.info.get(k);
    if (x.n >= 0) location.hash = nodeHref(x.n, x.c);
  });
  canvas.firstView();
}

function renderDeps(main, i) {
  var up = PARENTS[i], down = CHILDREN[i].filter(function (c) { return !isCheck(NODES[c]); });
  if (!up.length && !down.length) return;
  var lst = function (ids) {
    if (!ids.length) return el("span", { class: "muted", text: "none" });
    return ids.map(function (j) { return el("div", {}, [kindDot(NODES[j].kind), nodeLink(j)]); });
  };
  append(main, [el("h2", { text: "Lineage" }), el("table", { class: "meta" }, [
    el("tr", {}, [el("th", { text: "depends on" }), el("td", { id: "depends-on" }, lst(up))]),
    el("tr", {}, [el("th", { text: "referenced by" }), el("td", { id: "referenced-by" }, lst(down))]),
  ]), el("p", {}, el("a", { href: "#/graph?" + new URLSearchParams({ select: "+" + NODES[i].name + "+", node: NODES[i].id }).toString(), text: "See it in the graph" }))]);
}

// renderTestTable lists tests with their last status, expected and actual.
function renderTestTable(main, title, tests, id) {
  var t = el("table", { id: id || null }, el("tr", {}, ["Test", "On", "Column", "Status", "Expected", "Actual", "Failures"].map(function (h) { return el("th", { text: h }); })));
  tests.forEach(function (j) {
    var n = NODES[j], r = n.result || {}, tt = n.test || {};
    t.appendChild(el("tr", { "data-id": n.id }, [
      el("td", { class: "wrap" }, nodeLink(j, n.name)),
      el("td", {}, tt.attached >= 0 ? nodeLink(tt.attached) : null),
      el("td", { class: "mono", text: tt.column || "" }),
      el("td", {}, r.status ? statusBadge(r.status) : el("span", { class: "muted", text: "not run" })),
      el("td", { text: r.expected || "" }),
      el("td", { text: r.actual || r.message || "" }),
      el("td", { text: r.failures === undefined ? "" : fmtInt(r.failures) }),
    ]));
  });
  append(main, [el("h2", { text: title }), t]);
}
