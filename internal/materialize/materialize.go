// Package materialize builds the SQL statements that materialize a node in
// DuckDB. It is pure: it returns statements and runs nothing.
//
// Every materialization is meant to run inside one transaction: DuckDB's DDL
// is transactional, so when a statement fails the rollback leaves the
// previous relation, and its rows, exactly as they were.
package materialize

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Body returns a model's compiled SQL ready to nest in a statement: trailing
// whitespace and semicolons removed.
func Body(sql string) string {
	s := strings.TrimSpace(sql)
	for strings.HasSuffix(s, ";") {
		s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
	}
	return s
}

// Model returns the statements that build model n, given the kind of
// relation already at its name ("table", "view" or "" when absent). It
// returns an error for a materialization it does not know.
func Model(n *graph.Node, existing string) ([]string, error) {
	rel := n.Relation
	stmts := []string{"create schema if not exists " + sqlq.Ident(rel.Schema)}
	body := Body(n.CompiledCode)
	switch n.Config.Materialized {
	case graph.Table:
		if existing == "view" {
			stmts = append(stmts, "drop view "+rel.String())
		}
		stmts = append(stmts, "create or replace table "+rel.String()+" as (\n"+body+"\n)")
	case graph.View:
		if existing == "table" {
			stmts = append(stmts, "drop table "+rel.String())
		}
		stmts = append(stmts, "create or replace view "+rel.String()+" as (\n"+body+"\n)")
	default:
		return nil, fmt.Errorf("materialization %q cannot be built", n.Config.Materialized)
	}
	return stmts, nil
}

// BodyOffset is the number of lines that Model puts before the model's SQL
// in its last statement, to map DuckDB's error lines back to the compiled
// file.
const BodyOffset = 1

// TestQuery returns the query that evaluates test n: one row with the
// number of failures (fail_calc, count(*) by default) over the test's
// failing rows, at most `limit` of them when configured, as dbt's
// get_test_sql does.
func TestQuery(n *graph.Node) string {
	inner := Body(n.CompiledCode)
	if lim, ok := intConfig(n.Config.Extra["limit"]); ok {
		inner = "select * from (\n" + inner + "\n) limit " + strconv.FormatInt(lim, 10)
	}
	calc := "count(*)"
	if fc, ok := n.Config.Extra["fail_calc"].(string); ok && strings.TrimSpace(fc) != "" {
		calc = fc
	}
	return "select " + calc + " as failures from (\n" + inner + "\n) dbt_internal_test"
}

func intConfig(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		return int64(x), true
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// Condition is a test threshold such as ">10" or "!=0" (dbt's warn_if and
// error_if).
type Condition struct {
	Op string // one of = == != <> > >= < <=
	N  float64
}

// ParseCondition parses a threshold; it returns an error naming the
// accepted forms.
func ParseCondition(s string) (Condition, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	for _, op := range []string{">=", "<=", "!=", "<>", "==", ">", "<", "="} {
		if strings.HasPrefix(t, op) {
			n, err := strconv.ParseFloat(t[len(op):], 64)
			if err != nil {
				break
			}
			return Condition{Op: op, N: n}, nil
		}
	}
	return Condition{}, fmt.Errorf("invalid threshold %q; write an operator and a number, such as \">10\" or \"!=0\"", s)
}

// Holds reports whether failures meets the condition.
func (c Condition) Holds(failures float64) bool {
	switch c.Op {
	case "=", "==":
		return failures == c.N
	case "!=", "<>":
		return failures != c.N
	case ">":
		return failures > c.N
	case ">=":
		return failures >= c.N
	case "<":
		return failures < c.N
	case "<=":
		return failures <= c.N
	}
	return false
}

// Outcome returns a test's status ("pass", "warn" or "fail") from its
// failures, as dbt decides it: with severity error, error_if (default
// "!=0") makes it fail; otherwise warn_if (default "!=0") makes it warn.
func Outcome(failures float64, severity, warnIf, errorIf string) (string, error) {
	if warnIf == "" {
		warnIf = "!=0"
	}
	if errorIf == "" {
		errorIf = "!=0"
	}
	w, err := ParseCondition(warnIf)
	if err != nil {
		return "", fmt.Errorf("warn_if: %w", err)
	}
	e, err := ParseCondition(errorIf)
	if err != nil {
		return "", fmt.Errorf("error_if: %w", err)
	}
	if severity != "warn" && e.Holds(failures) {
		return "fail", nil
	}
	if w.Holds(failures) {
		return "warn", nil
	}
	return "pass", nil
}
