package execute

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
)

// Describe says, in words, what test n expected and what it found given its
// number of failing rows: "no duplicate product_id" / "3 duplicate values of
// product_id".
func Describe(g *graph.Graph, n *graph.Node, failures int64) (expected, actual string) {
	t := n.Test
	on := ""
	if t != nil && t.Attached != "" {
		if a := g.Node(t.Attached); a != nil {
			on = a.DisplayName()
		}
	}
	col := ""
	if t != nil {
		col = t.ColumnName
	}
	switch {
	case t == nil || t.Generic == "":
		return "no rows", plural(failures, "row")
	case t.Generic == "not_null":
		return fmt.Sprintf("no null %s in %s", col, on), fmt.Sprintf("%s where %s is null", plural(failures, "row"), col)
	case t.Generic == "unique":
		return fmt.Sprintf("unique %s in %s", col, on), fmt.Sprintf("%s of %s appearing more than once", plural(failures, "value"), col)
	case t.Generic == "accepted_values":
		return fmt.Sprintf("%s in %s", col, list(t.Kwargs["values"])), fmt.Sprintf("%s outside the list", plural(failures, "other value"))
	case t.Generic == "relationships":
		return fmt.Sprintf("every %s.%s in %s", on, col, relTarget(t.Kwargs)),
			fmt.Sprintf("%s of %s with no match in %s", plural(failures, "value"), col, relTarget(t.Kwargs))
	}
	return "no failing rows", plural(failures, "failing row")
}

func relTarget(kw map[string]any) string {
	to := fmt.Sprint(kw["to"])
	to = strings.TrimSuffix(strings.TrimPrefix(to, "ref("), ")")
	to = strings.Trim(to, `'"`)
	return fmt.Sprintf("%s.%v", to, kw["field"])
}

func list(v any) string {
	items, ok := v.([]any)
	if !ok {
		return fmt.Sprint(v)
	}
	parts := make([]string, len(items))
	for i, x := range items {
		parts[i] = fmt.Sprint(x)
	}
	if len(parts) > 6 {
		parts = append(parts[:6], "...")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
