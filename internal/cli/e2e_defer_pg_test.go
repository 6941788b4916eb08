package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// deferPGProject writes a dbt project on PostgreSQL: raw_orders (seed) ->
// stg_orders (view, orders of at least var min_amount) -> customers
// (table) -> top (table), with a not_null test on customers. Its
// profiles.yml has the outputs prod and dev (schemas prod and dev of
// database db), elsewhere (schema dev of database other) and local (a
// DuckDB file).
func deferPGProject(t *testing.T, d, other pgDB) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"dbt_project.yml": "name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: table\n",
		"profiles.yml": fmt.Sprintf("shop:\n  target: prod\n  outputs:\n"+
			"    prod: {type: postgres, host: %[1]s, port: %[2]s, user: %[3]s, dbname: %[4]s, schema: prod, threads: 2}\n"+
			"    dev: {type: postgres, host: %[1]s, port: %[2]s, user: %[3]s, dbname: %[4]s, schema: dev, threads: 2}\n"+
			"    elsewhere: {type: postgres, host: %[1]s, port: %[2]s, user: %[3]s, dbname: %[5]s, schema: dev, threads: 2}\n"+
			"    local: {type: duckdb, path: local.duckdb}\n",
			d.host, d.port, d.user, d.db, other.db),
		"seeds/raw_orders.csv": "id,customer,amount\n1,ann,10\n2,ann,200\n3,bob,30\n4,cy,400\n",
		"models/stg_orders.sql": "{{ config(materialized='view') }}\n" +
			"select id, customer, amount from {{ ref('raw_orders') }} where amount >= {{ var('min_amount', 0) }}\n",
		"models/customers.sql": "select customer, sum(amount) as total, count(*) as n\nfrom {{ ref('stg_orders') }}\ngroup by customer\n",
		"models/top.sql":       "select customer from {{ ref('customers') }} where total > 100\n",
		"models/_customers.yml": "models:\n  - name: customers\n    columns:\n      - name: customer\n" +
			"        data_tests: [not_null]\n",
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

