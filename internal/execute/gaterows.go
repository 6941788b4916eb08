package execute

import (
	"context"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// shownFailingRows is how many failing rows a failed test with
// store_failures prints after "the failing rows are in ...".
const shownFailingRows = 3

// IsDeviationGate reports whether --accept-deviations applies to test n:
// a change or anomaly test, or a project's test configured
// `deviation_gate: true` (such as BottleNeck's month_over_history), whose
// failure --accept-deviations turns into a warning.
func IsDeviationGate(n *graph.Node) bool {
	if n == nil || n.Test == nil {
		return false
	}
	if IsDeviationTest(n.Test.Generic) {
		return true
	}
	on, _ := n.Config.Extra["deviation_gate"].(bool)
	return on
}

// firstFailingRows returns up to shownFailingRows rows of the audit
// relation rel, each as {column=value, ...} joined by "; ", and whether
// more rows remain; "" when it cannot read them (the count already
// said how many failed). The rows are the first in the order of their
// columns' text (failingRowsOrder), so two runs over the same failures
// print the same rows.
func (e *Executor) firstFailingRows(ctx context.Context, conn adapter.Conn, rel adapter.Relation) string {
	described, err := conn.DescribeQuery(ctx, e.d.SelectAll(rel, ""))
	if err != nil {
		return ""
	}
	rows, err := conn.Query(ctx, e.d.SelectAll(rel, failingRowsOrder(e.d, described)))
	if err != nil {
		return ""
	}
	defer rows.Close()
	cols, types := rows.Columns(), rows.ColumnTypes()
	for len(types) < len(cols) {
		types = append(types, "")
	}
	var out []string
	more := false
	for rows.Next() {
		if len(out) == shownFailingRows {
			more = true
			break
		}
		v, err := rows.Values()
		if err != nil {
			return ""
		}
		out = append(out, formatRow(cols, types, v))
	}
	if len(out) == 0 {
		return ""
	}
	s := strings.Join(out, "; ")
	if more {
		s += "; ..."
	}
	return s
}

// failingRowsOrder is an order by list over every column of cols, each
// cast to text: every type both DuckDB and PostgreSQL store casts to
// text (PostgreSQL's json has no ordering of its own), so the order is
// total up to rows that print the same. "" when cols is empty.
func failingRowsOrder(d adapter.Dialect, cols []adapter.Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "cast(" + d.Quote(c.Name) + " as text)"
	}
	return strings.Join(parts, ", ")
}
