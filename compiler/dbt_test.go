package compiler

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// compileDBT compiles files as a project built into target dev of a DuckDB
// file jaffle_shop.duckdb (database jaffle_shop, schema main).
func compileDBT(t *testing.T, files map[string]string) *Manifest {
	t.Helper()
	return compileDBTVars(t, files, nil)
}

// compileDBTVars is compileDBT with --vars.
func compileDBTVars(t *testing.T, files map[string]string, vars map[string]any) *Manifest {
	t.Helper()
	var m *Manifest
	compileDBTWith(t, files, func(p *project.Project) {
		var l diag.List
		if m, l = Compile(p, Options{ProjectDir: "/proj", Vars: vars}); l.HasErrors() {
			t.Fatal(l)
		}
	})
	return m
}

// compileDBTWith loads the dbt project of files (its profile's target a
// DuckDB file) and hands it to compile.
func compileDBTWith(t *testing.T, files map[string]string, compile func(*project.Project)) {
	t.Helper()
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	target := func(project.TargetRequest) (*project.Target, diag.List) {
		return project.DefaultTarget("jaffle_shop.duckdb"), nil
	}
	p, l := project.LoadWith(fsys, project.Options{Target: target})
	if l.HasErrors() {
		t.Fatal(l)
	}
	compile(p)
}

// compileDBTDiags compiles a dbt project of files and returns its
// manifest (nil on errors) and every diagnostic, warnings included.
func compileDBTDiags(t *testing.T, files map[string]string) (*Manifest, diag.List) {
	t.Helper()
	var m *Manifest
	var l diag.List
	compileDBTWith(t, files, func(p *project.Project) {
		m, l = Compile(p, Options{ProjectDir: "/proj"})
	})
	if m != nil {
		l = append(l, m.Warnings...)
	}
	return m, l
}

const jaffleSchema = `version: 2
models:
  - name: orders
    description: '{{ doc("orders_intro") }} More.'
    columns:
      - name: order_id
        tests: [unique, not_null]
      - name: customer_id
        tests:
          - relationships: {to: ref('customers'), field: customer_id}
      - name: status
        description: '{{ doc("orders_status") }}'
        tests:
          - accepted_values:
              values: ['placed', 'shipped', 'completed', 'return_pending', 'returned']
  - name: customers
    columns:
      - name: customer_id
        tests: [unique, not_null]
`

// The unique ids of jaffle_shop's tests are dbt's, as dbt's own jaffle_shop
// manifest has them; a long name gets dbt's short alias.
func TestDBTTestIDs(t *testing.T) {
	m := compileDBT(t, map[string]string{
		"dbt_project.yml":      "name: jaffle_shop\nprofile: jaffle_shop\n",
		"models/orders.sql":    "select 1 as order_id, 1 as customer_id, 'placed' as status",
		"models/customers.sql": "select 1 as customer_id",
		"models/schema.yml":    jaffleSchema,
		"models/docs.md":       "{% docs orders_status %}\nOrders can be **placed**.\n{% enddocs %}\n{% docs orders_intro -%}  One row per order. {%- enddocs %}",
	})
	for id, alias := range map[graph.ID]string{
		"test.jaffle_shop.unique_customers_customer_id.c5af1ff4b1":                                                        "",
		"test.jaffle_shop.not_null_customers_customer_id.5c9bf9911d":                                                      "",
		"test.jaffle_shop.unique_orders_order_id.fed79b3a6e":                                                              "",
		"test.jaffle_shop.relationships_orders_customer_id__customer_id__ref_customers_.c6ec7f58f2":                       "",
		"test.jaffle_shop.accepted_values_orders_status__placed__shipped__completed__return_pending__returned.be6b5b5ec3": "accepted_values_orders_1ce6ab157c285f7cd2ac656013faf758",
	} {
		n := m.Graph.Node(id)
		if n == nil {
			t.Errorf("no test %s", id)
			continue
		}
		if n.Config.Alias != alias {
			t.Errorf("%s: alias %q, want %q", id, n.Config.Alias, alias)
		}
	}
	o := m.Graph.Node("model.jaffle_shop.orders")
	if got := o.Relation.String(); got != `"jaffle_shop"."main"."orders"` {
		t.Errorf("relation %s", got)
	}
	if o.Description != "One row per order. More." {
		t.Errorf("description %q", o.Description)
	}
	if o.Columns[2].Description != "Orders can be **placed**." {
		t.Errorf("column description %q", o.Columns[2].Description)
	}
	if d := m.Docs["jaffle_shop.orders_status"]; d == nil || d.Path != "models/docs.md" {
		t.Errorf("docs %v", m.Docs)
	}
}

