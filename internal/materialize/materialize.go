// Package materialize says how a node is built, in the statements of the
// database's dialect (adapter.Dialect): the materializations of models
// (table, view), the query of a data test (dbt's get_test_sql), the query
// of a unit test. It is pure: it returns statements and runs nothing.
//
// Every materialization is meant to run inside one transaction: DuckDB's
// and PostgreSQL's DDL is transactional, so when a statement fails the
// rollback leaves the previous relation, and its rows, exactly as they
// were.
//
// A new materialization (incremental, snapshot) adds a case to Model that
// returns its statements from the dialect (Insert, Merge, DeleteMatching,
// AddColumns) and says, through Keeps, that the journal must copy the
// previous table rather than move it aside, since the new version builds
// on it.
package materialize

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/ansi"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Body returns a model's compiled SQL ready to nest in a statement: trailing
// whitespace and semicolons removed.
func Body(sql string) string { return ansi.Body(sql) }

// Keep is how the journal keeps the previous version of a relation that a
// node rebuilds.
type Keep int

const (
	// Move renames the previous relation aside: the node builds anew.
	Move Keep = iota
	// Copy copies the previous table aside and leaves it in place: the
	// node changes it (incremental models, snapshots).
	Copy
)

// Keeps returns how the journal keeps the previous version of model n's
// relation.
func Keeps(n *graph.Node) Keep { return Move }

// Model returns the statements that build model n with dialect d, given
// the kind of relation already at its name ("table", "view" or "" when
// absent): first the creation of its schema, then the statements that
// replace the relation; the last one holds the model's SQL. It returns an
// error for a materialization it does not know.
func Model(d adapter.Dialect, n *graph.Node, existing string) ([]adapter.Stmt, error) {
	rel := n.Relation
	stmts := []adapter.Stmt{d.CreateSchema(rel.Schema)}
	// dbt's sql_header: statements run before the model's, in its session
	// (https://docs.getdbt.com/reference/resource-configs/sql_header).
	if h, _ := n.Config.Extra["sql_header"].(string); strings.TrimSpace(h) != "" {
		for _, sp := range sqlq.StatementSpans(h) {
			if stmt := strings.TrimSpace(h[sp[0]:sp[1]]); stmt != "" && stmt != ";" {
				stmts = append(stmts, adapter.Plain(strings.TrimSuffix(stmt, ";")))
			}
		}
	}
	switch n.Config.Materialized {
	case graph.Table:
		if existing == string(adapter.View) {
			stmts = append(stmts, d.DropRelation(rel, adapter.View, false))
		}
		if n.ContractEnforced() {
			// Created from its contract, as dbt creates it: the declared
			// columns, types and constraints
			// (https://docs.getdbt.com/reference/resource-configs/contract).
			stmts = append(stmts, ConstrainedTable(d, n, n.CompiledCode)...)
			break
		}
		stmts = append(stmts, Unlogged(d, n, d.CreateTableAs(rel, n.CompiledCode)))
	case graph.View:
		if existing == string(adapter.Table) {
			stmts = append(stmts, d.DropRelation(rel, adapter.Table, false))
		}
		stmts = append(stmts, d.CreateViewAs(rel, n.CompiledCode))
	default:
		return nil, fmt.Errorf("materialization %q cannot be built", n.Config.Materialized)
	}
	return stmts, nil
}

// ConstrainedTable is dbt's table with an enforced contract: create
// table with the declared columns, their types and constraints (but
// foreign keys: see ForeignKeys), and the model-level constraints, then
// insert the rows of query by column name (dbt's get_select_subquery), so
// that a row breaking a constraint fails the statement.
func ConstrainedTable(d adapter.Dialect, n *graph.Node, query string) []adapter.Stmt {
	defs := make([]string, 0, len(n.Columns)+len(n.Constraints))
	names := make([]string, 0, len(n.Columns))
	for _, col := range n.Columns {
		typ := col.DataType
		if typ == "" {
			typ = "varchar"
		}
		def := columnName(d, col.Name) + " " + typ
		for _, k := range col.Constraints {
			if k.Type != "foreign_key" { // checked, not declared (ForeignKeys)
				def += " " + constraintClause(d, k)
			}
		}
		defs = append(defs, def)
		names = append(names, columnName(d, col.Name))
	}
	for _, k := range n.Constraints {
		if k.Type != "foreign_key" {
			defs = append(defs, constraintClause(d, k))
		}
	}
	return []adapter.Stmt{Unlogged(d, n, d.CreateTableWith(n.Relation, defs)), d.InsertSelect(n.Relation, names, query)}
}

// ForeignKey is a foreign_key constraint of a model, checked once its
// rows are written (kiln declares none: see graph.Constraint.To).
type ForeignKey struct {
	Constraint graph.Constraint
	// Columns are the model's columns of the key, as declared: the
	// constraint's column, or a model-level constraint's columns.
	Columns []string
	// Check is the dialect's ForeignKeyOrphans query on the model's table.
	Check adapter.Stmt
}

// Constrained reports whether model n holds its constraints: a table or
// incremental model with an enforced contract and constraints (dbt
// applies them only then).
func Constrained(n *graph.Node) bool {
	return n.ContractEnforced() && n.HasConstraints() &&
		(n.Config.Materialized == graph.Table || n.Config.Materialized == graph.Incremental)
}

