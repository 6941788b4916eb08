package execute

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
)

var (
	columnNotFound = regexp.MustCompile(`^Referenced column "([^"]+)" not found`)
	tableNotFound  = regexp.MustCompile(`^Table with name (\S+) does not exist`)
	quotedName     = regexp.MustCompile(`"([^"]+)"`)
)

// sqlHint returns what to do about the database error de of node n's SQL,
// "" when kiln has nothing to add to the message:
//
//   - a column that is not found: the nearest of the candidate columns
//     DuckDB lists (Candidate bindings);
//   - a relation that does not exist: when it is one of n's parents,
//     that the parent is not built in this target (build it with its
//     parents, or read it from another target with --defer --state);
//     otherwise, for a near node name, that name (first), then that a
//     project's relation is read with ref() or source();
//   - DuckDB's "entries that depend on it" when n's table is replaced or
//     altered: the index made by hand that forbids it, and what to do.
func sqlHint(g *graph.Graph, n *graph.Node, de *adapter.Error) string {
	if m := columnNotFound.FindStringSubmatch(de.Msg); m != nil {
		var cols []string
		for _, line := range strings.Split(de.Detail, "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Candidate bindings:"); ok {
				for _, q := range quotedName.FindAllStringSubmatch(rest, -1) {
					c := q[1]
					if i := strings.LastIndexByte(c, '.'); i >= 0 {
						c = c[i+1:]
					}
					cols = append(cols, c)
				}
			}
		}
		if h := diag.DidYouMean(m[1], cols); h != "" {
			return h
		}
		if len(cols) > 0 {
			return fmt.Sprintf("no column %q there; the nearest are %s", m[1], strings.Join(unique(cols), ", "))
		}
		return ""
	}
	if strings.Contains(de.Msg, "because there are entries that depend on it") && !n.Relation.IsZero() {
		// DuckDB's dependency error: an index made by create index (by
		// hand, or by a hook) forbids replacing or altering its table.
		return fmt.Sprintf("an index made with create index (by hand or by a hook) depends on %s, and DuckDB cannot replace or alter a table with an index: "+
			"drop it first (select index_name from duckdb_indexes() where schema_name = '%s' and table_name = '%s' lists them), then build; "+
			"a post-hook can create it again after each build", n.Relation.String(), n.Relation.Schema, n.Relation.Name)
	}
	m := tableNotFound.FindStringSubmatch(de.Msg)
	if m == nil {
		return ""
	}
	name := strings.Trim(m[1], `"`)
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = strings.Trim(name[i+1:], `"`)
	}
	for _, id := range n.DependsOn {
		p := g.Node(id)
		if p == nil || !strings.EqualFold(p.Relation.Name, name) {
			continue
		}
		return fmt.Sprintf("%s %s is not built in this target: build it first (kiln build -s +%s builds %s with its parents), or read it from another run's target with --defer --state DIR",
			p.Kind, p.DisplayName(), n.Name, n.Name)
	}
	var names []string
	for _, x := range g.Nodes() {
		if x.Kind == graph.Model || x.Kind == graph.Seed || x.Kind == graph.Snapshot || x.Kind == graph.Source {
			names = append(names, x.Name)
		}
	}
	if h := diag.DidYouMean(name, names); h != "" {
		// The suggestion first: it is what the reader acts on.
		return h + " a relation of the project is read with {{ ref('name') }} or {{ source('source', 'table') }}"
	}
	return ""
}

func unique(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
