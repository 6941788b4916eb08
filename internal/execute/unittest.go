package execute

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/run"
)

// unitTest runs a unit test: the model's SQL on the given rows (typed like
// the real inputs when they exist in the database, or under --defer in
// the state's; their data is never read), compared with the expected rows
// as multisets.
func (e *Executor) unitTest(ctx context.Context, conn adapter.Conn, n *graph.Node) run.Result {
	u := n.UnitTest
	inputs := map[graph.ID][]adapter.Column{}
	for _, g := range u.Given {
		cols, err := e.inputColumns(ctx, conn, g.Node)
		if err != nil {
			return failed(fmt.Errorf("%s: unit test %q: %w", n.Pos, n.Name, err))
		}
		if cols != nil {
			inputs[g.Node] = cols
		}
	}
	actual := materialize.UnitTestSQL(e.d, u, inputs)
	desc, err := conn.DescribeQuery(ctx, actual)
	if err != nil {
		return failed(e.unitTestError(n, actual, err))
	}
	types := map[string]string{}
	var outputs []string
	for _, c := range desc {
		types[strings.ToLower(c.Name)] = c.Type
		outputs = append(outputs, c.Name)
	}
	for _, c := range u.Expect.Columns {
		if _, ok := types[strings.ToLower(c)]; !ok {
			msg := fmt.Sprintf("%s: unit test %q expects column %q, which model %q does not output", n.Pos, n.Name, c, e.g.Node(u.Model).Name)
			if h := diag.DidYouMean(c, outputs); h != "" {
				msg += "; " + h
			}
			return failed(fmt.Errorf("%s (outputs: %s)", msg, strings.Join(outputs, ", ")))
		}
	}
	if len(u.Expect.Columns) == 0 && u.Expect.SQL == "" {
		u2 := *u
		u2.Expect.Columns = outputs
		u = &u2
	}
	diffSQL := e.d.UnitTestDiff(actual, u.Expect, types)
	cols, colTypes, diff, err := typedRows(ctx, conn, diffSQL)
	if err != nil {
		return failed(fmt.Errorf("%s: unit test %q: cannot compare with the expected rows: %v", n.Pos, n.Name, err))
	}
	r := run.Result{Status: run.Pass, Rows: -1, CompiledCode: actual, Failures: int64(len(diff)),
		Expected: fmt.Sprintf("%s as given under expect", plural(int64(len(u.Expect.Values)), "row")),
		Metrics:  map[string]float64{"failures": float64(len(diff))}}
	if len(diff) == 0 {
		r.Actual = "the same rows"
		return r
	}
	r.Status = run.Fail
	if n.Config.Severity == "warn" {
		r.Status = run.Warn
	}
	var missing, unexpected int
	var lines []string
	for i, row := range diff {
		if fmt.Sprint(row[0]) == "missing" {
			missing++
		} else {
			unexpected++
		}
		if i < 10 {
			lines = append(lines, fmt.Sprintf("%s %s", row[0], formatRow(cols[1:], colTypes[1:], row[1:])))
		}
	}
	r.Actual = fmt.Sprintf("%d missing and %d unexpected rows", missing, unexpected)
	r.Message = strings.Join(lines, "; ")
	return r
}

// unitTestError returns the error of a unit test's query, which
// Conn.DescribeQuery ran as the dialect's Describe: when the failing token
// is in the model's SQL (or an inlined ephemeral model's), the error is
// the model's, at its .sql line and column, and reads the same for every
// unit test of the model (the summary shows it once); in the given rows,
// or without a position, it is the unit test's, at its YAML entry.
func (e *Executor) unitTestError(n *graph.Node, query string, err error) error {
	u := n.UnitTest
	model := e.g.Node(u.Model)
	var de *adapter.Error
	if model != nil && errors.As(err, &de) {
		s := e.d.Describe(query)
		var ctes []cte
		for _, g := range u.Given {
			ctes = append(ctes, cte{marker: g.CTE + " as (\n"})
		}
		for _, eph := range u.Ephemerals {
			c := cte{marker: eph.Name + " as (\n", body: materialize.Body(eph.SQL)}
			if m := e.modelNamed(strings.TrimPrefix(eph.Name, compiler.EphemeralPrefix)); m != nil {
				c.node = &graph.Node{Kind: graph.Model, Path: m.Path, RawCode: m.RawCode}
			}
			ctes = append(ctes, c)
		}
		body := materialize.Body(query)
		lead := strings.Index(query, body)
		off, ok := bodyOffset(s.SQL, s.Body, de.Line, de.Col, query)
		syntaxAt := -1 // where in the body a syntax error is, as for a model (sqlError)
		if de.Class == adapter.Syntax && s.Body >= 0 {
			syntaxAt = off
			if !ok {
				syntaxAt = afterBody(s.SQL, s.Body, de, query)
				// After the body: the error is at its last token.
				if toks, _ := lexSQL(body); syntaxAt >= 0 && len(toks) > 0 {
					off, ok = toks[len(toks)-1].start, true
				}
			}
		}
		if ok {
			if pos, ok := e.sourcePos(model, body, off, ctes); ok {
				ne := &run.NodeError{Pos: pos, Msg: fmt.Sprintf("model %q fails on the given rows of its unit tests: %s", model.Name, de.Error()), Err: err}
				if syntaxAt >= 0 {
					ne.Hint = e.syntaxHintIn(model, query, ctes, de, lead, syntaxAt, pos, "")
				} else {
					ne.Hint = e.givenColumnHint(u, de)
				}
				return ne
			}
		}
	}
	return &run.NodeError{Pos: n.Pos, Msg: fmt.Sprintf("unit test %q: the model fails on the given rows: %v", n.Name, err), Err: err}
}

// valuesColumn is DuckDB's error for a column that a VALUES list (a unit
// test's given rows, read instead of a ref or source) does not have: it
// lists no candidates, where the model's own build does.
var valuesColumn = regexp.MustCompile(`^Values list "[^"]+" does not have a column named "([^"]+)"`)

// givenColumnHint returns, for a column that the given rows of unit test
// u do not have, the nearest of the columns of its inputs (the given
// rows' and those the inputs declare in YAML) as "did you mean ...?", the
// hint the model's own build gives from DuckDB's candidate bindings; ""
// for another error or when none is near.
func (e *Executor) givenColumnHint(u *graph.UnitTestInfo, de *adapter.Error) string {
	m := valuesColumn.FindStringSubmatch(de.Msg)
	if m == nil {
		return ""
	}
	var cols []string
	for _, g := range u.Given {
		cols = append(cols, g.Rows.Columns...)
		if in := e.g.Node(g.Node); in != nil {
			for _, c := range in.Columns {
				cols = append(cols, c.Name)
			}
		}
	}
	return diag.DidYouMean(m[1], unique(cols))
}

// modelNamed returns the model called name, or nil.
func (e *Executor) modelNamed(name string) *graph.Node {
	for _, n := range e.g.Nodes() {
		if n.Kind == graph.Model && n.Name == name {
			return n
		}
	}
	return nil
}

func formatRow(cols, types []string, vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		typ := ""
		if i < len(types) {
			typ = types[i]
		}
		parts[i] = cols[i] + "=" + adapter.ValueText(v, typ)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// typedRows runs query and returns its column names, their database types
// and all its rows (plain values).
func typedRows(ctx context.Context, conn adapter.Conn, query string) (cols, types []string, out [][]any, err error) {
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return nil, nil, nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, err
	}
	cols, types = rows.Columns(), rows.ColumnTypes()
	for len(types) < len(cols) {
		types = append(types, "")
	}
	return cols, types, out, nil
}