// A doc() of a block that does not exist is an error with the nearest name.
func TestDocUnknown(t *testing.T) {
	fsys := fstest.MapFS{
		"dbt_project.yml":   {Data: []byte("name: a\n")},
		"models/m.sql":      {Data: []byte("select 1")},
		"models/schema.yml": {Data: []byte("version: 2\nmodels:\n  - name: m\n    description: '{{ doc(\"orders_stat\") }}'\n")},
		"models/docs.md":    {Data: []byte("{% docs orders_status %}x{% enddocs %}")},
	}
	p, _ := project.Load(fsys)
	_, l := Compile(p, Options{})
	if got := l.Error(); got != `models/schema.yml:3:5: in a description: no docs block is named "orders_stat"; did you mean "orders_status"?` {
		t.Errorf("got %q", got)
	}
}

// +schema: x builds <target schema>_x in a dbt project, as dbt's default
// generate_schema_name does, and x in a kiln project.
func TestCustomSchemaNaming(t *testing.T) {
	files := map[string]string{
		"models/staging/s.sql": "select 1",
		"models/m.sql":         "{{ config(schema='marts', alias='mart') }} select 1",
	}
	tree := "models:\n  p:\n    staging:\n      +schema: stg\n"
	files["dbt_project.yml"] = "name: p\n" + tree
	m := compileDBT(t, files)
	if got := m.Graph.Node("model.p.s").Relation.String(); got != `"jaffle_shop"."main_stg"."s"` {
		t.Errorf("dbt staging: %s", got)
	}
	if got := m.Graph.Node("model.p.m").Relation.String(); got != `"jaffle_shop"."main_marts"."mart"` {
		t.Errorf("dbt config(): %s", got)
	}
	delete(files, "dbt_project.yml")
	files["project.yml"] = "name: p\n" + tree
	m = compileDBT(t, files)
	if got := m.Graph.Node("model.p.s").Relation.String(); got != `"stg"."s"` {
		t.Errorf("kiln staging: %s", got)
	}
}

