// dbt's node selection grammar, as kiln's compiler/selector implements it,
// evaluated over the facts embedded for each node (kind, name, package,
// path, fqn, tags, config, source name, test name, last status): words
// separated by spaces are a union, commas inside a word an intersection,
// each part [@][N+][method[.arg]:]value[+N]. Methods: fqn (the default),
// path, file, tag, package, source, resource_type, test_name, test_type,
// config.KEY, result (the last run's status). state: needs a previous
// manifest, which the docs do not have. Tests are added to a selection as
// --indirect-selection=eager does: a test joins when any of its parents is
// selected.

var METHODS = ["config", "file", "fqn", "package", "path", "resource_type", "result", "source", "state", "tag", "test_name", "test_type"];
var KINDS = ["model", "seed", "source", "test", "unit_test", "export", "snapshot", "analysis", "exposure", "metric", "semantic_model", "saved_query"];

function SelectorError(msg) { this.message = msg; }
SelectorError.prototype.toString = function () { return this.message; };

function parseSelector(arg) {
  var words = [];
  String(arg).split(/\s+/).forEach(function (w) {
    if (!w) return;
    var parts = w.split(",");
    words.push(parts.map(function (p) {
      if (!p) throw new SelectorError("empty selector in an intersection: write a,b with something on each side of the comma");
      return parseAtom(p);
    }));
  });
  return words;
}

function isDigits(s) { return /^[0-9]*$/.test(s); }

function parseDepth(s) {
  var d = parseInt(s, 10);
  if (!(d >= 1)) throw new SelectorError("depth must be at least 1, not " + s);
  return d;
}

function parseAtom(s) {
  var a = { text: s, parents: false, pdepth: 0, children: false, cdepth: 0, at: false, method: "", args: [], value: "" };
  var p = 0;
  if (s[0] === "@") { a.at = true; p = 1; }
  var j = p;
  while (j < s.length && s[j] >= "0" && s[j] <= "9") j++;
  if (s[j] === "+") {
    if (a.at) throw new SelectorError('"@" cannot be combined with a leading "+" in ' + s);
    a.parents = true;
    if (j > p) a.pdepth = parseDepth(s.slice(p, j));
    p = j + 1;
  }
  var rest = s.slice(p);
  var k = rest.lastIndexOf("+");
  if (k >= 0 && isDigits(rest.slice(k + 1))) {
    a.children = true;
    if (k + 1 < rest.length) a.cdepth = parseDepth(rest.slice(k + 1));
    rest = rest.slice(0, k);
  }
  var c = rest.indexOf(":");
  if (c >= 0 && /^[\w.]+$/.test(rest.slice(0, c))) {
    var parts = rest.slice(0, c).split(".");
    a.method = parts[0];
    a.args = parts.slice(1);
    a.value = rest.slice(c + 1);
    if (METHODS.indexOf(a.method) < 0) throw new SelectorError('unknown method "' + a.method + '"; methods are ' + METHODS.join(", "));
    if (!a.value) throw new SelectorError('missing value after "' + rest.slice(0, c + 1) + '"');
  } else {
    a.value = rest;
    if (!a.value) throw new SelectorError("missing node name in " + s);
  }
  if (/[+@]/.test(a.value)) throw new SelectorError('unexpected "+" or "@" in "' + a.value + '": graph operators go at the ends: +x, 2+x, x+, x+1, @x');
  if (!a.method) a.method = defaultMethod(a.value);
  if (a.method === "config" && a.args.length === 0) throw new SelectorError('method "config" needs a key: write config.materialized:table');
  if (a.method !== "config" && a.args.length > 0) throw new SelectorError('method "' + a.method + '" takes no argument after a dot');
  if (a.method === "resource_type" && KINDS.indexOf(a.value) < 0) throw new SelectorError('unknown resource type "' + a.value + '"');
  return a;
}

function defaultMethod(v) {
  if (/[\/\\]/.test(v)) return "path";
  var m = /\.([A-Za-z]+)$/.exec(v);
  if (m && ["sql", "py", "csv", "yml", "yaml"].indexOf(lower(m[1])) >= 0) return "file";
  return "fqn";
}

