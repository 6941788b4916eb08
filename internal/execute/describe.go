package execute

import (
	"context"
	"fmt"
	"github.com/kiln-build/kiln/internal/materialize"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
)

// describe says, in words, what test n expected and what it found, given
// its number of failing rows: ("unique product_id in stg_erp", "3 values of
// product_id appearing more than once"). Tests about volumes (row_count,
// not_empty, equal_rowcount) count the rows, and record them in metrics.
// With a fail_calc other than count(*), failures is that expression's
// value, not a count of rows or values: what was found is said as
// "fail_calc sum(n_records) = 2".
func (e *Executor) describe(ctx context.Context, conn adapter.Conn, n *graph.Node, failures int64, metrics map[string]float64) (expected, actual string) {
	expected, actual = e.describeCount(ctx, conn, n, failures, metrics)
	if calc := customFailCalc(n); calc != "" && !countsItself(n.Test) {
		actual = fmt.Sprintf("fail_calc %s = %d", calc, failures)
	} else if lim := materialize.TestLimit(n); lim > 0 && failures >= lim && !countsItself(n.Test) {
		// The query stopped at the test's limit (dbt's get_test_sql): the
		// count is a floor, not the number of failing rows.
		actual += fmt.Sprintf(" (the test's limit: %d; there may be more)", lim)
	}
	return expected, actual
}

// customFailCalc returns test n's fail_calc when it is not dbt's default,
// count(*); "" otherwise.
func customFailCalc(n *graph.Node) string {
	calc, _ := n.Config.Extra["fail_calc"].(string)
	calc = strings.TrimSpace(calc)
	if strings.EqualFold(strings.Join(strings.Fields(calc), ""), "count(*)") {
		return ""
	}
	return calc
}

// countsItself reports whether test t's description reads its own
// counts (the volume tests, recency), not its number of failures.
func countsItself(t *graph.TestInfo) bool {
	if t == nil {
		return false
	}
	switch t.Generic {
	case "row_count", "not_empty", "equal_rowcount", "recency":
		return true
	}
	return false
}

// describeCount is describe with failures the number of failing rows.
func (e *Executor) describeCount(ctx context.Context, conn adapter.Conn, n *graph.Node, failures int64, metrics map[string]float64) (expected, actual string) {
	t := n.Test
	on, col := "", ""
	var onNode *graph.Node
	if t != nil {
		col = t.Column()
		if onNode = e.g.Node(t.Attached); onNode != nil {
			on = onNode.DisplayName()
		}
	}
	count := func(rel string) (int64, bool) {
		c, err := conn.QueryInt(ctx, e.d.CountRows(rel))
		return c, err == nil
	}
	rows := plural(failures, "row")
	switch {
	case t == nil || t.Generic == "":
		return "no rows", plural(failures, "row")
	case t.Generic == "not_null":
		return fmt.Sprintf("no null %s in %s", col, on), fmt.Sprintf("%s where %s is null", rows, col)
	case t.Generic == "unique":
		return fmt.Sprintf("unique %s in %s", col, on), fmt.Sprintf("%s of %s appearing more than once", plural(failures, "value"), col)
	case t.Generic == "accepted_values":
		return fmt.Sprintf("%s in %s", col, list(t.Args["values"])), fmt.Sprintf("%s of %s outside the list", plural(failures, "other value"), col)
	case t.Generic == "relationships":
		target := fmt.Sprintf("%s.%v", refName(t.Kwargs["to"]), t.Args["field"])
		return fmt.Sprintf("every %s of %s in %s", col, on, target), fmt.Sprintf("%s of %s with no match in %s", plural(failures, "value"), col, target)
	case t.Generic == "accepted_range":
		return fmt.Sprintf("%s in %s", col, rangeText(t.Args)), fmt.Sprintf("%s where %s is out of range", rows, col)
	case t.Generic == "expression_is_true":
		expr := fmt.Sprint(t.Args["expression"])
		if col != "" {
			expr = col + " " + expr
		}
		return fmt.Sprintf("%s for every row of %s", expr, on), fmt.Sprintf("%s where not (%s)", rows, expr)
	case t.Generic == "unique_combination_of_columns":
		cols := list(t.Args["combination_of_columns"])
		return fmt.Sprintf("unique %s in %s", cols, on), fmt.Sprintf("%s of %s appearing more than once", plural(failures, "combination"), cols)
	case t.Generic == "row_count" || t.Generic == "not_empty":
		want := "at least 1 row"
		if t.Generic == "row_count" {
			want = countRange(t.Args)
		}
		if onNode == nil {
			return want, rows
		}
		c, ok := count(testedRelation(onNode, t))
		if !ok {
			return want, "unknown"
		}
		metrics["row_count"] = float64(c)
		return want, plural(c, "row")
	case t.Generic == "equal_rowcount":
		other := refName(t.Kwargs["compare_model"])
		if onNode == nil {
			return "as many rows as " + other, rows
		}
		a, ok1 := count(testedRelation(onNode, t))
		b, ok2 := count(fmt.Sprint(t.Args["compare_model"]))
		if !ok1 || !ok2 {
			return "as many rows as " + other, "unknown"
		}
		metrics["row_count"], metrics["compare_row_count"] = float64(a), float64(b)
		return fmt.Sprintf("as many rows as %s (%d)", other, b), plural(a, "row")
	case t.Generic == "recency":
		return fmt.Sprintf("max(%v) within %v %v", t.Args["field"], t.Args["interval"], t.Args["datepart"]), "older data"
	}
	return "no failing rows", plural(failures, "failing row")
}

