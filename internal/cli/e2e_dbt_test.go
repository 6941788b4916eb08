package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/internal/testenv"
	"github.com/kiln-build/kiln/internal/testenv/browsertest"
)

// publicDBT returns where the public dbt projects kiln must run unmodified
// are kept: $KILN_DBT_PROJECTS, else shared/dbt beside the repository or
// beside one of its parent folders (a git worktree's), "" when none.
func publicDBT() string {
	if d := os.Getenv("KILN_DBT_PROJECTS"); d != "" {
		return d
	}
	dir, err := filepath.Abs(repoRoot)
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(filepath.Dir(dir), "shared", "dbt")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// dbtProject copies the public dbt project name (a folder of ../shared/dbt)
// into a temporary folder and returns it. Without ../shared/dbt the test
// is skipped with one line, or fails under CI=true (testenv).
func dbtProject(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join(publicDBT(), name)
	if _, err := os.Stat(src); publicDBT() == "" || err != nil {
		testenv.Missing(t, "the public dbt projects (../shared/dbt)", "put them beside the repository, in ../shared/dbt, or set KILN_DBT_PROJECTS")
	}
	dir := t.TempDir()
	copyTree(t, src, dir)
	t.Setenv("DBT_PROFILES_DIR", "")
	t.Setenv("DBT_TARGET", "")
	return dir
}

// queryDB runs q on the DuckDB file db and returns the single value as
// text.
func queryDB(t *testing.T, db, q string) string {
	t.Helper()
	a, err := duckdb.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, err := a.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, rows, err := c.QueryRows(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		t.Fatalf("%s: want one value, got %v", q, rows)
	}
	return fmt.Sprint(rows[0][0])
}

// TestJaffleShop builds dbt Labs' jaffle_shop_duckdb as published, with a
// plain kiln build in its folder: dbt_project.yml, its profiles.yml (the
// database jaffle_shop.duckdb), its docs blocks.
func TestJaffleShop(t *testing.T) {
	dir := dbtProject(t, "jaffle_shop_duckdb")
	out := mustKiln(t, 0, dir, "build")
	if !strings.Contains(out, "PASS=28 WARN=0 ERROR=0 SKIP=0 TOTAL=28") {
		t.Errorf("want 28 nodes passing:\n%s", out)
	}
	if strings.Contains(out, "warning") {
		t.Errorf("the published project builds without a warning:\n%s", out)
	}
	db := filepath.Join(dir, "jaffle_shop.duckdb")
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("the profile's database: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "target", "kiln.duckdb")); err == nil {
		t.Error("kiln built into target/kiln.duckdb, not the profile's path")
	}
	for q, want := range map[string]string{
		"select count(*) from main.customers": "100",
		"select count(*) from main.orders":    "99",
		"select sum(amount) from main.orders": "1672",
		"select data_type from information_schema.columns where table_name = 'raw_orders' and column_name = 'id'": "INTEGER",
	} {
		if got := queryDB(t, db, q); got != want {
			t.Errorf("%s = %s, want %s", q, got, want)
		}
	}

	// The manifest has dbt's ids, names and relation names.
	var man struct {
		Nodes map[string]struct {
			RelationName *string `json:"relation_name"`
			Alias        string  `json:"alias"`
			Columns      map[string]struct {
				Description string `json:"description"`
			} `json:"columns"`
		} `json:"nodes"`
		Docs map[string]struct {
			BlockContents string `json:"block_contents"`
		} `json:"docs"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &man); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{
		"test.jaffle_shop.unique_customers_customer_id.c5af1ff4b1",
		"test.jaffle_shop.not_null_orders_order_id.cf6c17daed",
		"test.jaffle_shop.relationships_orders_customer_id__customer_id__ref_customers_.c6ec7f58f2",
		"test.jaffle_shop.accepted_values_orders_status__placed__shipped__completed__return_pending__returned.be6b5b5ec3",
	} {
		if _, ok := man.Nodes[id]; !ok {
			t.Errorf("no node %s in the manifest", id)
		}
	}
	if r := man.Nodes["model.jaffle_shop.orders"].RelationName; r == nil || *r != `"jaffle_shop"."main"."orders"` {
		t.Errorf("relation_name of orders: %v", r)
	}
	status := man.Nodes["model.jaffle_shop.orders"].Columns["status"].Description
	if !strings.HasPrefix(status, "Orders can be one of the following statuses:") || !strings.Contains(status, "| returned") {
		t.Errorf("orders.status has not its docs block: %q", status)
	}
	if !strings.Contains(man.Docs["doc.jaffle_shop.__overview__"].BlockContents, "Jaffle Shop") {
		t.Errorf("docs: %v", man.Docs)
	}

	// The docs page shows the docs blocks: the overview and orders.status.
	mustKiln(t, 0, dir, "docs", "generate")
	s := browsertest.Start(t, 1200, 900)
	url := "file://" + filepath.Join(dir, "target", "docs", "index.html")
	browsertest.Do(t, s, "open the overview", chromedp.Navigate(url+"#/"), chromedp.WaitVisible(chromedp.CSS("#overview")))
	if got := browsertest.Eval[string](t, s, `document.getElementById('overview').innerText`); !strings.Contains(got, "Jaffle Shop") {
		t.Errorf("the overview shows %q", got)
	}
	browsertest.Do(t, s, "open orders", chromedp.Navigate(url+"#/node/model.jaffle_shop.orders"), chromedp.WaitVisible(chromedp.CSS("#columns")))
	cell := browsertest.Eval[string](t, s, `Array.from(document.querySelectorAll('#columns tr')).find(r => r.cells[0] && r.cells[0].innerText.trim() === 'status').cells[2].innerHTML`)
	if !strings.Contains(cell, "<table") || !strings.Contains(cell, "return_pending") || strings.Contains(cell, "doc(") {
		t.Errorf("the status column shows %q, not its docs block's table", cell)
	}
}