// Glob patterns with the syntax of Go's path.Match: * and ? stop at "/".
function globPattern(s) {
  var k = s.search(/[*?\[\]\\]/);
  if (k < 0) return { match: function (x) { return x === s; }, literal: true, s: s };
  var re = "^";
  for (var i = 0; i < s.length; i++) {
    var ch = s[i];
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "[") {
      var end = s.indexOf("]", i + 1);
      if (end < 0) throw new SelectorError('invalid pattern "' + s + '": close each "[" with "]"');
      var body = s.slice(i + 1, end).replace(/\\/g, "\\\\");
      if (body[0] === "^") body = "^" + body.slice(1);
      re += "[" + body + "]";
      i = end;
    } else if (ch === "\\" && i + 1 < s.length) { re += "\\" + s[++i]; }
    else re += ch.replace(/[.+^${}()|\/\\]/g, "\\$&");
  }
  var rx = new RegExp(re + "$");
  return { match: function (x) { return rx.test(x); }, literal: false, s: s };
}

function fqnSelected(full, sel, parts, wild, rest) {
  if (!full) return false;
  var k = full.lastIndexOf(".");
  if (full.slice(k + 1) === sel) return true;
  if (full.split(".").length < parts.length) return false;
  var s = full;
  for (var i = 0; i < parts.length; i++) {
    if (i === wild) return rest.match(s);
    var comp;
    var j = s.indexOf(".");
    if (j >= 0) { comp = s.slice(0, j); s = s.slice(j + 1); } else { comp = s; s = ""; }
    if (comp !== parts[i]) return false;
  }
  return true;
}

function matchPrefix(pat, file) {
  while (pat.length > 0) {
    if (pat[0].s === "**") {
      for (;;) {
        if (matchPrefix(pat.slice(1), file)) return true;
        var k = file.indexOf("/");
        if (k < 0) return pat.length === 1;
        file = file.slice(k + 1);
      }
    }
    if (file === "") return false;
    var seg = file, next = "";
    var j = file.indexOf("/");
    if (j >= 0) { seg = file.slice(0, j); next = file.slice(j + 1); }
    if (!pat[0].match(seg)) return false;
    pat = pat.slice(1);
    file = next;
  }
  return true;
}

function cleanPath(v) {
  var out = [];
  v.replace(/\\/g, "/").split("/").forEach(function (seg, i) {
    if (seg === "" && i > 0) return;
    if (seg === ".") return;
    if (seg === ".." && out.length && out[out.length - 1] !== "..") out.pop(); else out.push(seg);
  });
  return out.join("/") || ".";
}

function configValue(cfg, keys) {
  var v = cfg[keys[0]];
  for (var i = 1; i < keys.length; i++) {
    if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = v[keys[i]];
  }
  if (v === "" || v === null) return undefined;
  return v;
}

function configEqual(v, want, fold, list) {
  if (typeof v === "string") return v === want || (fold && lower(v) === lower(want));
  if (typeof v === "boolean") return String(v) === lower(want);
  if (Array.isArray(v)) return list && v.some(function (e) { return configEqual(e, want, fold, false); });
  if (v === undefined || typeof v === "object") return false;
  return String(v) === want;
}

