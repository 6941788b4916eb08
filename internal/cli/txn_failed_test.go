package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommitRefusesFailedTransaction: finding M3 of the PostgreSQL trial.
// kiln transaction commit refuses a flow transaction one of whose builds
// failed (a node errored; a build refused before it started counts too), and not
// run again with success since: it names the builds, publishes nothing
// (the transaction stays open; its rollback restores the tables) and says to roll back or run them again. Once the failed build is run
// again with success in the transaction, the commit publishes.
func TestCommitRefusesFailedTransaction(t *testing.T) {
	dir := writeProject(t, shopFiles("", map[string]string{
		"project.yml":      "name: shop\ndatabase-path: target/bottleneck.duckdb\nvars:\n  region: eu\n",
		"models/sales.sql": "{{ config(materialized='table') }}\nselect *, '{{ var(\"region\") }}' as region from {{ source('raw', 'sales') }}\n",
		"models/total.sql": "select count(*) as n, max(region) as region from {{ ref('sales') }}\n",
		"models/bad.sql":   "select id from {{ ref('sales') }} where id = 1\n",
	}))
	mustKiln(t, ExitOK, dir, "build")
	region := func() string { return query(t, dir, `select max(region) from main.sales`) }

	const T = "flow/exec-9"
	mustKiln(t, ExitOK, dir, "build", "--select", "sales", "--vars", "{region: us}", "--transaction", T)
	// A build that fails (a node errors): the commit is refused.
	if err := os.WriteFile(filepath.Join(dir, "models", "bad.sql"), []byte("select no_such_column from {{ ref('sales') }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, ExitFailure, dir, "build", "--select", "bad", "--vars", "{region: us}", "--transaction", T)
	code, out, errOut := kiln(t, dir, "transaction", "commit", T)
	if code != ExitFailure || !strings.Contains(errOut, "flow transaction "+T+" has 1 build that did not succeed: build --select bad --vars {region: us} (run ") ||
		!strings.Contains(errOut, ", error)") || !strings.Contains(errOut, "Nothing was published") || !strings.Contains(errOut, "kiln transaction rollback "+T) {
		t.Fatalf("commit of a transaction with a failed build: exit %d\n%s\n%s", code, out, errOut)
	}
	if st := mustKiln(t, ExitOK, dir, "transaction", "status", T); st != "open\n" {
		t.Errorf("after the refused commit the transaction is %q", st)
	}
	mustKiln(t, ExitOK, dir, "transaction", "rollback", T)
	if got := region(); got != "eu" {
		t.Errorf("after the rollback sales holds region %s, want eu", got)
	}

	const U = "flow/exec-10"
	mustKiln(t, ExitOK, dir, "build", "--select", "sales", "--vars", "{region: us}", "--transaction", U)
	if err := os.WriteFile(filepath.Join(dir, "models", "bad.sql"), []byte("select no_such_column from {{ ref('sales') }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, ExitFailure, dir, "build", "--select", "bad", "--vars", "{region: us}", "--transaction", U)
	if err := os.WriteFile(filepath.Join(dir, "models", "bad.sql"), []byte("select id from {{ ref('sales') }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, ExitOK, dir, "build", "--select", "bad", "--vars", "{region: us}", "--transaction", U)
	if out := mustKiln(t, ExitOK, dir, "transaction", "commit", U); !strings.Contains(out, "flow transaction "+U+" committed") {
		t.Errorf("commit after the failed build succeeded again: %s", out)
	}
	if got := region(); got != "us" {
		t.Errorf("after the commit sales holds region %s, want us", got)
	}
}

// TestCleanAllKeepsPostgresDatabase: finding M5 of the PostgreSQL trial.
// kiln clean --all on a PostgreSQL target removes target/ and says
// plainly that it kept the server's database (whose tables are still
// there) and how to start afresh.
func TestCleanAllKeepsPostgresDatabase(t *testing.T) {
	d := newPGDB(t)
	dir := smallProject(t, "target:\n  type: postgres\n  host: "+d.host+"\n  port: "+d.port+"\n  user: "+d.user+"\n  dbname: "+d.db+"\n")
	mustKiln(t, ExitOK, dir, "build")
	out := mustKiln(t, ExitOK, dir, "clean", "--all")
	if !strings.Contains(out, "kept the postgres database "+d.db+" of target ") || !strings.Contains(out, "drop schema ... cascade") {
		t.Errorf("clean --all does not say it kept the database:\n%s", out)
	}
	if got := d.query(t, "select n, total from marts.summary"); len(got) != 1 || got[0] != "2|30.75" {
		t.Errorf("marts.summary = %v after clean --all, want [2|30.75]", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "target")); !os.IsNotExist(err) {
		t.Errorf("target/ is still there: %v", err)
	}
}
