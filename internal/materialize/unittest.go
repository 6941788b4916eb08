package materialize

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Column is a column name and its DuckDB type.
type Column struct {
	Name, Type string
}

// UnitTest returns the query of a unit test's actual output: the model's
// SQL with its given inputs and ephemeral parents as leading CTEs. When
// inputs holds the columns of an input's real relation, the given rows are
// cast to those types and the columns they leave out are NULL of their
// type, so the model sees the shape it sees in production; otherwise the
// rows are used as written.
func UnitTest(u *graph.UnitTestInfo, inputs map[graph.ID][]Column) string {
	var ctes []string
	for _, g := range u.Given {
		ctes = append(ctes, g.CTE+" as (\n"+RowsSQL(g.Rows, inputs[g.Node])+"\n)")
	}
	for _, e := range u.Ephemerals {
		ctes = append(ctes, e.Name+" as (\n"+Body(e.SQL)+"\n)")
	}
	return InjectCTEs(Body(u.ModelSQL), ctes)
}

// RowsSQL returns a query yielding rows. With cols, values are cast to the
// columns' types and missing columns are typed NULLs, in cols' order.
func RowsSQL(r graph.Rows, cols []Column) string {
	if r.SQL != "" {
		return Body(r.SQL)
	}
	if len(cols) == 0 {
		if len(r.Values) == 0 {
			return "select null as no_columns where false"
		}
		return "select * from (values " + tuples(r) + ") as given(" + identList(r.Columns) + ")"
	}
	given := map[string]int{}
	for i, c := range r.Columns {
		given[strings.ToLower(c)] = i
	}
	var sel []string
	for _, c := range cols {
		if i, ok := given[strings.ToLower(c.Name)]; ok {
			sel = append(sel, fmt.Sprintf("cast(given.%s as %s) as %s", sqlq.Ident(r.Columns[i]), c.Type, sqlq.Ident(c.Name)))
		} else {
			sel = append(sel, fmt.Sprintf("cast(null as %s) as %s", c.Type, sqlq.Ident(c.Name)))
		}
	}
	if len(r.Values) == 0 {
		return "select " + strings.Join(sel, ", ") + " where false"
	}
	return "select " + strings.Join(sel, ", ") + " from (values " + tuples(r) + ") as given(" + identList(r.Columns) + ")"
}

func tuples(r graph.Rows) string {
	rows := make([]string, len(r.Values))
	for i, row := range r.Values {
		vals := make([]string, len(row))
		for j, v := range row {
			vals[j] = Literal(v)
		}
		rows[i] = "(" + strings.Join(vals, ", ") + ")"
	}
	return strings.Join(rows, ", ")
}

func identList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = sqlq.Ident(n)
	}
	return strings.Join(q, ", ")
}

// Literal writes a Go value as a DuckDB literal: NULL, true/false, numbers,
// or a quoted string.
func Literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "'" + strconv.FormatFloat(x, 'g', -1, 64) + "'::double"
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return sqlq.Literal(x)
	}
	return sqlq.Literal(fmt.Sprint(v))
}

// UnitTestDiff returns a query listing the differences between the actual
// output (query actual, with the output types in types by column) and the
// expected rows, as a multiset comparison on the expected columns: one row
// per missing or unexpected row, with a first column "diff" that says which.
func UnitTestDiff(actual string, expect graph.Rows, types map[string]string) string {
	cols := expect.Columns
	var sel, castSel []string
	for _, c := range cols {
		sel = append(sel, sqlq.Ident(c))
		t := types[strings.ToLower(c)]
		if t == "" {
			castSel = append(castSel, sqlq.Ident(c))
		} else {
			castSel = append(castSel, fmt.Sprintf("cast(%s as %s) as %s", sqlq.Ident(c), t, sqlq.Ident(c)))
		}
	}
	list := strings.Join(sel, ", ")
	exp := "select " + strings.Join(castSel, ", ") + " from (" + RowsSQL(expect, nil) + ") as e"
	if len(expect.Values) == 0 && expect.SQL == "" {
		var nulls []string
		for i, c := range cols {
			nulls = append(nulls, fmt.Sprintf("cast(null as %s) as %s", orText(types[strings.ToLower(c)]), sel[i]))
		}
		exp = "select " + strings.Join(nulls, ", ") + " where false"
	}
	return "with __kiln_actual as (select " + list + " from (\n" + Body(actual) + "\n) as a),\n" +
		"__kiln_expected as (" + exp + ")\n" +
		"select 'missing' as diff, * from (select * from __kiln_expected except all select * from __kiln_actual)\n" +
		"union all\n" +
		"select 'unexpected' as diff, * from (select * from __kiln_actual except all select * from __kiln_expected)"
}

func orText(t string) string {
	if t == "" {
		return "varchar"
	}
	return t
}

// InjectCTEs adds the common table expressions ctes ("name as (...)") to
// the query sql: into its leading WITH clause (after RECURSIVE) if it has
// one, else as a new WITH clause in front of it, after leading comments.
func InjectCTEs(sql string, ctes []string) string {
	if len(ctes) == 0 {
		return sql
	}
	joined := strings.Join(ctes, ",\n")
	i := skipSpaceAndComments(sql, 0)
	if kw, end := word(sql, i); strings.EqualFold(kw, "with") {
		j := skipSpaceAndComments(sql, end)
		if kw2, end2 := word(sql, j); strings.EqualFold(kw2, "recursive") {
			end = end2
		}
		return sql[:end] + "\n" + joined + ",\n" + strings.TrimLeft(sql[end:], " \t")
	}
	return sql[:i] + "with " + joined + "\n" + sql[i:]
}

func skipSpaceAndComments(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r':
			i++
		case strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return len(s)
			}
			i += j + 1
		case strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return len(s)
			}
			i += j + 4
		default:
			return i
		}
	}
	return i
}

func word(s string, i int) (string, int) {
	j := i
	for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
		j++
	}
	return s[i:j], j
}
