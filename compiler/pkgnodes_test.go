package compiler

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// A package's nodes are the package's: ids, fqn, package-relative paths;
// the root project's block under the package's name wins over the
// package's own configs whatever their levels, as dbt merges them; ref()
// finds the root's node first, then the package's own (dbt-core's
// _packages_to_search); ref('pkg', 'x') names the package.
func TestPackageNodes(t *testing.T) {
	m := compileDBT(t, map[string]string{
		"dbt_project.yml":                            "name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: table\n  pkg:\n    +materialized: table\n    +tags: [root]\n    old:\n      +enabled: false\n",
		"packages.yml":                               "packages:\n  - local: ../pkg\n",
		"dbt_packages/pkg/dbt_project.yml":           "name: pkg\nmodels:\n  pkg:\n    +tags: [own]\n    staging:\n      +materialized: view\n      +schema: stg\n",
		"dbt_packages/pkg/models/staging/orders.sql": "select 1 as id",
		"dbt_packages/pkg/models/staging/schema.yml": "version: 2\nmodels:\n  - name: orders\n    config:\n      alias: pkg_orders\n",
		"dbt_packages/pkg/models/uses.sql":           "select * from {{ ref('orders') }} join {{ ref('only_root') }} using (id)",
		"dbt_packages/pkg/models/old/gone.sql":       "select * from nowhere",
		"dbt_packages/pkg/snapshots/hist.sql":        "{% snapshot hist %}\n{{ config(target_schema='snap', unique_key='id', strategy='check', check_cols='all') }}\nselect * from {{ ref('orders') }}\n{% endsnapshot %}\n",
		"models/orders.sql":                          "select 2 as id",
		"models/only_root.sql":                       "select 3 as id",
		"models/both.sql":                            "select * from {{ ref('orders') }}, {{ ref('pkg', 'orders') }}, {{ ref('uses') }}",
	})
	byID := map[graph.ID]*graph.Node{}
	for _, n := range m.Graph.Nodes() {
		byID[n.ID] = n
	}
	po := byID["model.pkg.orders"]
	if po == nil {
		t.Fatalf("no model.pkg.orders among %v", m.Graph.Nodes())
	}
	if got, want := strings.Join(po.FQN, "."), "pkg.staging.orders"; got != want {
		t.Errorf("fqn %q, want %q", got, want)
	}
	if po.Package != "pkg" || po.OriginalFilePath() != "models/staging/orders.sql" || po.Path != "dbt_packages/pkg/models/staging/orders.sql" {
		t.Errorf("package %q, original_file_path %q, path %q", po.Package, po.OriginalFilePath(), po.Path)
	}
	// The root's +materialized: table for the package beats the package's
	// staging: +materialized: view; tags accumulate; the root's own
	// shop: block does not apply; naming is dbt's <target>_<custom>.
	if po.Config.Materialized != "table" || strings.Join(po.Config.Tags, ",") != "own,root" {
		t.Errorf("config: materialized %q, tags %v", po.Config.Materialized, po.Config.Tags)
	}
	if got, want := po.Relation.String(), `"jaffle_shop"."main_stg"."pkg_orders"`; got != want {
		t.Errorf("relation %s, want %s", got, want)
	}
	uses := byID["model.pkg.uses"]
	if want := `select * from "jaffle_shop"."main"."orders" join "jaffle_shop"."main"."only_root" using (id)`; uses.CompiledCode != want {
		t.Errorf("package model:\n got %s\nwant %s", uses.CompiledCode, want)
	}
	both := byID["model.shop.both"]
	if want := `select * from "jaffle_shop"."main"."orders", "jaffle_shop"."main_stg"."pkg_orders", "jaffle_shop"."main"."uses"`; both.CompiledCode != want {
		t.Errorf("root model:\n got %s\nwant %s", both.CompiledCode, want)
	}
	if h := byID["snapshot.pkg.hist"]; h == nil || strings.Join(h.FQN, ".") != "pkg.hist" || len(h.DependsOn) != 1 || h.DependsOn[0] != "model.shop.orders" {
		t.Errorf("snapshot of the package: %+v", h)
	}
	if byID["model.pkg.gone"] != nil {
		t.Error("the root's old: +enabled: false did not disable pkg.old.gone")
	}
	found := false
	for _, n := range m.Disabled {
		found = found || n.ID == "model.pkg.gone"
	}
	if !found {
		t.Error("model.pkg.gone is not among the disabled nodes")
	}
}

// A ref to a package that is not installed, or to a model the package
// does not have, says so at the ref.
func TestPackageRefErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"dbt_project.yml":                  {Data: []byte("name: shop\nprofile: shop\n")},
		"dbt_packages/pkg/dbt_project.yml": {Data: []byte("name: pkg\n")},
		"dbt_packages/pkg/models/a.sql":    {Data: []byte("select 1 as id")},
		"models/x.sql":                     {Data: []byte("select * from {{ ref('pkg', 'b') }}")},
		"models/y.sql":                     {Data: []byte("select * from {{ ref('nopkg', 'a') }}")},
	}
	target := func(project.TargetRequest) (*project.Target, diag.List) {
		return project.DefaultTarget("x.duckdb"), nil
	}
	p, l := project.LoadWith(fsys, project.Options{Target: target})
	if l.HasErrors() {
		t.Fatal(l)
	}
	_, l = Compile(p, Options{ProjectDir: "/proj"})
	got := l.Error()
	for _, want := range []string{`models/x.sql:1:18: unknown model "b" of package "pkg" in ref()`, `models/y.sql:1:18: unknown package "nopkg" in ref(); this project is "shop", its packages "pkg"`} {
		if !strings.Contains(got, want) {
			t.Errorf("errors:\n%s\nwant %q", got, want)
		}
	}
}

// doc('x') in a package's property file finds the root project's docs
// block first, then the package's own, as dbt-core's resolve_doc
// (_packages_to_search); doc('pkg', 'x') names the package.
func TestPackageDocSearchesRootFirst(t *testing.T) {
	m := compileDBT(t, map[string]string{
		"dbt_project.yml":                  "name: shop\nprofile: shop\n",
		"packages.yml":                     "packages:\n  - local: ../pkg\n",
		"models/docs.md":                   "{% docs orders_desc %}root text{% enddocs %}\n",
		"dbt_packages/pkg/dbt_project.yml": "name: pkg\n",
		"dbt_packages/pkg/models/docs.md":  "{% docs orders_desc %}package text{% enddocs %}\n",
		"dbt_packages/pkg/models/a.sql":    "select 1 as id",
		"dbt_packages/pkg/models/b.sql":    "select 1 as id",
		"dbt_packages/pkg/models/schema.yml": "version: 2\nmodels:\n  - name: a\n    description: \"{{ doc('orders_desc') }}\"\n" +
			"  - name: b\n    description: \"{{ doc('pkg', 'orders_desc') }}\"\n",
	})
	got := map[string]string{}
	for _, n := range m.Graph.Nodes() {
		got[string(n.ID)] = n.Description
	}
	if got["model.pkg.a"] != "root text" || got["model.pkg.b"] != "package text" {
		t.Errorf("descriptions: a %q (want root text), b %q (want package text)", got["model.pkg.a"], got["model.pkg.b"])
	}
}
