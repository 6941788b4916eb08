package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter/duckdb"
)

// deferProject writes a project whose mart reads a view over a
// file-backed source and a seed: orders (data/<orders_file>) -> stg_orders
// (view) -> revenue (table), with wines (seed) joined in and a
// relationships test from revenue to wines.
func deferProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"project.yml": "name: cellar\nvars:\n  orders_file: data/orders.csv\nvar-types:\n  orders_file: path\n",
		"data/orders.csv": "order_id,wine_id,quantity,unit_price\n" +
			"1,1,2,176.50\n2,2,6,45.00\n3,1,1,176.50\n4,3,12,9.90\n",
		"data/few.csv":    "order_id,wine_id,quantity,unit_price\n1,1,1,10.00\n",
		"seeds/wines.csv": "wine_id,name\n1,Pomerol\n2,Chablis\n3,Rosé\n",
		"models/_src.yml": "sources:\n  - name: shop\n    tables:\n      - name: orders\n        external: {location: \"{{ var('orders_file') }}\", column_types: {unit_price: \"DECIMAL(10,2)\"}}\n",
		"models/stg_orders.sql": "select order_id, wine_id, quantity, quantity * unit_price as amount\n" +
			"from {{ source('shop', 'orders') }}\n",
		"models/revenue.sql": "{{ config(materialized='table') }}\n" +
			"select o.wine_id, w.name, sum(o.amount) as revenue\n" +
			"from {{ ref('stg_orders') }} o join {{ ref('wines') }} w using (wine_id)\ngroup by all\n",
		"models/_revenue.yml": "models:\n  - name: revenue\n    columns:\n      - name: wine_id\n" +
			"        data_tests:\n          - relationships: {to: ref('wines'), field: wine_id}\n",
	}
	for p, content := range files {
		to := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestDeferToProduction is dbt's --defer on DuckDB files: a production
// build into prod/, then a development build of one model into an empty
// dev/ that reads its parents from prod's database, attached read-only.
func TestDeferToProduction(t *testing.T) {
	dir := deferProject(t)
	mustKiln(t, 0, dir, "build", "--target-path", "prod")
	prodDB := filepath.Join(dir, "prod", "kiln.duckdb")
	devDB := filepath.Join(dir, "dev", "kiln.duckdb")

	// Without --defer the model's parents are missing from dev: it fails,
	// naming the relation and what to do.
	out := mustKiln(t, 1, dir, "build", "--target-path", "dev", "-s", "revenue")
	if !strings.Contains(out, "stg_orders") || !strings.Contains(out, "--defer --state") {
		t.Errorf("a build of revenue alone into an empty dev should fail on stg_orders and suggest --defer:\n%s", out)
	}

	// With --defer: only revenue (and its test) runs, reading prod's
	// stg_orders, orders and wines.
	out = mustKiln(t, 0, dir, "build", "--target-path", "dev", "-s", "revenue", "--defer", "--state", "prod")
	if !strings.Contains(out, "Deferring 3 node(s) to the state prod (prod/kiln.duckdb, read-only): orders, stg_orders, wines") {
		t.Errorf("want the 3 deferred parents named:\n%s", out)
	}
	if !strings.Contains(out, "PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2") {
		t.Errorf("want revenue and its relationships test only:\n%s", out)
	}
	if got := queryDB(t, devDB, "select count(*) || ' ' || sum(revenue) from main.revenue"); got != "3 918.30" {
		t.Errorf("dev revenue: %s, want 3 wines and 918.30 (prod's orders)", got)
	}
	if got := queryDB(t, devDB, "select count(*) from duckdb_tables() where database_name = current_database() and schema_name <> 'kiln_history'"); got != "1" {
		t.Errorf("dev holds %s tables besides kiln's records, want 1 (revenue)", got)
	}
	if got := queryDB(t, devDB, "select count(*) from duckdb_views() where not internal and database_name = current_database()"); got != "0" {
		t.Errorf("dev holds %s views, want none (stg_orders is prod's)", got)
	}
	compiled := string(readFile(t, filepath.Join(dir, "dev", "compiled", "cellar", "models", "revenue.sql")))
	if !strings.Contains(compiled, `"kiln_state"."main"."stg_orders"`) || !strings.Contains(compiled, `"kiln_state"."main"."wines"`) {
		t.Errorf("the compiled SQL should read prod's relations:\n%s", compiled)
	}
	// Prod is untouched: still its own build's figures.
	if got := queryDB(t, prodDB, "select sum(revenue) from main.revenue"); got != "918.3" {
		t.Errorf("prod revenue: %s", got)
	}

	// A dev build of everything on another month's orders: now dev has
	// stg_orders, and --defer reads dev's (it exists), --favor-state
	// prod's.
	mustKiln(t, 0, dir, "build", "--target-path", "dev", "--vars", "{orders_file: data/few.csv}")
	mustKiln(t, 0, dir, "build", "--target-path", "dev", "-s", "revenue", "--defer", "--state", "prod", "--vars", "{orders_file: data/few.csv}")
	if got := queryDB(t, devDB, "select count(*) || ' ' || sum(revenue) from main.revenue"); got != "1 10.00" {
		t.Errorf("--defer with dev's own stg_orders: %s, want 1 wine and 10.00", got)
	}
	out = mustKiln(t, 0, dir, "build", "--target-path", "dev", "-s", "revenue", "--defer", "--favor-state", "--state", "prod", "--vars", "{orders_file: data/few.csv}")
	if got := queryDB(t, devDB, "select count(*) || ' ' || sum(revenue) from main.revenue"); got != "3 918.30" {
		t.Errorf("--favor-state: %s, want prod's 3 wines and 918.30\n%s", got, out)
	}

	// Mistakes: no --state, --favor-state alone, a state whose database
	// is gone.
	if out := mustKiln(t, 2, dir, "build", "--target-path", "dev", "-s", "revenue", "--defer"); !strings.Contains(out, "--defer needs --state DIR") {
		t.Errorf("--defer alone:\n%s", out)
	}
	if out := mustKiln(t, 2, dir, "build", "-s", "revenue", "--favor-state"); !strings.Contains(out, "only with --defer") {
		t.Errorf("--favor-state alone:\n%s", out)
	}
	if err := os.Rename(prodDB, filepath.Join(dir, "elsewhere.duckdb")); err != nil {
		t.Fatal(err)
	}
	out = mustKiln(t, 2, dir, "build", "--target-path", "fresh", "-s", "revenue", "--defer", "--state", "prod")
	if !strings.Contains(out, "cannot find the database of that run: its manifest.json names "+prodDB+", which does not exist") {
		t.Errorf("a state without its database:\n%s", out)
	}
}

// TestDeferIntoAFreshTarget: the first build of a new target with --defer
// creates its run history although the state's database, attached,
// already has kiln_history with every column (the history's set-up read
// the attached database's columns too, skipped adding its own, and the
// run failed with "Referenced column run_id not found").
func TestDeferIntoAFreshTarget(t *testing.T) {
	dir := deferProject(t)
	mustKiln(t, 0, dir, "build", "--target-path", "prod")
	mustKiln(t, 0, dir, "build", "--target-path", "dev", "-s", "revenue", "--defer", "--state", "prod")
	devDB := filepath.Join(dir, "dev", "kiln.duckdb")
	if got := queryDB(t, devDB, "select count(*) || ' ' || sum(revenue) from main.revenue"); got != "3 918.30" {
		t.Errorf("dev revenue: %s, want 3 wines and 918.30 (prod's orders)", got)
	}
	if got := queryDB(t, devDB, "select count(*) from kiln_history.runs where status = 'success'"); got != "1" {
		t.Errorf("dev's history holds %s successful runs, want 1", got)
	}
}

// TestDeferThroughAViewOfADbtProject: in a dbt project on DuckDB, the
// state's views name their database ("shop"."main"."raw_orders", as
// dbt-duckdb renders refs), the stem of the file they were built in. A
// dev database of another name (dev/other.duckdb) reads them through the
// state attached under its own name, "shop": production's 4 orders, not
// dev's 1 (the state attached as kiln_state failed with Catalog "shop"
// does not exist). A dev database of the same name (dev/shop.duckdb)
// would read its own raw_orders through production's view (1 row,
// silently): kiln refuses before anything runs, saying what to do.
func TestDeferThroughAViewOfADbtProject(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"dbt_project.yml": "name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: view\n",
		"profiles.yml": "shop:\n  target: prod\n  outputs:\n" +
			"    prod: {type: duckdb, path: shop.duckdb}\n" +
			"    devsame: {type: duckdb, path: dev/shop.duckdb}\n" +
			"    devother: {type: duckdb, path: dev/other.duckdb}\n",
		"seeds/raw_orders.csv":  "id,amount\n1,10\n2,20\n3,30\n4,40\n",
		"models/stg_orders.sql": "select id, amount from {{ ref('raw_orders') }}\n",
		"models/orders.sql":     "{{ config(materialized='table') }}\nselect count(*) as n, sum(amount) as total from {{ ref('stg_orders') }}\n",
	}
	for p, content := range files {
		to := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustKiln(t, 0, dir, "build", "--target-path", "prod")
	// The dev targets' folder: kiln, as dbt-duckdb, does not make a
	// profile path's folder (but for the target path).
	if err := os.MkdirAll(filepath.Join(dir, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Dev's own raw_orders holds one row.
	few := filepath.Join(dir, "seeds", "raw_orders.csv")
	if err := os.WriteFile(few, []byte("id,amount\n9,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, 0, dir, "seed", "-t", "devother", "--target-path", "devother")
	mustKiln(t, 0, dir, "seed", "-t", "devsame", "--target-path", "devsame")

	out := mustKiln(t, 2, dir, "build", "-t", "devsame", "--target-path", "devsame", "-s", "orders", "--defer", "--state", "prod")
	for _, want := range []string{
		"cannot read the deferred view(s) stg_orders of shop.duckdb",
		`its views name their database as "shop"`,
		"give this target's database file another name than shop.duckdb",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("a dev database named like the state's: want %q in\n%s", want, out)
		}
	}
	if got := queryDB(t, filepath.Join(dir, "dev", "shop.duckdb"), "select count(*) from duckdb_tables() where table_name = 'orders'"); got != "0" {
		t.Errorf("the refused run built orders in dev (%s)", got)
	}
	out = mustKiln(t, 0, dir, "build", "-t", "devother", "--target-path", "devother", "-s", "orders", "--defer", "--state", "prod")
	if got := queryDB(t, filepath.Join(dir, "dev", "other.duckdb"), "select n || ' ' || total from main.orders"); got != "4 100" {
		t.Errorf("dev orders through prod's stg_orders: %s, want prod's 4 orders and 100\n%s", got, out)
	}
	compiled := string(readFile(t, filepath.Join(dir, "devother", "compiled", "shop", "models", "orders.sql")))
	if !strings.Contains(compiled, `"shop"."main"."stg_orders"`) {
		t.Errorf("the compiled SQL should read the state's stg_orders under its own catalog name:\n%s", compiled)
	}
}

// A state attached under its own catalog name (shop, its file's stem)
// beside a dev database whose schema is named shop too made every
// two-part name of dev ("shop"."stg_orders") an "Ambiguous reference to
// catalog or schema" in DuckDB: the state is then attached as kiln_state,
// a deferred table reads prod's rows through it, and a deferred view
// whose state names catalog shop is refused before anything runs.
func TestDeferStateNamedLikeASchema(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"dbt_project.yml": "name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: view\n",
		"profiles.yml": "shop:\n  target: prod\n  outputs:\n" +
			"    prod: {type: duckdb, path: shop.duckdb}\n" +
			"    dev: {type: duckdb, path: dev/dev.duckdb, schema: shop}\n" +
			"    other: {type: duckdb, path: other/other.duckdb}\n",
		"seeds/raw_orders.csv":  "id,amount\n1,10\n2,20\n3,30\n4,40\n",
		"models/stg_orders.sql": "select id, amount from {{ ref('raw_orders') }}\n",
		"models/orders.sql":     "{{ config(materialized='table') }}\nselect count(*) as n, sum(amount) as total from {{ ref('stg_orders') }}\n",
	}
	for p, content := range files {
		to := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustKiln(t, 0, dir, "build", "--target-path", "prod")

	// raw_orders (a table) is deferred; stg_orders and orders are built
	// in dev's schema shop.
	out := mustKiln(t, 0, dir, "build", "-t", "dev", "--target-path", "dev", "-s", "stg_orders", "orders", "--defer", "--state", "prod")
	if got := queryDB(t, filepath.Join(dir, "dev", "dev.duckdb"), "select n || ' ' || total from shop.orders"); got != "4 100" {
		t.Errorf("dev orders through prod's raw_orders: %s, want prod's 4 orders and 100\n%s", got, out)
	}
	compiled := string(readFile(t, filepath.Join(dir, "dev", "compiled", "shop", "models", "stg_orders.sql")))
	if !strings.Contains(compiled, `"kiln_state"."main"."raw_orders"`) {
		t.Errorf("the state should be attached as kiln_state beside a schema named shop:\n%s", compiled)
	}

	// stg_orders (a view of the state naming "shop"."main"."raw_orders")
	// would be deferred: refused.
	out = mustKiln(t, 2, dir, "build", "-t", "dev", "--target-path", "dev2", "-s", "orders", "--defer", "--state", "prod", "--favor-state")
	for _, want := range []string{
		"cannot read the deferred view(s) stg_orders of shop.duckdb",
		`its views name their database as "shop"`,
		"which is the schema of",
		"give this target's schemas and attached databases other names than shop",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("a state named like dev's schema: want %q in\n%s", want, out)
		}
	}

	// A dev database that holds a schema named shop (not one of the
	// project's) clashes as well.
	other := filepath.Join(dir, "other", "other.duckdb")
	if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := duckdb.ExecFile(context.Background(), other, []string{"CREATE SCHEMA shop"}); err != nil {
		t.Fatal(err)
	}
	out = mustKiln(t, 0, dir, "build", "-t", "other", "--target-path", "other", "-s", "stg_orders", "orders", "--defer", "--state", "prod")
	if got := queryDB(t, other, "select n || ' ' || total from main.orders"); got != "4 100" {
		t.Errorf("other's orders through prod's raw_orders: %s, want prod's 4 orders and 100\n%s", got, out)
	}
	out = mustKiln(t, 2, dir, "build", "-t", "other", "--target-path", "other2", "-s", "orders", "--defer", "--state", "prod", "--favor-state")
	if want := "which is a schema of this target's database other/other.duckdb too (shop)"; !strings.Contains(out, want) {
		t.Errorf("a state named like a schema of dev's database: want %q in\n%s", want, out)
	}
}
