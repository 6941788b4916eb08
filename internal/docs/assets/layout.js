// A layered left-to-right layout of a DAG (Sugiyama's scheme, simplified):
// each item goes one layer right of its furthest parent (longest path); an
// edge that spans several layers gets a dummy item in each layer it
// crosses, so that it is routed through a slot of its own there instead of
// through the boxes of that layer; items and dummies within a layer are
// ordered by the barycenter of their neighbours over a few down and up
// sweeps, and each layer is centred vertically.
//
// keys are in topological order; parentsOf(key) returns the keys of its
// parents (keys not in the layout are ignored). The result maps each key
// to {x, y, layer} (the box's top left corner); width and height bound the
// drawing; edges() returns [from, to, via] for each edge, via being the
// points (the dummies' centres, {x, y}, x the left side of their layer)
// the edge passes through, left to right, [] for an edge between
// neighbouring layers. A box is opt.w x opt.h; a dummy's slot is opt.dh
// high, opt.gy from its neighbours.

var LAYOUT = { w: 170, h: 34, gx: 46, gy: 12, dh: 6 };

function layeredLayout(keys, parentsOf, opt) {
  opt = opt || LAYOUT;
  var n = keys.length;
  var index = new Map(), parents = [], children = [];
  keys.forEach(function (k, i) { index.set(k, i); parents.push([]); children.push([]); });
  var edgeList = []; // [parent index, child index]
  keys.forEach(function (k, i) {
    (parentsOf(k) || []).forEach(function (p) {
      var j = index.get(p);
      if (j === undefined || j === i) return;
      parents[i].push(j);
      children[j].push(i);
      edgeList.push([j, i]);
    });
  });
  var layer = new Array(n).fill(0);
  // Longest path from the roots. Parents come before children in keys,
  // except when the caller's order is not topological: then a few
  // relaxation passes settle it.
  for (var pass = 0; pass < 3; pass++) {
    var changed = false;
    for (var i = 0; i < n; i++) {
      parents[i].forEach(function (j) {
        if (layer[j] + 1 > layer[i]) { layer[i] = layer[j] + 1; changed = true; }
      });
    }
    if (!changed) break;
  }
  // Dummies: items n, n+1, ... of the layers an edge crosses. The
  // ordering sweeps see the chain parent -> dummies -> child in place of
  // the edge.
  var routes = edgeList.map(function (e) {
    var from = e[0], to = e[1], chain = [];
    if (layer[to] - layer[from] > 1) {
      children[from] = children[from].filter(function (c) { return c !== to; });
      parents[to] = parents[to].filter(function (p) { return p !== from; });
      var prev = from;
      for (var l = layer[from] + 1; l < layer[to]; l++) {
        var d = layer.length;
        layer.push(l); parents.push([prev]); children.push([]);
        children[prev].push(d);
        chain.push(d);
        prev = d;
      }
      children[prev].push(to);
      parents[to].push(prev);
    }
    return { from: from, to: to, chain: chain };
  });
  var total = layer.length;
  var isDummy = function (i) { return i >= n; };
  var layers = [];
  layer.forEach(function (l, i) { (layers[l] = layers[l] || []).push(i); });
  for (var l = 0; l < layers.length; l++) layers[l] = layers[l] || [];
  var rank = new Array(total).fill(0);
  var renumber = function () { layers.forEach(function (ls) { ls.forEach(function (i, r) { rank[i] = r; }); }); };
  renumber();
  var bary = function (i, nb) {
    if (!nb[i].length) return rank[i];
    var s = 0;
    nb[i].forEach(function (j) { s += rank[j]; });
    return s / nb[i].length;
  };
  var sweeps = total > 3000 ? 1 : 4;
  for (var it = 0; it < sweeps; it++) {
    for (l = 1; l < layers.length; l++) sortLayer(layers[l], function (i) { return bary(i, parents); });
    renumber();
    for (l = layers.length - 2; l >= 0; l--) sortLayer(layers[l], function (i) { return bary(i, children); });
    renumber();
  }
  var slot = function (i) { return isDummy(i) ? opt.dh : opt.h; };
  var heightOf = function (ls) {
    var s = 0;
    ls.forEach(function (i, r) { s += slot(i) + (r ? opt.gy : 0); });
    return s;
  };
  var tallest = 0;
  layers.forEach(function (ls) { tallest = Math.max(tallest, heightOf(ls)); });
  var pos = new Map(), mid = new Array(total).fill(0);
  layers.forEach(function (ls, l) {
    var y = (tallest - heightOf(ls)) / 2, x = l * (opt.w + opt.gx);
    ls.forEach(function (i) {
      if (!isDummy(i)) pos.set(keys[i], { x: x, y: y, layer: l });
      mid[i] = y + slot(i) / 2;
      y += slot(i) + opt.gy;
    });
  });
  return {
    pos: pos,
    width: Math.max(1, layers.length) * (opt.w + opt.gx) - opt.gx,
    height: Math.max(opt.h, tallest),
    edges: function () {
      return routes.map(function (r) {
        return [keys[r.from], keys[r.to], r.chain.map(function (d) { return { x: layer[d] * (opt.w + opt.gx), y: mid[d] }; })];
      });
    },
  };
}

// edgePath is the SVG path of an edge from the right side of the box at a
// to the left side of the box at b (top left corners), through via (see
// layeredLayout): a curve in each gap between layers, a straight line
// across each layer it passes, so that it stays out of every box.
function edgePath(a, b, via, opt) {
  opt = opt || LAYOUT;
  var x = a.x + opt.w, y = a.y + opt.h / 2, d = "M" + x + "," + y;
  var to = function (x2, y2) {
    d += " C" + (x + opt.gx / 2) + "," + y + " " + (x2 - opt.gx / 2) + "," + y2 + " " + x2 + "," + y2;
    x = x2; y = y2;
  };
  via.forEach(function (p) {
    to(p.x, p.y);
    x = p.x + opt.w;
    d += " L" + x + "," + y;
  });
  to(b.x, b.y + opt.h / 2);
  return d;
}

// sortLayer orders a layer by key, keeping the current order among ties.
function sortLayer(ls, key) {
  var keyed = ls.map(function (i, r) { return { i: i, k: key(i), r: r }; });
  keyed.sort(function (a, b) { return a.k - b.k || a.r - b.r; });
  keyed.forEach(function (x, r) { ls[r] = x.i; });
}
