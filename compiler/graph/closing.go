package graph

// closingEdge returns the index k of the edge loop[k] -> loop[k+1] of a
// loop (loop[0] == loop[len-1]) that most likely closed it: the edge that
// goes farthest back upstream, from the node farthest from the graph's
// roots (the nodes without parents: sources, seeds) to the nearest,
// distances counting the fewest edges from a root. The refs a project is
// built of go downstream (a staging model reads a source, a mart an
// intermediate model); the one that reads a model further down, such as
// an intermediate model reading a mart, is the one that closed the loop.
// Ties keep the earliest edge, and a loop no root reaches its first, so
// the answer depends only on the graph.
//
// It costs one breadth-first walk of the graph.
func (g *Graph) closingEdge(loop []ID) int {
	dist := make(map[ID]int, len(g.nodes))
	var queue []ID
	for id := range g.nodes {
		if len(g.parents[id])+len(g.after[id]) == 0 {
			dist[id] = 0
			queue = append(queue, id)
		}
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, next := range [2][]ID{g.children[id], g.before[id]} {
			for _, c := range next {
				if _, seen := dist[c]; !seen {
					dist[c] = dist[id] + 1
					queue = append(queue, c)
				}
			}
		}
	}
	best, back := 0, 0
	for k := 0; k+1 < len(loop); k++ {
		du, okU := dist[loop[k]]
		dv, okV := dist[loop[k+1]]
		if okU && okV && du-dv > back {
			best, back = k, du-dv
		}
	}
	return best
}