// runResultIDs returns the unique ids of the results of the
// run_results.json in dir, sorted.
func runResultIDs(t *testing.T, dir string) []string {
	t.Helper()
	var rr struct {
		Results []struct {
			UniqueID string `json:"unique_id"`
		} `json:"results"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "run_results.json")), &rr); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rr.Results {
		ids = append(ids, r.UniqueID)
	}
	sort.Strings(ids)
	return ids
}

// TestDeferOnPostgres is a dbt-postgres team's slim CI: production built
// into schema prod, then, with customers changed, a build of
// state:modified+ into schema dev with --defer --state prod builds
// customers and top (and customers' test) only, reading stg_orders from
// prod; without --defer it fails on dev's missing stg_orders, as dbt's.
func TestDeferOnPostgres(t *testing.T) {
	d, other := newPGDB(t), newPGDB(t)
	dir := deferPGProject(t, d, other)
	mustKiln(t, 0, dir, "build", "--target", "prod", "--target-path", "prod")

	// The change: customers keeps its orders' largest amount.
	if err := os.WriteFile(filepath.Join(dir, "models", "customers.sql"),
		[]byte("select customer, sum(amount) as total, count(*) as n, max(amount) as largest\nfrom {{ ref('stg_orders') }}\ngroup by customer\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Without --defer: dev has no stg_orders, the build fails on it and
	// leaves dev without the models.
	code, out, errOut := kiln(t, dir, "build", "--target", "dev", "--target-path", "dev", "-s", "state:modified+", "--state", "prod")
	if code != 1 || !strings.Contains(out+errOut, `relation "dev.stg_orders" does not exist`) {
		t.Errorf("a build of state:modified+ into an empty dev without --defer: exit %d, want 1 and dev.stg_orders missing\n%s\n%s", code, out, errOut)
	}
	if got := d.query(t, "select count(*) from information_schema.tables where table_schema = 'dev'"); got[0] != "0" {
		t.Errorf("the failed build left %s relations in dev", got[0])
	}

	out = mustKiln(t, 0, dir, "build", "--target", "dev", "--target-path", "dev", "-s", "state:modified+", "--defer", "--state", "prod")
	if want := "Deferring 2 node(s) to the state prod (relations in postgres database " + d.db + " on " + d.host + ": schema prod): raw_orders, stg_orders"; !strings.Contains(out, want) {
		t.Errorf("want %q in\n%s", want, out)
	}
	if !strings.Contains(out, "PASS=3 WARN=0 ERROR=0 SKIP=0 TOTAL=3") {
		t.Errorf("want customers, its test and top only:\n%s", out)
	}
	if got := strings.Join(d.query(t, "select customer, total, n, largest from dev.customers order by customer"), ","); got != "ann|210|2|200,bob|30|1|30,cy|400|1|400" {
		t.Errorf("dev.customers = %s, want prod's orders with the new column", got)
	}
	if got := strings.Join(d.query(t, "select customer from dev.top order by 1"), ","); got != "ann,cy" {
		t.Errorf("dev.top = %s, want ann,cy", got)
	}
	if got := strings.Join(d.query(t, "select table_name from information_schema.tables where table_schema = 'dev' order by 1"), ","); got != "customers,top" {
		t.Errorf("dev holds %s, want customers,top (stg_orders and raw_orders are prod's)", got)
	}
	compiled := string(readFile(t, filepath.Join(dir, "dev", "compiled", "shop", "models", "customers.sql")))
	if !strings.Contains(compiled, `"`+d.db+`"."prod"."stg_orders"`) {
		t.Errorf("the compiled SQL should read prod's stg_orders:\n%s", compiled)
	}
	ids := runResultIDs(t, filepath.Join(dir, "dev"))
	if len(ids) != 3 || ids[0] != "model.shop.customers" || ids[1] != "model.shop.top" || !strings.HasPrefix(ids[2], "test.shop.not_null_customers_customer") {
		t.Errorf("run_results.json lists %v, want customers, top and the test", ids)
	}

	// The same build again: customers reads the state's relation, which
	// kiln cannot tell unchanged, so it runs again (top, whose parent
	// did not change, is up to date).
	out = mustKiln(t, 0, dir, "build", "--target", "dev", "--target-path", "dev", "-s", "state:modified+", "--defer", "--state", "prod")
	if !strings.Contains(out, "customers reads relations of the state prod (--defer)") {
		t.Errorf("a second deferred build should say why customers runs again:\n%s", out)
	}
	// Production's next build finds its relations as it sealed them: the
	// dev builds, in the same database, neither wrote them nor lost its
	// seal.
	out = mustKiln(t, 0, dir, "build", "--target", "prod", "--target-path", "prod")
	if strings.Contains(out, "changed outside kiln") || strings.Contains(out, "every node runs") {
		t.Errorf("prod's build after dev's deferred builds should find prod as it left it:\n%s", out)
	}
	if got := strings.Join(d.query(t, "select customer, total from prod.customers order by customer"), ","); got != "ann|210,bob|30,cy|400" {
		t.Errorf("prod.customers = %s", got)
	}
}

// TestDeferOnPostgresFavorState: dev built its own stg_orders (of the
// large orders only): --defer reads dev's, --favor-state prod's.
func TestDeferOnPostgresFavorState(t *testing.T) {
	d, other := newPGDB(t), newPGDB(t)
	dir := deferPGProject(t, d, other)
	mustKiln(t, 0, dir, "build", "--target", "prod", "--target-path", "prod")
	mustKiln(t, 0, dir, "build", "--target", "dev", "--target-path", "dev", "-s", "raw_orders", "stg_orders", "--vars", "{min_amount: 100}")

	mustKiln(t, 0, dir, "build", "--target", "dev", "--target-path", "dev", "-s", "customers", "--defer", "--state", "prod", "--vars", "{min_amount: 100}")
	if got := strings.Join(d.query(t, "select customer, total from dev.customers order by customer"), ","); got != "ann|200,cy|400" {
		t.Errorf("--defer with dev's own stg_orders: dev.customers = %s, want dev's large orders", got)
	}
	out := mustKiln(t, 0, dir, "build", "--target", "dev", "--target-path", "dev", "-s", "customers", "--defer", "--favor-state", "--state", "prod", "--vars", "{min_amount: 100}")
	if !strings.Contains(out, ": raw_orders, stg_orders") {
		t.Errorf("--favor-state should defer both parents:\n%s", out)
	}
	if got := strings.Join(d.query(t, "select customer, total from dev.customers order by customer"), ","); got != "ann|210,bob|30,cy|400" {
		t.Errorf("--favor-state: dev.customers = %s, want prod's orders", got)
	}
}

// TestDeferOnPostgresRefusals: a deferred relation that production does
// not hold (dropped since its build), a state built in another database
// than this target's and a state built in a DuckDB file (or a PostgreSQL
// state on a DuckDB target) are refused
// before anything runs, at the ref() that reads them, with what to do.
func TestDeferOnPostgresRefusals(t *testing.T) {
	d, other := newPGDB(t), newPGDB(t)
	dir := deferPGProject(t, d, other)
	mustKiln(t, 0, dir, "build", "--target", "prod", "--target-path", "prod")

	// Another database on the same server: PostgreSQL cannot read it.
	out := mustKiln(t, 2, dir, "build", "--target", "elsewhere", "--target-path", "elsewhere", "-s", "customers", "--defer", "--state", "prod")
	for _, want := range []string{
		"models/customers.sql:2:9: customers reads stg_orders from the state prod (--defer), which its run built in database " + d.db +
			", but this target builds in database " + other.db + ": PostgreSQL cannot read another database's relations",
		"build stg_orders in this target first (kiln build -s stg_orders",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("a state in another database: want %q in\n%s", want, out)
		}
	}
	if got := other.query(t, "select count(*) from information_schema.tables where table_schema = 'dev'"); got[0] != "0" {
		t.Errorf("the refused build left %s relations in %s", got[0], other.db)
	}

	// Production's stg_orders dropped since its build.
	d.query(t, "drop view prod.stg_orders")
	out = mustKiln(t, 2, dir, "build", "--target", "dev", "--target-path", "dev", "-s", "customers", "--defer", "--state", "prod")
	for _, want := range []string{
		"models/customers.sql:2:9: customers reads stg_orders from the state prod (--defer), but its relation prod.stg_orders does not exist",
		"build stg_orders in the state's target again",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("a deferred relation missing from prod: want %q in\n%s", want, out)
		}
	}

	// A DuckDB target cannot defer to a run on PostgreSQL.
	out = mustKiln(t, 2, dir, "build", "--target", "local", "--target-path", "local", "-s", "customers", "--defer", "--state", "prod")
	if !strings.Contains(out, "--state prod: that run built in a postgres database; a DuckDB target defers to a DuckDB file only") {
		t.Errorf("a DuckDB target deferring to a PostgreSQL state:\n%s", out)
	}

	// A state built in a DuckDB file (a dbt-duckdb manifest, without
	// kiln's kiln_manifest.json).
	duck := filepath.Join(dir, "duck")
	if err := os.MkdirAll(duck, 0o755); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "prod", "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	if got := m["metadata"].(map[string]any)["adapter_type"]; got != "postgres" {
		t.Errorf("prod's manifest.json has adapter_type %v, want postgres", got)
	}
	m["metadata"].(map[string]any)["adapter_type"] = "duckdb" // as dbt-duckdb writes it
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(duck, "manifest.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out = mustKiln(t, 2, dir, "build", "--target", "dev", "--target-path", "dev", "-s", "customers", "--defer", "--state", "duck")
	if !strings.Contains(out, "--defer --state duck: that run built in a duckdb database; a postgres target defers to a run built on postgres") {
		t.Errorf("a DuckDB state:\n%s", out)
	}
}