// testedRelation is what test t counts on its node: the relation, or the
// subquery its where config makes, so that the count described is the
// count the test checked.
func testedRelation(on *graph.Node, t *graph.TestInfo) string {
	if t.Model != "" {
		return t.Model
	}
	return on.Relation.String()
}

// refName turns "ref('x')" and "{{ ref('x') }}" into "x".
func refName(v any) string {
	s := strings.TrimSpace(fmt.Sprint(v))
	if strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}") {
		s = strings.TrimSpace(s[2 : len(s)-2]) // "{{ ref('customers') }}"
	}
	for _, fn := range []string{"ref(", "source("} {
		if strings.HasPrefix(s, fn) && strings.HasSuffix(s, ")") {
			inner := s[len(fn) : len(s)-1]
			parts := strings.Split(inner, ",")
			for i := range parts {
				parts[i] = strings.Trim(strings.TrimSpace(parts[i]), `'"`)
			}
			return strings.Join(parts, ".")
		}
	}
	return s
}

func rangeText(args map[string]any) string {
	lo, hasLo := args["min_value"]
	hi, hasHi := args["max_value"]
	incl := args["inclusive"] != false
	l, r := "[", "]"
	if !incl {
		l, r = "(", ")"
	}
	switch {
	case hasLo && hasHi:
		return fmt.Sprintf("%s%v, %v%s", l, lo, hi, r)
	case hasLo:
		if incl {
			return fmt.Sprintf(">= %v", lo)
		}
		return fmt.Sprintf("> %v", lo)
	case hasHi:
		if incl {
			return fmt.Sprintf("<= %v", hi)
		}
		return fmt.Sprintf("< %v", hi)
	}
	return "any range"
}

func countRange(args map[string]any) string {
	if eq, ok := args["equals"]; ok {
		return fmt.Sprintf("%v rows", eq)
	}
	lo, hasLo := args["min"]
	hi, hasHi := args["max"]
	switch {
	case hasLo && hasHi:
		return fmt.Sprintf("between %v and %v rows", lo, hi)
	case hasLo:
		return fmt.Sprintf("at least %v rows", lo)
	case hasHi:
		return fmt.Sprintf("at most %v rows", hi)
	}
	return "any number of rows"
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
