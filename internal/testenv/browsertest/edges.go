package browsertest

import "testing"

// edgeCrossingsJS walks each edge of the docs' lineage graph
// (internal/docs/assets/graph.js: path.edge with data-from and data-to,
// boxes g.node[data-key] > rect, in the same coordinates) in steps of
// half a unit, and lists the boxes, other than the edge's two ends, that a
// point of it falls inside (the box shrunk by half a unit on each side).
const edgeCrossingsJS = `(() => {
  const boxes = Array.from(document.querySelectorAll('#graph g.node[data-key]')).map(g => {
    const m = g.transform.baseVal.consolidate().matrix, r = g.querySelector('rect');
    return {key: g.getAttribute('data-key'), x: m.e, y: m.f, w: r.width.baseVal.value, h: r.height.baseVal.value};
  });
  const out = [];
  for (const p of document.querySelectorAll('#graph path.edge[data-from]')) {
    const from = p.getAttribute('data-from'), to = p.getAttribute('data-to'), len = p.getTotalLength();
    const hit = new Set();
    for (let s = 0; s <= len; s += 0.5) {
      const q = p.getPointAtLength(s);
      for (const b of boxes) {
        if (b.key === from || b.key === to || hit.has(b.key)) continue;
        if (q.x > b.x + 0.5 && q.x < b.x + b.w - 0.5 && q.y > b.y + 0.5 && q.y < b.y + b.h - 0.5) hit.add(b.key);
      }
    }
    for (const k of hit) out.push(from + ' -> ' + to + ' crosses ' + k);
  }
  return out;
})()`

// EdgeCrossings returns, for the lineage graph the docs page shows, each
// edge that passes through the box of a node it does not connect, as
// "FROM -> TO crosses KEY" (the graph's keys: node indexes); none when
// every edge goes around the boxes.
func EdgeCrossings(t testing.TB, s *Session) []string {
	t.Helper()
	return Eval[[]string](t, s, edgeCrossingsJS)
}

// EdgeCount returns the number of edges the lineage graph draws.
func EdgeCount(t testing.TB, s *Session) int {
	t.Helper()
	return Eval[int](t, s, `document.querySelectorAll('#graph path.edge[data-from]').length`)
}
