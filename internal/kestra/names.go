package kestra

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
)

// nodeSelector selects n by its full name (source:pkg.source.table for
// sources).
func nodeSelector(n *graph.Node) string {
	if n.Kind == graph.Source && n.Source != nil {
		return "source:" + n.Package + "." + n.Source.SourceName + "." + n.Name
	}
	return strings.Join(n.FQN, ".")
}

// taskID is a node's task id: the model's name, or the kind and name of
// other nodes ("source_raw_erp", "export_monthly_report").
func taskID(n *graph.Node) string {
	name := n.Name
	if n.Kind == graph.Source && n.Source != nil {
		name = n.Source.SourceName + "_" + n.Name
	}
	if n.Kind != graph.Model {
		name = string(n.Kind) + "_" + name
	}
	return sanitize(name, string(n.Kind))
}

// sanitize maps s onto Kestra's id alphabet: each run of other characters
// becomes one "_", and the id starts with a letter or digit.
func sanitize(s, fallback string) string {
	var b strings.Builder
	replaced := false
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			b.WriteRune(r)
			replaced = false
			continue
		}
		if !replaced {
			b.WriteByte('_')
		}
		replaced = true
	}
	out := strings.TrimLeft(b.String(), "_-")
	if replaced {
		out = strings.TrimSuffix(out, "_")
	}
	if out == "" {
		return fallback
	}
	return out
}

func uniqueID(id string, used map[string]bool) string {
	out := id
	for i := 2; used[out]; i++ {
		out = fmt.Sprintf("%s_%d", id, i)
	}
	used[out] = true
	return out
}

func countKinds(g *graph.Graph, ids []graph.ID) string {
	counts := map[graph.Kind]int{}
	for _, id := range ids {
		counts[g.Node(id).Kind]++
	}
	var parts []string
	for _, k := range []graph.Kind{graph.Source, graph.Seed, graph.Model, graph.Snapshot, graph.Export} {
		if c := counts[k]; c == 1 {
			parts = append(parts, fmt.Sprintf("1 %s", k))
		} else if c > 1 {
			parts = append(parts, fmt.Sprintf("%d %ss", c, k))
		}
	}
	return strings.Join(parts, ", ")
}

func sameIDs(a, b []graph.ID) bool {
	if len(a) != len(b) {
		return false
	}
	set := map[graph.ID]bool{}
	for _, x := range a {
		set[x] = true
	}
	for _, x := range b {
		if !set[x] {
			return false
		}
	}
	return true
}

func contains(ids []graph.ID, id graph.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
