package selector

import (
	"math/bits"
	"strings"
	"sync"

	"github.com/kiln-build/kiln/compiler/graph"
)

// bitset is a set of node positions in the graph's topological order.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (s bitset) has(i int) bool { return s[i>>6]&(1<<(uint(i)&63)) != 0 }
func (s bitset) add(i int)      { s[i>>6] |= 1 << (uint(i) & 63) }

func (s bitset) clone() bitset { return append(bitset(nil), s...) }

func (s bitset) or(t bitset) {
	for i := range s {
		s[i] |= t[i]
	}
}

func (s bitset) and(t bitset) {
	for i := range s {
		s[i] &= t[i]
	}
}

func (s bitset) andNot(t bitset) {
	for i := range s {
		s[i] &^= t[i]
	}
}

func (s bitset) equal(t bitset) bool {
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

func (s bitset) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

func (s bitset) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// each calls f for each member, in increasing order.
func (s bitset) each(f func(int)) {
	for wi, w := range s {
		for w != 0 {
			f(wi<<6 + bits.TrailingZeros64(w))
			w &= w - 1
		}
	}
}

// index is the graph as slices over topological positions: parents and
// children as positions, and the nodes tests can be selected indirectly.
type index struct {
	nodes    []*graph.Node
	parents  [][]int32
	children [][]int32
	tests    []int32 // data tests and unit tests

	fqnOnce sync.Once
	fqn     []string // dotted fqns, built on first use
}

// fqns returns each node's fqn joined with dots.
func (ix *index) fqns() []string {
	ix.fqnOnce.Do(func() {
		ix.fqn = make([]string, len(ix.nodes))
		for i, n := range ix.nodes {
			if len(n.FQN) == 0 {
				ix.fqn[i] = n.Package + "." + n.Name
			} else {
				ix.fqn[i] = strings.Join(n.FQN, ".")
			}
		}
	})
	return ix.fqn
}

// lastIndex caches the index of the last graph seen: a command selects on
// one graph, sometimes several times (--select, then --exclude checks).
var lastIndex struct {
	sync.Mutex
	g  *graph.Graph
	ix *index
}

func indexOf(g *graph.Graph) *index {
	lastIndex.Lock()
	defer lastIndex.Unlock()
	if lastIndex.g != g {
		lastIndex.g, lastIndex.ix = g, newIndex(g)
	}
	return lastIndex.ix
}

func newIndex(g *graph.Graph) *index {
	order := g.Order()
	n := len(order)
	ix := &index{
		nodes:    make([]*graph.Node, n),
		parents:  make([][]int32, n),
		children: make([][]int32, n),
	}
	// Edges in two flat arrays (parents by child, children by parent).
	nchild := make([]int32, n)
	var up []int32
	for i, id := range order {
		ix.nodes[i] = g.Node(id)
		if k := ix.nodes[i].Kind; k == graph.Test || k == graph.UnitTest {
			ix.tests = append(ix.tests, int32(i))
		}
		start := len(up)
		for _, p := range g.Parents(id) {
			pi := int32(g.Index(p))
			up = append(up, pi)
			nchild[pi]++
		}
		ix.parents[i] = up[start:len(up):len(up)]
	}
	// up may have moved while growing: slice it again.
	off := 0
	for i := range ix.parents {
		k := len(ix.parents[i])
		ix.parents[i] = up[off : off+k : off+k]
		off += k
	}
	down := make([]int32, len(up))
	off = 0
	for i := range ix.children {
		ix.children[i] = down[off : off : int(nchild[i])+off]
		off += int(nchild[i])
	}
	for i, ps := range ix.parents {
		for _, p := range ps {
			ix.children[p] = append(ix.children[p], int32(i))
		}
	}
	return ix
}

// descendants returns s and the nodes downstream of it, at most depth edges
// away (depth 0: no limit).
func (ix *index) descendants(s bitset, depth int) bitset {
	return ix.walk(s, depth, ix.children, true)
}

// ancestors returns s and the nodes upstream of it, at most depth edges
// away (depth 0: no limit).
func (ix *index) ancestors(s bitset, depth int) bitset {
	return ix.walk(s, depth, ix.parents, false)
}

func (ix *index) walk(s bitset, depth int, next [][]int32, down bool) bitset {
	out := s.clone()
	if depth == 0 {
		// Edges go forward in topological order: one sweep reaches all.
		n := len(ix.nodes)
		for k := 0; k < n; k++ {
			i := k
			if !down {
				i = n - 1 - k
			}
			if out[i>>6] == 0 {
				if down {
					k |= 63 // skip the rest of an empty word
				} else {
					k += i & 63
				}
				continue
			}
			if out.has(i) {
				for _, j := range next[i] {
					out.add(int(j))
				}
			}
		}
		return out
	}
	var frontier []int32
	s.each(func(i int) { frontier = append(frontier, int32(i)) })
	for d := 0; d < depth && len(frontier) > 0; d++ {
		var nf []int32
		for _, i := range frontier {
			for _, j := range next[i] {
				if !out.has(int(j)) {
					out.add(int(j))
					nf = append(nf, j)
				}
			}
		}
		frontier = nf
	}
	return out
}

// parentsIn reports whether every parent of node i is in s.
func (ix *index) parentsIn(i int32, s bitset) bool {
	for _, p := range ix.parents[i] {
		if !s.has(int(p)) {
			return false
		}
	}
	return true
}

// anyParentIn reports whether a parent of node i is in s.
func (ix *index) anyParentIn(i int32, s bitset) bool {
	for _, p := range ix.parents[i] {
		if s.has(int(p)) {
			return true
		}
	}
	return false
}