// Seeds of a dbt project are typed as dbt types them: agate's inference,
// integers INTEGER; column_types win.
func TestDBTSeedTypes(t *testing.T) {
	m := compileDBT(t, map[string]string{
		"dbt_project.yml":  "name: p\nseeds:\n  p:\n    s:\n      +column_types: {Code: varchar}\n",
		"seeds/s.csv":      "id,price,day,at,flag,code,name,big,empty\n1,1.5,2020-01-02,2020-01-02 10:00:00,true,007,a,3000000000,\n2,2,2020-1-3,2020-01-02T10:00:00,False,008,b,1,\nnull,,,,,,,,\n",
		"seeds/other.csv":  "x\n1\n",
		"models/model.sql": "select 1",
	})
	got := m.Graph.Node("seed.p.s").Seed.ColumnTypes
	want := map[string]string{"id": "INTEGER", "price": "DOUBLE", "day": "DATE", "at": "TIMESTAMP", "flag": "BOOLEAN",
		"Code": "varchar", "name": "VARCHAR", "big": "BIGINT", "empty": "INTEGER"}
	if len(got) != len(want) {
		t.Errorf("types %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

// Tests on a snapshot are named as dbt names them (its
// generic_test_builders: a snapshot is an UnparsedNodeUpdate, so the test
// has the type's name and ref('snapshot') as its model, as a model's):
// a snapshot named customers with the tests of jaffle_shop's customers
// model gets the ids dbt gives that model's tests, depends on the
// snapshot and reads its relation; a property file under models/ (or
// snapshots/) and a block snapshot's columns: tests alike.
func TestDBTSnapshotTestIDs(t *testing.T) {
	m := compileDBT(t, map[string]string{
		"dbt_project.yml":   "name: jaffle_shop\nprofile: jaffle_shop\n",
		"models/orders.sql": "select 1 as order_id, 1 as customer_id",
		"snapshots/customers.yml": `snapshots:
  - name: customers
    relation: ref('orders')
    config: {unique_key: customer_id, strategy: check, check_cols: all, target_schema: snap}
    columns:
      - name: customer_id
        data_tests: [unique, not_null]
`,
		"snapshots/block.sql": "{% snapshot block_snap %}\n{{ config(unique_key='order_id', strategy='check', check_cols='all') }}\nselect * from {{ ref('orders') }}\n{% endsnapshot %}\n",
		"models/props.yml": `snapshots:
  - name: block_snap
    data_tests:
      - dbt_utils.expression_is_true: {expression: "order_id > 0"}
`,
	})
	for id, model := range map[graph.ID]string{
		"test.jaffle_shop.unique_customers_customer_id.c5af1ff4b1":   `"jaffle_shop"."snap"."customers"`,
		"test.jaffle_shop.not_null_customers_customer_id.5c9bf9911d": `"jaffle_shop"."snap"."customers"`,
	} {
		n := m.Graph.Node(id)
		if n == nil {
			t.Errorf("no test %s", id)
			continue
		}
		if n.Test.Attached != "snapshot.jaffle_shop.customers" || len(n.DependsOn) != 1 || n.DependsOn[0] != "snapshot.jaffle_shop.customers" {
			t.Errorf("%s: attached to %s, depends on %v", id, n.Test.Attached, n.DependsOn)
		}
		if n.Test.Model != model || !strings.Contains(n.CompiledCode, model) {
			t.Errorf("%s: model %s, SQL %s", id, n.Test.Model, n.CompiledCode)
		}
	}
	var found []string
	for _, n := range m.Graph.Nodes() {
		if n.Kind == graph.Test && n.Test.Attached == "snapshot.jaffle_shop.block_snap" {
			found = append(found, string(n.ID))
		}
	}
	if len(found) != 1 || !strings.HasPrefix(found[0], "test.jaffle_shop.dbt_utils_expression_is_true_block_snap_order_id_0.") {
		t.Errorf("the block snapshot's tests: %v", found)
	}
}

// A dbt project's config errors name dbt_project.yml, the file read, not
// project.yml: line 7 col 20 is the value of +materialized.
func TestDBTProjectConfigErrorsNameTheFile(t *testing.T) {
	src := "name: jaffle_shop\nprofile: jaffle_shop\n\nmodels:\n  jaffle_shop:\n    nowhere:\n      +materialized: tabel\n      +contract: yes-please\n      +tags: 5\n"
	fsys := fstest.MapFS{
		"dbt_project.yml":   {Data: []byte(src)},
		"models/orders.sql": {Data: []byte("select 1 as order_id")},
	}
	target := func(project.TargetRequest) (*project.Target, diag.List) {
		return project.DefaultTarget("jaffle_shop.duckdb"), nil
	}
	p, l := project.LoadWith(fsys, project.Options{Target: target})
	if l.HasErrors() {
		t.Fatal(l)
	}
	_, l = Compile(p, Options{ProjectDir: "/proj"})
	got := l.Error()
	for _, want := range []string{
		`dbt_project.yml:7:22: unknown materialization "tabel"; did you mean "table"?`,
		"dbt_project.yml:8:18: contract must be a mapping",
		"dbt_project.yml:9:14: tags must be a string or a list of strings",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
	// A folder that matches no model is warned of, at its key.
	fsys["dbt_project.yml"] = &fstest.MapFile{Data: []byte("name: jaffle_shop\nprofile: jaffle_shop\n\nmodels:\n  jaffle_shop:\n    nowhere:\n      +materialized: table\n")}
	if p, l = project.LoadWith(fsys, project.Options{Target: target}); l.HasErrors() {
		t.Fatal(l)
	}
	m, l := Compile(p, Options{ProjectDir: "/proj"})
	if l.HasErrors() {
		t.Fatal(l)
	}
	if want := "dbt_project.yml:6:5: warning: config path models.jaffle_shop.nowhere matches no model"; !strings.Contains(m.Warnings.Error(), want) {
		t.Errorf("want %q in:\n%s", want, m.Warnings.Error())
	}
	got += "\n" + m.Warnings.Error()
	// A time zone that is not one is an error at its value.
	fsys["dbt_project.yml"] = &fstest.MapFile{Data: []byte("name: jaffle_shop\nprofile: jaffle_shop\ntimezone: Mars/Olympus\n")}
	_, l = project.LoadWith(fsys, project.Options{Target: target})
	if want := `dbt_project.yml:3:11: timezone "Mars/Olympus" is not an IANA time zone`; !strings.Contains(l.Error(), want) {
		t.Errorf("want %q in:\n%s", want, l.Error())
	}
	got += "\n" + l.Error()
	if strings.Contains(strings.ReplaceAll(got, "dbt_project.yml:", ""), "project.yml:") {
		t.Errorf("a diagnostic names project.yml, which does not exist:\n%s", got)
	}
}

// A misspelt project name as the first key under models: is warned of as
// written (models.jaffle_shopp, not models.jaffle_shop.jaffle_shopp),
// saying that the first key is the project's name or a package's, and
// which was meant; a folder under the name keeps the folder hint.
func TestUnusedConfigPathAsWritten(t *testing.T) {
	target := func(project.TargetRequest) (*project.Target, diag.List) {
		return project.DefaultTarget("jaffle_shop.duckdb"), nil
	}
	for _, c := range []struct{ yml, want string }{
		{"models:\n  jaffle_shopp:\n    +materialized: table\n",
			`dbt_project.yml:5:3: warning: config path models.jaffle_shopp matches no model; the first key under models: is the project's name, "jaffle_shop", or an installed package's, then come the folders; did you mean "jaffle_shop"?`},
		{"models:\n  jaffle_shopp:\n    staging:\n      +materialized: view\n",
			`dbt_project.yml:5:3: warning: config path models.jaffle_shopp matches no model; the first key under models: is the project's name, "jaffle_shop", or an installed package's, then come the folders; did you mean "jaffle_shop"?`},
		{"models:\n  jaffle_shop:\n    stagin:\n      +materialized: view\n",
			`dbt_project.yml:6:5: warning: config path models.jaffle_shop.stagin matches no model; check the folder names under models:`},
	} {
		fsys := fstest.MapFS{
			"dbt_project.yml":          {Data: []byte("name: jaffle_shop\nprofile: jaffle_shop\n\n" + c.yml)},
			"models/staging/stg_a.sql": {Data: []byte("select 1 as id")},
		}
		p, l := project.LoadWith(fsys, project.Options{Target: target})
		if l.HasErrors() {
			t.Fatal(l)
		}
		m, l := Compile(p, Options{ProjectDir: "/proj"})
		if l.HasErrors() {
			t.Fatal(l)
		}
		if got := m.Warnings.Error(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

// A model that names a custom {% materialization %} says it is not
// supported yet and where it is defined (it was accepted, and the model
// failed with "unknown materialization"; did you mean "table"?); the
// block itself is no error, as in dbt a materialization no model uses is
// harmless, in the project as in a package. dbt's materialized_view,
// which kiln does not build, is "not supported yet", not a misspelt
// "view".
func TestCustomMaterializationNotSupportedYet(t *testing.T) {
	fsys := fstest.MapFS{
		"dbt_project.yml":   {Data: []byte("name: shop\nprofile: shop\n")},
		"macros/my_mat.sql": {Data: []byte("{# a custom one #}\n  {% materialization my_table, default %}\n{{ return({'relations': []}) }}\n{% endmaterialization %}\n")},
		"models/a.sql":      {Data: []byte("{{ config(materialized='my_table') }}\nselect 1 as id\n")},
		"models/b.sql":      {Data: []byte("{{ config(materialized='materialized_view') }}\nselect 1 as id\n")},
	}
	target := func(project.TargetRequest) (*project.Target, diag.List) {
		return project.DefaultTarget("shop.duckdb"), nil
	}
	p, l := project.LoadWith(fsys, project.Options{Target: target})
	if l.HasErrors() {
		t.Fatal(l)
	}
	_, l = Compile(p, Options{ProjectDir: "/proj"})
	got := l.Error()
	for _, want := range []string{
		`models/a.sql:1:24: materialization "my_table" is defined in macros/my_mat.sql:2:6 but custom materializations are not supported yet`,
		`models/b.sql:1:24: materialized "materialized_view" is not supported yet`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "did you mean") {
		t.Errorf("no near miss for a known materialization:\n%s", got)
	}
	if strings.Contains(got, "macros/my_mat.sql:2:6:") {
		t.Errorf("the block is reported, not (only) the model that uses it:\n%s", got)
	}

	// No model uses it: the project compiles, as with the same block in
	// a package.
	for _, at := range []string{"macros/my_mat.sql", "dbt_packages/mats/macros/my_mat.sql"} {
		fsys := fstest.MapFS{
			"dbt_project.yml":                   {Data: []byte("name: shop\nprofile: shop\n")},
			"dbt_packages/mats/dbt_project.yml": {Data: []byte("name: mats\n")},
			at:                                  fsys["macros/my_mat.sql"],
			"models/a.sql":                      {Data: []byte("select 1 as id\n")},
		}
		p, l := project.LoadWith(fsys, project.Options{Target: target})
		if l.HasErrors() {
			t.Fatal(l)
		}
		if _, l = Compile(p, Options{ProjectDir: "/proj"}); l.HasErrors() {
			t.Errorf("an unused materialization in %s: %v", at, l)
		}
	}
}

// A column test written directly under a model (data_tests mis-indented)
// is an error at the test's position: it compiled to not_null_b_ with
// "where  is null" and failed at run time with a parser error. Given
// column_name as an argument, a model-level test is dbt's and compiles.
func TestColumnTestWithoutAColumn(t *testing.T) {
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: shop\nprofile: shop\n")},
		"models/b.sql":    {Data: []byte("select 1 as id\n")},
		"models/c.sql":    {Data: []byte("select 1 as id\n")},
		"models/_props.yml": {Data: []byte("models:\n  - name: b\n    columns:\n      - name: id\n    data_tests:\n      - unique\n      - not_null\n" +
			"      - accepted_values: {values: [1]}\n      - relationships: {to: ref('c'), field: id}\n      - not_empty\n" +
			"  - name: c\n    data_tests:\n      - not_null: {column_name: id}\n")},
	}
	target := func(project.TargetRequest) (*project.Target, diag.List) {
		return project.DefaultTarget("shop.duckdb"), nil
	}
	p, l := project.LoadWith(fsys, project.Options{Target: target})
	if l.HasErrors() {
		t.Fatal(l)
	}
	_, l = Compile(p, Options{ProjectDir: "/proj"})
	got := l.Error()
	for _, want := range []string{
		`models/_props.yml:6:9: unique needs a column: did you mean to put it under a column's data_tests?`,
		`models/_props.yml:7:9: not_null needs a column: did you mean to put it under a column's data_tests?`,
		`models/_props.yml:8:9: accepted_values needs a column`,
		`models/_props.yml:9:9: relationships needs a column`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "needs a column"); n != 4 {
		t.Errorf("%d errors, want 4 (not_empty takes no column; c's not_null has column_name):\n%s", n, got)
	}
}

// quoting: {identifier: false} in dbt_project.yml or a model's config is
// "not supported yet" on PostgreSQL, at its position (it was accepted and
// did nothing: models/MixedCase.sql still made "MixedCase", where dbt
// makes mixedcase); on DuckDB, which keeps a name's case quoted or not,
// it is accepted, as is quoting: true (kiln's behaviour) everywhere.
func TestQuotingFalseNotSupportedYet(t *testing.T) {
	fsys := fstest.MapFS{
		"dbt_project.yml":      {Data: []byte("name: shop\nprofile: shop\nquoting:\n  database: true\n  identifier: false\n  schema: false\n  colour: true\n")},
		"models/MixedCase.sql": {Data: []byte("{{ config(quoting={'identifier': false}) }}\nselect 1 as id\n")},
		"models/ok.sql":        {Data: []byte("{{ config(quoting={'identifier': true}) }}\nselect 1 as id\n")},
	}
	compile := func(typ string) string {
		target := func(project.TargetRequest) (*project.Target, diag.List) {
			tg := project.DefaultTarget("shop.duckdb")
			tg.Type = typ
			return tg, nil
		}
		p, l := project.LoadWith(fsys, project.Options{Target: target})
		if l.HasErrors() {
			t.Fatal(l)
		}
		_, l = Compile(p, Options{ProjectDir: "/proj"})
		return l.Error()
	}
	got := compile("postgres")
	for _, want := range []string{
		"dbt_project.yml:5:15: quoting: {identifier: false} is not supported yet on postgres",
		"dbt_project.yml:6:11: quoting: {schema: false} is not supported yet on postgres",
		`dbt_project.yml:7:3: unknown quoting key "colour"`,
		"models/MixedCase.sql:1:19: quoting: {identifier: false} is not supported yet on postgres",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "not supported yet"); n != 3 {
		t.Errorf("%d not supported yet, want 3 (database: true and ok.sql's identifier: true are kiln's quoting):\n%s", n, got)
	}
	got = compile("duckdb")
	if strings.Contains(got, "not supported yet") || !strings.Contains(got, `unknown quoting key "colour"`) {
		t.Errorf("on DuckDB quoting false is accepted, an unknown key is not:\n%s", got)
	}
}

// A dbt seed's numbers are typed as agate's Number reads them
// (agate/data_types/number.py: "%" and the currency symbols stripped, the
// group separator "," dropped) and named as dbt-adapters' SQLAdapter
// names them: integer when no value has a decimal place once normalized
// (agate's MaxPrecision: 5.00 and 1.0 have none), else float8.
func TestDBTSeedAgateNumbers(t *testing.T) {
	m := compileDBT(t, map[string]string{
		"dbt_project.yml":  "name: p\n",
		"seeds/money.csv":  "qty,price,pct,neg,whole,text\n\"1,000\",$5.00,50%,-€5,1.0,$x\n2,£10.50,5%,$-3,2.00,1\n",
		"models/model.sql": "select 1",
	})
	n := m.Graph.Node("seed.p.money")
	want := map[string]string{"qty": "INTEGER", "price": "DOUBLE", "pct": "INTEGER", "neg": "INTEGER", "whole": "INTEGER", "text": "VARCHAR"}
	for k, v := range want {
		if got := n.Seed.ColumnTypes[k]; got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
		if !n.Seed.Inferred[k] {
			t.Errorf("%s is not marked inferred", k)
		}
	}
}
