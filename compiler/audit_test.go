package compiler

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/project"
)

// A test's alias names the table of its failing rows (dbt); one that
// would be a model's relation, or another test's table, is an error at
// the test, since storing the rows drops that relation.
func TestAuditRelations(t *testing.T) {
	files := func(tests string) map[string]string {
		return map[string]string{
			"project.yml":    "name: p\nmodel-paths: [models]\n",
			"models/m.sql":   "select 1 as id",
			"models/raw.sql": "{{ config(schema='audit') }} select 1 as id",
			"models/m.yml":   "models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n" + tests,
		}
	}
	m, diags := compileFiles(t, files("          - unique: {config: {store_failures: true, alias: short_unique}}\n          - not_null: {config: {store_failures: true, alias: short_nn}}\n"))
	if m == nil {
		t.Fatalf("two aliased tests: %s", diags)
	}
	var rels []string
	for _, n := range m.Graph.Nodes() {
		if n.Kind == "test" {
			rels = append(rels, n.AuditRelation().Display())
		}
	}
	if got := strings.Join(rels, " "); !strings.Contains(got, "audit.short_unique") || !strings.Contains(got, "audit.short_nn") {
		t.Errorf("audit relations %q, want audit.short_unique and audit.short_nn", got)
	}
	_, diags = compileFiles(t, files("          - unique: {config: {store_failures: true, alias: same}}\n          - not_null: {config: {store_failures: true, alias: Same}}\n"))
	if !strings.Contains(diags, `models/m.yml:6:13: test "unique_m_id" keeps its failing rows in audit.same, which test "not_null_m_id" (models/m.yml) keeps its failing rows in`) {
		t.Errorf("two tests with one table: %s", diags)
	}
	_, diags = compileFiles(t, files("          - unique: {config: {store_failures: true, alias: raw}}\n"))
	if !strings.Contains(diags, `models/m.yml:6:13: test "unique_m_id" keeps its failing rows in audit.raw, which model "raw" (models/raw.sql) writes: storing them would replace it`) {
		t.Errorf("a test over a model: %s", diags)
	}
	// Without store_failures the alias names no table: no error.
	if m, diags := compileFiles(t, files("          - unique: {config: {alias: raw}}\n")); m == nil {
		t.Errorf("an alias without store_failures: %s", diags)
	}
}

// store_failures_as: view is a view of the test's query on DuckDB; on
// PostgreSQL it is refused at its position (the view would hold on to
// the model's previous table when the model is rebuilt alone).
func TestFailuresAsView(t *testing.T) {
	files := map[string]string{
		"dbt_project.yml": "name: p\nprofile: p\n",
		"models/m.sql":    "select 1 as id",
		"models/m.yml":    "models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - unique: {config: {store_failures_as: view}}\n",
	}
	m := compileDBT(t, files)
	for _, n := range m.Graph.Nodes() {
		if n.Kind == "test" && (!n.StoresFailures() || !n.FailuresAsView()) {
			t.Errorf("test %s: stores failures %v, as a view %v; want both", n.Name, n.StoresFailures(), n.FailuresAsView())
		}
	}
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	target := func(project.TargetRequest) (*project.Target, diag.List) {
		tg := project.DefaultTarget("p.duckdb")
		tg.Type = "postgres"
		return tg, nil
	}
	p, l := project.LoadWith(fsys, project.Options{Target: target})
	if l.HasErrors() {
		t.Fatal(l)
	}
	_, l = Compile(p, Options{ProjectDir: "/proj"})
	if want := "models/m.yml:6:50: store_failures_as: view is not supported yet on PostgreSQL"; !strings.Contains(l.Error(), want) {
		t.Errorf("on PostgreSQL:\n%v\nwant %s", l, want)
	}
}
