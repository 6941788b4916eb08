package selector

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
)

// Unmatched explains why word, a --select or --exclude word that selected
// no node of g (Options.Unmatched reports them), matched nothing: it names
// the disabled nodes the word selects ("model "orders" (models/orders.sql)
// is disabled"), or else suggests, for each value of the word without
// wildcards, the nearest node name, source, tag or path ("did you mean
// "stg_erp"?"; for a path: word, the nearest files or folders). It
// returns one line, without a "warning:" prefix.
func Unmatched(g *graph.Graph, disabled []*graph.Node, word string) string {
	msg := fmt.Sprintf("the selector %q matches no node", word)
	if off := disabledMatches(disabled, word); len(off) > 0 {
		names := make([]string, 0, len(off))
		empty := true
		for _, n := range off {
			empty = empty && n.Empty
			names = append(names, fmt.Sprintf("%s %q (%s)", n.Kind, n.DisplayName(), n.Path))
		}
		verb := "is"
		if len(names) > 1 {
			verb = "are"
		}
		if empty {
			return fmt.Sprintf("the selector %q matches no enabled node: %s %s empty (no SQL), and skipped as dbt skips empty models; write its select statement to select it", word, strings.Join(names, ", "), verb)
		}
		return fmt.Sprintf("the selector %q matches no enabled node: %s %s disabled; set enabled: true to select it", word, strings.Join(names, ", "), verb)
	}
	e, err := Parse(word)
	if err != nil {
		return msg
	}
	for _, a := range atoms(e) {
		if h := suggest(g, a); h != "" {
			return msg + "; " + h
		}
	}
	return msg
}

// disabledMatches returns the disabled nodes that word selects, one per
// unique_id, sorted by path.
func disabledMatches(disabled []*graph.Node, word string) []*graph.Node {
	if len(disabled) == 0 {
		return nil
	}
	seen := map[graph.ID]bool{}
	var nodes []*graph.Node
	byID := map[graph.ID][]*graph.Node{}
	for _, n := range disabled {
		byID[n.ID] = append(byID[n.ID], n)
		if seen[n.ID] {
			continue
		}
		seen[n.ID] = true
		cp := *n
		cp.DependsOn = nil
		cp.Config.Enabled = true
		nodes = append(nodes, &cp)
	}
	dg, err := graph.New(nodes)
	if err != nil {
		return nil
	}
	ids, err := Select(dg, []string{word}, nil, Options{Indirect: Empty})
	if err != nil {
		return nil
	}
	var out []*graph.Node
	for _, id := range ids {
		out = append(out, byID[id]...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// atoms returns the atoms of e, in order.
func atoms(e Expr) []*Atom {
	switch e := e.(type) {
	case *Atom:
		return []*Atom{e}
	case Union:
		var out []*Atom
		for _, x := range e {
			out = append(out, atoms(x)...)
		}
		return out
	case Intersection:
		var out []*Atom
		for _, x := range e {
			out = append(out, atoms(x)...)
		}
		return out
	case *Difference:
		return append(atoms(e.Include), atoms(e.Exclude)...)
	}
	return nil
}

// suggest returns "did you mean ...?" for a's value among the values its
// method reads in g, or "" when a has wildcards, a method without names
// to suggest, or no near value.
func suggest(g *graph.Graph, a *Atom) string {
	if a.Method == "resource_type" && dbtOnlyKinds[a.Value] {
		return fmt.Sprintf("kiln makes no %s nodes (the semantic layer is checked and written to manifest.json): not supported yet", a.Value)
	}
	if hasMeta(a.Value) {
		return ""
	}
	seen := map[string]bool{}
	var values []string
	add := func(v string) {
		if v != "" && !seen[v] {
			seen[v] = true
			values = append(values, v)
		}
	}
	for _, n := range g.Nodes() {
		switch a.Method {
		case "fqn":
			if n.Kind != graph.Source {
				add(n.Name)
			}
			if n.Version != "" && strings.Contains(a.Value, ".") {
				add(n.DisplayName()) // customers.v2
			} else if n.Version != "" {
				add(n.Name + "_v" + n.Version) // customers_v2
			}
		case "file":
			add(n.Path[strings.LastIndexByte(n.Path, '/')+1:])
		case "path":
			// The file, and each folder above it (path: selects a
			// folder's nodes too).
			add(n.Path)
			for d := path.Dir(n.Path); d != "." && d != "/"; d = path.Dir(d) {
				add(d)
			}
			if n.PatchPath != "" {
				add(n.PatchPath) // its properties file
			}
		case "source":
			if n.Kind == graph.Source && n.Source != nil {
				if strings.Contains(a.Value, ".") {
					add(n.DisplayName())
				} else {
					add(n.Source.SourceName)
				}
			}
		case "exposure":
			if n.Kind == graph.Exposure {
				add(n.Name)
			}
		case "tag":
			for _, t := range n.Config.Tags {
				add(t)
			}
		case "test_name":
			if n.Test != nil {
				add(n.Test.Generic)
			}
		default:
			return ""
		}
	}
	sort.Strings(values)
	return diag.DidYouMean(a.Value, values)
}