// ForeignKeys returns the foreign keys to check after model n is built
// (Constrained), the model-level ones first, then the columns' in order.
func ForeignKeys(d adapter.Dialect, n *graph.Node) []ForeignKey {
	if !Constrained(n) {
		return nil
	}
	var out []ForeignKey
	add := func(k graph.Constraint, cols []string) {
		if k.Type != "foreign_key" || k.To == "" || len(cols) != len(k.ToColumns) {
			return
		}
		sqlCols := make([]string, len(cols))
		toCols := make([]string, len(cols))
		for i := range cols {
			sqlCols[i], toCols[i] = columnName(d, cols[i]), columnName(d, k.ToColumns[i])
		}
		out = append(out, ForeignKey{Constraint: k, Columns: cols, Check: d.ForeignKeyOrphans(n.Relation, sqlCols, k.To, toCols)})
	}
	for _, k := range n.Constraints {
		add(k, k.Columns)
	}
	for _, col := range n.Columns {
		for _, k := range col.Constraints {
			add(k, []string{col.Name})
		}
	}
	return out
}

// HasForeignKeys reports whether table model n has foreign keys to check
// (ForeignKeys).
func HasForeignKeys(n *graph.Node) bool {
	if !Constrained(n) {
		return false
	}
	for _, k := range n.Constraints {
		if k.Type == "foreign_key" {
			return true
		}
	}
	for _, col := range n.Columns {
		for _, k := range col.Constraints {
			if k.Type == "foreign_key" {
				return true
			}
		}
	}
	return false
}

// columnName is a declared column as SQL: as written, quoted when it
// cannot stand bare.
func columnName(d adapter.Dialect, name string) string {
	if sqlq.IsQuoted(name) || !sqlq.NeedsQuotes(name) {
		return name
	}
	return d.Quote(name)
}

// constraintClause is constraint k in a create table: a column's clause,
// or with columns a table's.
func constraintClause(d adapter.Dialect, k graph.Constraint) string {
	out := ""
	if k.Name != "" {
		out = "constraint " + d.Quote(k.Name) + " "
	}
	cols := make([]string, len(k.Columns))
	for i, c := range k.Columns {
		cols[i] = columnName(d, c)
	}
	list := ""
	if len(cols) > 0 {
		list = " (" + strings.Join(cols, ", ") + ")"
	}
	switch k.Type {
	case "not_null":
		if len(cols) > 0 {
			// A model-level not_null: a check on each column.
			checks := make([]string, len(cols))
			for i, c := range cols {
				checks[i] = c + " is not null"
			}
			return out + "check (" + strings.Join(checks, " and ") + ")"
		}
		return out + "not null"
	case "unique":
		return out + "unique" + list
	case "primary_key":
		return out + "primary key" + list
	case "check":
		return out + "check (" + k.Expression + ")"
	}
	return out + k.Expression // custom
}

// TestQuery returns the query that evaluates test n with dialect d: one
// row with the number of failures (fail_calc, count(*) by default) over
// the test's failing rows, at most `limit` of them when configured, as
// dbt's get_test_sql does.
func TestQuery(d adapter.Dialect, n *graph.Node) adapter.Stmt {
	calc, _ := n.Config.Extra["fail_calc"].(string)
	return d.TestQuery(n.CompiledCode, calc, TestLimit(n))
}

// TestLimit is test n's limit config, -1 when it has none.
func TestLimit(n *graph.Node) int64 {
	if lim, ok := intConfig(n.Config.Extra["limit"]); ok {
		return lim
	}
	return -1
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

// DefaultCondition reports whether threshold s is dbt's default for
// warn_if and error_if, "!=0", or one that decides every count alike
// (">0", ">=1", "<>0"); an empty s is the default.
func DefaultCondition(s string) bool {
	if strings.TrimSpace(s) == "" {
		return true
	}
	c, err := ParseCondition(s)
	if err != nil {
		return false
	}
	// A count is a whole number: two counts on each side of 0 and 1
	// tell the conditions apart.
	for _, n := range []float64{0, 1, 2} {
		if c.Holds(n) != (n != 0) {
			return false
		}
	}
	return true
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

// UnloggedOf reports whether model or snapshot n sets dbt-postgres's
// unlogged config to true.
func UnloggedOf(n *graph.Node) bool {
	v, _ := n.Config.Extra["unlogged"].(bool)
	return v && (n.Kind == graph.Model || n.Kind == graph.Snapshot)
}

// Unlogged returns s, a statement that creates n's table, creating it
// unlogged when n sets unlogged: true and dialect d can
// (adapter.Unlogger: PostgreSQL), as dbt-postgres's create_table_as; else
// s as it is (the engine refuses unlogged before the run on a dialect
// that cannot: execute.CheckUnlogged).
func Unlogged(d adapter.Dialect, n *graph.Node, s adapter.Stmt) adapter.Stmt {
	if u, ok := d.(adapter.Unlogger); ok && UnloggedOf(n) {
		return u.Unlogged(s)
	}
	return s
}