function predicate(a) {
  var v = a.value, p;
  switch (a.method) {
    case "fqn":
      var parts = v.split("."), wild = -1;
      for (var i = 0; i < parts.length; i++) if (/[*?\[\]\\]/.test(parts[i])) { wild = i; break; }
      var rest = wild >= 0 ? globPattern(parts.slice(wild).join(".")) : null;
      var name = globPattern(v), byName = parts.length === 1 && wild === 0;
      return function (n) {
        if (n.kind === "source") return false;
        var full = n.fqn.length ? n.fqn.join(".") : n.package + "." + n.name;
        if (fqnSelected(full, v, parts, wild, rest)) return true;
        var k = full.indexOf(".");
        if (k >= 0 && fqnSelected(full.slice(k + 1), v, parts, wild, rest)) return true;
        return byName && name.match(n.name);
      };
    case "path":
      var cv = cleanPath(v);
      if (cv === ".") return function () { return true; };
      var pat = cv.replace(/^\//, "").split("/").map(globPattern);
      return function (n) { return n.path !== "" && matchPrefix(pat, n.path); };
    case "file":
      p = globPattern(v);
      return function (n) {
        var base = n.path.slice(n.path.lastIndexOf("/") + 1), dot = base.lastIndexOf(".");
        return p.match(base) || p.match(dot > 0 ? base.slice(0, dot) : base);
      };
    case "tag":
      p = globPattern(v);
      return function (n) { return n.tags.some(function (t) { return p.match(t); }); };
    case "package":
      p = globPattern(v);
      return function (n) { return p.match(n.package); };
    case "source":
      var sp = v.split("."), pkg = globPattern("*"), src = globPattern(sp[0]), table = globPattern("*");
      if (sp.length === 2) table = globPattern(sp[1]);
      if (sp.length === 3) { pkg = globPattern(sp[0]); src = globPattern(sp[1]); table = globPattern(sp[2]); }
      if (sp.length > 3) throw new SelectorError('invalid source selector "' + v + '"');
      return function (n) { return n.kind === "source" && !!n.source && pkg.match(n.package) && src.match(n.source.source_name) && table.match(n.name); };
    case "resource_type":
      return function (n) { return n.kind === v; };
    case "test_name":
      p = globPattern(v);
      return function (n) { return n.kind === "test" && !!n.test && !!n.test.generic && p.match(n.test.generic); };
    case "test_type":
      if (["unit", "data", "generic", "schema", "singular"].indexOf(v) < 0) throw new SelectorError('unknown test type "' + v + '"');
      return function (n) {
        if (v === "unit") return n.kind === "unit_test";
        if (v === "data") return n.kind === "test";
        if (v === "generic" || v === "schema") return n.kind === "test" && !!n.test && !!n.test.generic;
        return n.kind === "test" && !(n.test && n.test.generic);
      };
    case "config":
      var fold = a.args.length === 1 && a.args[0] === "severity";
      return function (n) { var x = configValue(n.config, a.args); return x !== undefined && configEqual(x, v, fold, true); };
    case "result":
      if (!DATA.run) throw new SelectorError("no run results: build the project, then generate the docs again");
      return function (n) { return !!n.result && lower(n.result.status) === lower(v); };
    case "state":
      throw new SelectorError("state: needs a previous manifest, which the docs do not have");
  }
  throw new SelectorError('unknown method "' + a.method + '"');
}

// walk adds to set (an array of booleans) the nodes depth edges away
// along next (0: no limit).
function walkFrom(seeds, depth, next) {
  var out = seeds.slice(), frontier = [];
  seeds.forEach(function (on, i) { if (on) frontier.push(i); });
  for (var d = 0; frontier.length && (depth === 0 || d < depth); d++) {
    var nf = [];
    frontier.forEach(function (i) {
      next[i].forEach(function (j) { if (!out[j]) { out[j] = true; nf.push(j); } });
    });
    frontier = nf;
  }
  return out;
}

function evalAtom(a) {
  var pred = predicate(a);
  var m = NODES.map(pred);
  var d = m.slice();
  var or = function (x) { x.forEach(function (on, i) { if (on) d[i] = true; }); };
  if (a.at) or(walkFrom(walkFrom(m, 0, CHILDREN), 0, PARENTS));
  if (a.parents) or(walkFrom(m, a.pdepth, PARENTS));
  if (a.children) or(walkFrom(m, a.cdepth, CHILDREN));
  // Eager indirect selection of tests.
  NODES.forEach(function (n, i) {
    if ((n.kind === "test" || n.kind === "unit_test") && !d[i] && n.parents.some(function (p) { return d[p]; })) d[i] = true;
  });
  return d;
}

function evalWords(words, unmatched) {
  var d = NODES.map(function () { return false; });
  words.forEach(function (word) {
    var w = null;
    word.forEach(function (a) {
      var x = evalAtom(a);
      w = w === null ? x : w.map(function (on, i) { return on && x[i]; });
    });
    if (unmatched && !w.some(Boolean)) unmatched.push(word.map(function (a) { return a.text; }).join(","));
    w.forEach(function (on, i) { if (on) d[i] = true; });
  });
  return d;
}

// selectNodes returns, as an array of booleans by node position, the
// nodes --select sel --exclude exc selects; an empty sel selects all.
// It throws SelectorError for an invalid expression.
function selectNodes(sel, exc, unmatched) {
  var words = parseSelector(sel || "");
  var d = words.length ? evalWords(words, unmatched) : NODES.map(function () { return true; });
  var xw = parseSelector(exc || "");
  if (xw.length) {
    var x = evalWords(xw, unmatched);
    d = d.map(function (on, i) { return on && !x[i]; });
  }
  return d;
}
