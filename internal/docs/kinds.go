package docs

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
)

// siteKind says how the page shows the nodes of one kind (resource type):
// the list's heading, the colour of their border in the graph and of their
// dot, and whether they are checks (tests), which the graph hides unless
// asked and the list folds. The page knows no kind by name: a kind that the
// compiler adds later shows from this table, and one that the table does
// not know gets a title made from its name and a colour from its hash.
type siteKind struct {
	Kind  graph.Kind `json:"kind"`
	Title string     `json:"title"`
	Color string     `json:"color"`
	// Class is the kind as a CSS class name: k-CLASS for its dot,
	// kind-CLASS for its nodes in the graph.
	Class string `json:"class"`
	Check bool   `json:"check,omitempty"`
}

// knownKinds are dbt's resource types, and kiln's exports, in the order
// of the page's list.
var knownKinds = []siteKind{
	{Kind: graph.Model, Title: "Models", Color: "#2f6fb3"},
	{Kind: "snapshot", Title: "Snapshots", Color: "#0f7c8c"},
	{Kind: graph.Source, Title: "Sources", Color: "#2e8b57"},
	{Kind: graph.Seed, Title: "Seeds", Color: "#7a5db0"},
	{Kind: graph.Export, Title: "Exports", Color: "#b06a1a"},
	{Kind: "exposure", Title: "Exposures", Color: "#c2185b"},
	{Kind: "analysis", Title: "Analyses", Color: "#5c6bc0"},
	{Kind: "semantic_model", Title: "Semantic models", Color: "#00897b"},
	{Kind: "metric", Title: "Metrics", Color: "#6d4c41"},
	{Kind: "saved_query", Title: "Saved queries", Color: "#546e7a"},
	{Kind: graph.Test, Title: "Tests", Color: "#8c8c8c", Check: true},
	{Kind: graph.UnitTest, Title: "Unit tests", Color: "#8c8c8c", Check: true},
}

// otherColors are the colours of the kinds knownKinds does not list, by
// the FNV-1a hash of their name: dark enough for a border on white.
var otherColors = []string{"#9c27b0", "#e65100", "#33691e", "#0277bd", "#ad1457", "#4e342e", "#283593", "#00695c"}

// kindsOf returns the styles of the kinds of nodes: the known kinds in
// knownKinds' order, then the others by name, then the checks (tests).
func kindsOf(nodes []*siteNode) []siteKind {
	present := map[graph.Kind]bool{}
	for _, n := range nodes {
		present[n.Kind] = true
	}
	var out, checks []siteKind
	for _, k := range knownKinds {
		if present[k.Kind] {
			k.Class = cssClass(k.Kind)
			if k.Check {
				checks = append(checks, k)
			} else {
				out = append(out, k)
			}
			delete(present, k.Kind)
		}
	}
	var others []graph.Kind
	for k := range present {
		others = append(others, k)
	}
	sort.Slice(others, func(i, j int) bool { return others[i] < others[j] })
	for _, k := range others {
		h := fnv.New32a()
		h.Write([]byte(k))
		out = append(out, siteKind{Kind: k, Title: kindTitle(k), Color: otherColors[h.Sum32()%uint32(len(otherColors))], Class: cssClass(k)})
	}
	return append(out, checks...)
}

// kindTitle makes a heading of a kind's name: "data_product" gives "Data
// products".
func kindTitle(k graph.Kind) string {
	s := strings.ReplaceAll(string(k), "_", " ")
	if s == "" {
		return "Other"
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	switch {
	case strings.HasSuffix(s, "s"):
		return s
	case strings.HasSuffix(s, "y") && !strings.HasSuffix(s, "ey"):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}

// cssClass is k with every character but a-z, 0-9 and _ written as
// -HEX- (its code point), so that it is a CSS class name that no two kinds
// share.
func cssClass(k graph.Kind) string {
	var b strings.Builder
	for _, r := range string(k) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "-%x-", r)
		}
	}
	return b.String()
}

// kindCSS returns the style rules of kinds: each kind's dot and graph
// border.
func kindCSS(kinds []siteKind) string {
	var b strings.Builder
	for _, k := range kinds {
		fmt.Fprintf(&b, ".k-%s { background: %s; }\ng.kind-%s rect { stroke: %s; }\n", k.Class, k.Color, k.Class, k.Color)
	}
	return b.String()
}
