package graph

import (
	"container/heap"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Graph is the lineage DAG of a project. It is immutable once built and safe
// for concurrent reads.
type Graph struct {
	nodes    map[ID]*Node
	order    []ID       // topological, deterministic
	index    map[ID]int // position in order
	parents  map[ID][]ID
	children map[ID][]ID
	// after and before are the ordering-only edges of Node.After: the
	// topological order keeps them, the parents and children do not.
	after, before map[ID][]ID
}

// CycleError reports a dependency loop. Path starts and ends with the same
// node: a -> b -> c -> a. Its first edge, Path[0] -> Path[1], is the one
// that most likely closed the loop (see closingEdge): a ref from an
// upstream node back to a downstream one, the ref a user just added.
type CycleError struct {
	Path []ID
}

func (e *CycleError) Error() string {
	parts := make([]string, len(e.Path))
	for i, id := range e.Path {
		parts[i] = string(id)
	}
	return "dependency cycle: " + strings.Join(parts, " -> ")
}

// MissingError reports an edge to a node that is not in the graph.
type MissingError struct {
	From, To ID
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s depends on unknown node %s", e.From, e.To)
}

// New builds the graph of nodes, with an edge from each of a node's
// DependsOn to the node, and an ordering-only edge from each of its After
// (see After). It returns *MissingError for an edge to an unknown
// node and *CycleError, with the whole loop, when the edges are not acyclic.
// Duplicate IDs are a programming error and panic.
//
// The topological order is Kahn's algorithm taking, among the ready nodes,
// the smallest ID first: the same graph always gives the same order.
func New(nodes []*Node) (*Graph, error) {
	g := &Graph{
		nodes:    make(map[ID]*Node, len(nodes)),
		parents:  make(map[ID][]ID, len(nodes)),
		children: make(map[ID][]ID, len(nodes)),
	}
	for _, n := range nodes {
		if _, dup := g.nodes[n.ID]; dup {
			panic("graph: duplicate node " + string(n.ID))
		}
		g.nodes[n.ID] = n
	}
	for _, n := range nodes {
		// A node has a few parents: a scan of those kept finds a
		// repeated one without a map per node.
		var parents []ID
		var seen map[ID]bool // past 16 parents
		for _, p := range n.DependsOn {
			if _, ok := g.nodes[p]; !ok {
				return nil, &MissingError{From: n.ID, To: p}
			}
			if seen != nil {
				if seen[p] {
					continue
				}
				seen[p] = true
			} else if slices.Contains(parents, p) {
				continue
			} else if len(parents) == 16 {
				seen = make(map[ID]bool, len(n.DependsOn))
				for _, q := range parents {
					seen[q] = true
				}
				seen[p] = true
			}
			parents = append(parents, p)
			g.children[p] = append(g.children[p], n.ID)
		}
		if parents != nil {
			g.parents[n.ID] = parents
		}
		for _, a := range n.After {
			if _, ok := g.nodes[a]; !ok {
				return nil, &MissingError{From: n.ID, To: a}
			}
			if g.after == nil {
				g.after, g.before = map[ID][]ID{}, map[ID][]ID{}
			}
			if !slices.Contains(g.after[n.ID], a) && !slices.Contains(parents, a) {
				g.after[n.ID] = append(g.after[n.ID], a)
				g.before[a] = append(g.before[a], n.ID)
			}
		}
	}
	for id := range g.nodes {
		sortIDs(g.parents[id])
		sortIDs(g.children[id])
		sortIDs(g.after[id])
		sortIDs(g.before[id])
	}
	if err := g.sort(); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *Graph) sort() error {
	indeg := make(map[ID]int, len(g.nodes))
	ready := &idHeap{}
	for id := range g.nodes {
		indeg[id] = len(g.parents[id]) + len(g.after[id])
		if indeg[id] == 0 {
			*ready = append(*ready, id)
		}
	}
	heap.Init(ready)
	g.order = make([]ID, 0, len(g.nodes))
	for ready.Len() > 0 {
		id := heap.Pop(ready).(ID)
		g.order = append(g.order, id)
		for _, next := range [2][]ID{g.children[id], g.before[id]} {
			for _, c := range next {
				indeg[c]--
				if indeg[c] == 0 {
					heap.Push(ready, c)
				}
			}
		}
	}
	if len(g.order) < len(g.nodes) {
		return &CycleError{Path: g.findCycle(indeg)}
	}
	g.index = make(map[ID]int, len(g.order))
	for i, id := range g.order {
		g.index[id] = i
	}
	return nil
}

// findCycle returns one loop among the nodes Kahn's algorithm could not
// place (indeg > 0), found from the smallest such ID, starting with the
// edge that most likely closed it.
func (g *Graph) findCycle(indeg map[ID]int) []ID {
	var stuck []ID
	for id, d := range indeg {
		if d > 0 {
			stuck = append(stuck, id)
		}
	}
	sortIDs(stuck)
	// Every stuck node has a stuck parent; walk parents until one repeats.
	pos := map[ID]int{}
	var path []ID
	cur := stuck[0]
	for {
		if i, ok := pos[cur]; ok {
			loop := append([]ID(nil), path[i:]...)
			// path follows parents; reverse it to follow the edges.
			for l, r := 0, len(loop)-1; l < r; l, r = l+1, r-1 {
				loop[l], loop[r] = loop[r], loop[l]
			}
			// Start the loop at its smallest ID for a stable message,
			// then at the edge that most likely closed it.
			min := 0
			for j := range loop {
				if loop[j] < loop[min] {
					min = j
				}
			}
			loop = append(loop[min:], loop[:min]...)
			loop = append(loop, loop[0])
			k := g.closingEdge(loop)
			loop = slices.Concat(loop[k:len(loop)-1], loop[:k])
			return append(loop, loop[0])
		}
		pos[cur] = len(path)
		path = append(path, cur)
		for _, p := range slices.Concat(g.parents[cur], g.after[cur]) {
			if indeg[p] > 0 {
				cur = p
				break
			}
		}
	}
}

// Len returns the number of nodes.
func (g *Graph) Len() int { return len(g.nodes) }

// Node returns the node with id, or nil.
func (g *Graph) Node(id ID) *Node { return g.nodes[id] }

// Order returns every node ID in topological order. The slice is shared: do
// not modify it.
func (g *Graph) Order() []ID { return g.order }

// Nodes returns every node in topological order.
func (g *Graph) Nodes() []*Node {
	out := make([]*Node, len(g.order))
	for i, id := range g.order {
		out[i] = g.nodes[id]
	}
	return out
}

// Index returns id's position in the topological order (-1 if absent).
func (g *Graph) Index(id ID) int {
	if i, ok := g.index[id]; ok {
		return i
	}
	return -1
}

// Parents returns the direct parents of id, sorted. Do not modify.
func (g *Graph) Parents(id ID) []ID { return g.parents[id] }

// After returns the nodes id is ordered after without depending on them
// (Node.After), sorted; they come before id in Order. Do not modify.
func (g *Graph) After(id ID) []ID { return g.after[id] }

// Children returns the direct children of id, sorted. Do not modify.
func (g *Graph) Children(id ID) []ID { return g.children[id] }

// Ancestors returns the nodes upstream of id up to depth edges away
// (depth < 0: no limit), without id itself.
func (g *Graph) Ancestors(id ID, depth int) map[ID]bool {
	return g.walk(id, depth, g.parents)
}

// Descendants returns the nodes downstream of id up to depth edges away
// (depth < 0: no limit), without id itself.
func (g *Graph) Descendants(id ID, depth int) map[ID]bool {
	return g.walk(id, depth, g.children)
}

func (g *Graph) walk(id ID, depth int, next map[ID][]ID) map[ID]bool {
	out := map[ID]bool{}
	frontier := []ID{id}
	for d := 0; len(frontier) > 0 && (depth < 0 || d < depth); d++ {
		var nextFrontier []ID
		for _, n := range frontier {
			for _, m := range next[n] {
				if !out[m] && m != id {
					out[m] = true
					nextFrontier = append(nextFrontier, m)
				}
			}
		}
		frontier = nextFrontier
	}
	return out
}

// Sorted returns the IDs of set in topological order.
func (g *Graph) Sorted(set map[ID]bool) []ID {
	out := make([]ID, 0, len(set))
	for id := range set {
		if _, ok := g.nodes[id]; ok {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return g.index[out[i]] < g.index[out[j]] })
	return out
}

func sortIDs(ids []ID) { slices.Sort(ids) }

type idHeap []ID

func (h idHeap) Len() int           { return len(h) }
func (h idHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h idHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *idHeap) Push(x any)        { *h = append(*h, x.(ID)) }
func (h *idHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
