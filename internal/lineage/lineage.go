// Package lineage derives column-level lineage from DuckDB's own parse tree
// of a query: for each output column of a model, the upstream columns its
// value is computed from.
//
// The parse tree is the output of DuckDB's json_serialize_sql(sql)
// (https://duckdb.org/docs/stable/data/json/sql_to_and_from_json), or
// PostgreSQL's parse tree (pg_query_go) put in that shape by
// adapter/postgres.ParseSQL for a PostgreSQL target; never a regular
// expression over the SQL text. The analysis follows the query's
// scopes as DuckDB binds them: CTEs (recursive ones too), subqueries in FROM
// and in expressions (correlated or not), joins (ON, USING, NATURAL,
// SEMI/ANTI, ASOF, POSITIONAL, LATERAL), aliases, `*` with EXCLUDE, REPLACE
// and RENAME, COLUMNS(...), expressions, aggregates with FILTER, window
// functions, CASE, lambdas, set operations (UNION [ALL] [BY NAME],
// INTERSECT, EXCEPT), VALUES, table functions, PIVOT and UNPIVOT.
//
// Lineage follows values, not filters: the columns of a WHERE, QUALIFY,
// HAVING, GROUP BY or join condition do not count, those of a window's
// PARTITION BY and ORDER BY and of an aggregate's FILTER do (they change the
// value). A column computed from nothing (a constant, count(*)) has no
// upstream.
//
// The package is pure apart from parse.go, which asks DuckDB for the trees.
package lineage

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// ColumnRef names a column of a relation. Node is the unique_id of the
// node the relation belongs to ("model.shop.stg_orders"), or, for a
// relation no node stands for, its name as written in the SQL
// ("main.some_table"); Column is the column's name.
type ColumnRef struct {
	Node   string `json:"node"`
	Column string `json:"column"`
}

func (r ColumnRef) String() string { return r.Node + "." + r.Column }

// Table is what the analysis knows of a relation a query reads.
type Table struct {
	// Node is the unique_id of the node the relation belongs to.
	Node string
	// Columns are the relation's columns, in order.
	Columns []string
	// Complete reports that Columns are all of them (from the database's
	// catalog, or from the analysis of the model that builds it); otherwise
	// a column the query names is taken to exist, and a `*` over the table
	// stays partly unknown.
	Complete bool
}

// Env tells the analysis what a query's names stand for.
type Env struct {
	// Table resolves a table name as written in FROM (catalog and schema
	// may be empty) to the relation it reads, or returns nil for a relation
	// the caller does not know; its columns are then those the query names.
	Table func(catalog, schema, name string) *Table
	// CTETables maps CTE names, in lower case, that stand for another node
	// to that node's Table: kiln inlines ephemeral models as CTEs, and a
	// read of such a CTE is a read of the ephemeral model, not analysed
	// through.
	CTETables map[string]*Table
}

// Column is one output column of a query with the columns it is computed
// from.
type Column struct {
	Name string `json:"name"`
	// Upstream are the columns of the relations the query reads that the
	// value is computed from, sorted by node then column, without
	// duplicates; empty for a constant.
	Upstream []ColumnRef `json:"upstream"`
	// Direct reports that the value is one upstream column as it is
	// (renamed or cast at most).
	Direct bool `json:"direct"`
}

// Result is the lineage of one query.
type Result struct {
	// Columns are the query's output columns, in order.
	Columns []Column `json:"columns"`
	// Complete is false when some output columns are unknown: a `*` over a
	// relation whose columns are not all known. Columns then holds a
	// column named "*" standing for them.
	Complete bool `json:"complete"`
	// Notes explain what was approximated or not understood (an unknown
	// relation or column, a construct the analysis does not follow), sorted.
	Notes []string `json:"notes,omitempty"`
}

// ParseError is DuckDB's refusal to parse (or to serialize) a query.
type ParseError struct {
	Type     string // DuckDB's error_type: "parser", "not implemented", ...
	Message  string
	Position int // byte offset in the SQL, -1 when unknown
}

func (e *ParseError) Error() string {
	if e.Position >= 0 {
		return fmt.Sprintf("%s error at offset %d: %s", e.Type, e.Position, e.Message)
	}
	return fmt.Sprintf("%s error: %s", e.Type, e.Message)
}

// Analyze returns the lineage of the first statement of tree, the JSON
// that DuckDB's json_serialize_sql returns for a SELECT statement. It
// returns *ParseError when tree reports DuckDB's error, and an error when
// tree is not such JSON.
func Analyze(tree []byte, env Env) (*Result, error) {
	var doc obj
	if err := json.Unmarshal(tree, &doc); err != nil {
		return nil, fmt.Errorf("lineage: not a json_serialize_sql tree: %w", err)
	}
	return analyzeDoc(doc, env)
}

func analyzeDoc(doc obj, env Env) (*Result, error) {
	if getBool(doc, "error") {
		pos := -1
		if p := getStr(doc, "position"); p != "" {
			fmt.Sscan(p, &pos)
		}
		return nil, &ParseError{Type: getStr(doc, "error_type"), Message: getStr(doc, "error_message"), Position: pos}
	}
	stmts := getArr(doc, "statements")
	if len(stmts) == 0 {
		return nil, fmt.Errorf("lineage: the tree holds no statement")
	}
	st, _ := stmts[0].(obj)
	a := &analyzer{env: env, notes: map[string]bool{}}
	if len(stmts) > 1 {
		a.note("only the first of %d statements is analysed", len(stmts))
	}
	cols := a.query(getObj(st, "node"), nil)
	res := &Result{Complete: true, Columns: make([]Column, 0, len(cols))}
	for _, c := range cols {
		if c.wild != nil {
			res.Complete = false
		}
		res.Columns = append(res.Columns, c.export())
	}
	for n := range a.notes {
		res.Notes = append(res.Notes, n)
	}
	sort.Strings(res.Notes)
	return res, nil
}

// Lookup returns the output column named name (case-insensitively), or
// nil.
func (r *Result) Lookup(name string) *Column {
	for i := range r.Columns {
		if strings.EqualFold(r.Columns[i].Name, name) {
			return &r.Columns[i]
		}
	}
	return nil
}

type analyzer struct {
	env   Env
	notes map[string]bool
}

func (a *analyzer) note(format string, args ...any) {
	a.notes[fmt.Sprintf(format, args...)] = true
}
