// A layered left-to-right layout of a DAG (Sugiyama's scheme, simplified):
// each item goes one layer right of its furthest parent (longest path),
// items within a layer are ordered by the barycenter of their neighbours
// over a few down and up sweeps, and each layer is centred vertically.
//
// keys are in topological order; parentsOf(key) returns the keys of its
// parents (keys not in the layout are ignored). The result maps each key
// to {x, y, layer}; width and height bound the drawing.

var LAYOUT = { w: 170, h: 34, gx: 46, gy: 12 };

function layeredLayout(keys, parentsOf, opt) {
  opt = opt || LAYOUT;
  var index = new Map(), parents = [], children = [];
  keys.forEach(function (k, i) { index.set(k, i); parents.push([]); children.push([]); });
  keys.forEach(function (k, i) {
    (parentsOf(k) || []).forEach(function (p) {
      var j = index.get(p);
      if (j === undefined || j === i) return;
      parents[i].push(j);
      children[j].push(i);
    });
  });
  var layer = new Array(keys.length).fill(0);
  // Longest path from the roots. Parents come before children in keys,
  // except when the caller's order is not topological: then a few
  // relaxation passes settle it.
  for (var pass = 0; pass < 3; pass++) {
    var changed = false;
    for (var i = 0; i < keys.length; i++) {
      parents[i].forEach(function (j) {
        if (layer[j] + 1 > layer[i]) { layer[i] = layer[j] + 1; changed = true; }
      });
    }
    if (!changed) break;
  }
  var layers = [];
  layer.forEach(function (l, i) { (layers[l] = layers[l] || []).push(i); });
  for (var l = 0; l < layers.length; l++) layers[l] = layers[l] || [];
  var rank = new Array(keys.length).fill(0);
  var renumber = function () { layers.forEach(function (ls) { ls.forEach(function (i, r) { rank[i] = r; }); }); };
  renumber();
  var bary = function (i, nb) {
    if (!nb[i].length) return rank[i];
    var s = 0;
    nb[i].forEach(function (j) { s += rank[j]; });
    return s / nb[i].length;
  };
  var sweeps = keys.length > 3000 ? 1 : 4;
  for (var it = 0; it < sweeps; it++) {
    for (l = 1; l < layers.length; l++) sortLayer(layers[l], function (i) { return bary(i, parents); });
    renumber();
    for (l = layers.length - 2; l >= 0; l--) sortLayer(layers[l], function (i) { return bary(i, children); });
    renumber();
  }
  var tallest = 0;
  layers.forEach(function (ls) { tallest = Math.max(tallest, ls.length); });
  var pos = new Map();
  layers.forEach(function (ls, l) {
    var off = (tallest - ls.length) * (opt.h + opt.gy) / 2;
    ls.forEach(function (i, r) {
      pos.set(keys[i], { x: l * (opt.w + opt.gx), y: off + r * (opt.h + opt.gy), layer: l });
    });
  });
  return {
    pos: pos,
    width: Math.max(1, layers.length) * (opt.w + opt.gx) - opt.gx,
    height: Math.max(1, tallest) * (opt.h + opt.gy) - opt.gy,
    edges: function () {
      var out = [];
      keys.forEach(function (k, i) { parents[i].forEach(function (j) { out.push([keys[j], k]); }); });
      return out;
    },
  };
}

// sortLayer orders a layer by key, keeping the current order among ties.
function sortLayer(ls, key) {
  var keyed = ls.map(function (i, r) { return { i: i, k: key(i), r: r }; });
  keyed.sort(function (a, b) { return a.k - b.k || a.r - b.r; });
  keyed.forEach(function (x, r) { ls[r] = x.i; });
}
