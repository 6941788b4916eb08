// Package baseline turns a kiln project into the plan of the benchmark's
// baseline: the statements kiln would run for a selection, as plain SQL, in
// the order kiln runs them with --threads 1. The baseline program
// (bench/cmd/kiln-baseline) executes such a plan on one DuckDB connection
// with database/sql and duckdb-go, and nothing else: it is the physical
// limit that kiln's builds are compared with.
package baseline

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/materialize"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Stmt is one statement of a plan.
type Stmt struct {
	Node string `json:"node,omitempty"` // unique_id of the node, "" for set-up statements
	// Query is true for a data test: the statement returns one row, the
	// number of failures. Otherwise it is executed.
	Query bool   `json:"query,omitempty"`
	SQL   string `json:"sql"`
}

// Plan is what the baseline program runs.
type Plan struct {
	Stmts  []Stmt `json:"stmts"`
	Models int    `json:"models"` // model statements
	Tests  int    `json:"tests"`  // test queries
}

// Compile loads the project in dir with vars through kiln's engine,
// selects nodes as kiln's --select and --exclude flags do (nil selects
// all), and returns the plan of the selected models and data tests: first
// one "create schema if not exists" per schema, then for each model in
// kiln's --threads 1 order (engine.Plan.Serial) the statement that builds
// it, from DuckDB's dialect as kiln runs it, and right after it its tests'
// queries as kiln evaluates them (materialize.TestQuery; with
// store_failures, the failing rows are first kept in a table, as kiln
// keeps them). Sources, seeds and exports are left out: the baseline
// starts from a database that already holds the sources (and no model: an
// incremental model is built whole, as a table, as kiln's first build
// does). It fails on diagnostics, on an unknown materialization, and on
// unit tests.
func Compile(dir string, vars map[string]any, selects, excludes []string) (*Plan, error) {
	return CompileWith(duckdb.Dialect{}, dir, vars, selects, excludes)
}

// CompileWith is Compile with the statements of dialect d (PostgreSQL's,
// for the baseline of a PostgreSQL target: create table as, the database
// starting without the models' tables).
func CompileWith(d adapter.Dialect, dir string, vars map[string]any, selects, excludes []string) (*Plan, error) {
	p, err := engine.Load(engine.Config{Dir: dir, Vars: vars})
	if err != nil {
		return nil, fmt.Errorf("baseline: %s: %v", dir, err)
	}
	ids, err := p.Select(engine.Selection{Select: selects, Exclude: excludes})
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	g := p.Graph()
	plan := &Plan{}
	schemas := map[string]bool{}
	var body []Stmt
	for _, id := range p.Plan(ids).Serial() {
		n := g.Node(id)
		switch n.Kind {
		case graph.Model:
			if n.Config.Materialized == graph.Incremental {
				// The baseline starts without the model's table: kiln's
				// first build of an incremental model creates it whole
				// from the model's SQL, as a table.
				first := *n
				first.Config.Materialized = graph.Table
				n = &first
			}
			stmts, err := materialize.Model(d, n, "")
			if err != nil {
				return nil, fmt.Errorf("baseline: model %s: %w", n.Name, err)
			}
			schemas[n.Relation.Schema] = true
			// The statements after the schema's (made once above): one
			// create, or a contract's create table and insert
			// (materialize.Model, for an enforced contract), after any sql_header.
			for _, st := range stmts[1:] {
				body = append(body, Stmt{Node: string(id), SQL: st.SQL})
			}
			plan.Models++
		case graph.Test:
			q := materialize.TestQuery(d, n).SQL
			if store, _ := n.Config.Extra["store_failures"].(bool); store {
				// As kiln does: keep the failing rows, then count them.
				rel := sqlq.Relation{Schema: execute.AuditSchema, Name: n.Name}
				if n.Config.Schema != "" {
					rel.Schema = n.Config.Schema
				}
				schemas[rel.Schema] = true
				body = append(body, Stmt{Node: string(id), SQL: d.CreateTableAs(rel, n.CompiledCode).SQL})
				stored := *n
				stored.CompiledCode = d.SelectAll(rel, "")
				q = materialize.TestQuery(d, &stored).SQL
			}
			body = append(body, Stmt{Node: string(id), Query: true, SQL: q})
			plan.Tests++
		case graph.UnitTest:
			return nil, fmt.Errorf("baseline: unit test %s is not supported", n.Name)
		}
	}
	names := make([]string, 0, len(schemas))
	for s := range schemas {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		plan.Stmts = append(plan.Stmts, Stmt{SQL: d.CreateSchema(s).SQL})
	}
	plan.Stmts = append(plan.Stmts, body...)
	return plan, nil
}

// Write writes the plan as JSON to path.
func (p *Plan) Write(path string) error {
	b, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
