package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/internal/failpoint"
)

// fnDocsValue opens the DuckDB file of the project at dir, as it is (its
// write-ahead log replayed), and returns the value of q as text; an error
// when the database does not open.
func fnDocsValue(dir, q string) (string, error) {
	ctx := context.Background()
	db, err := duckdb.Open(ctx, filepath.Join(dir, "target", "fn.duckdb"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_, rows, err := c.QueryRows(ctx, q)
	if err != nil {
		return "", err
	}
	return fmt.Sprint(rows[0][0]), nil
}

// TestPersistDocsFunctionCheck: DuckDB 1.5.6 cannot replay from its
// write-ahead log a comment on a column of a table whose CHECK calls a
// function (duckdb/duckdb#18259, #22124). An incremental model with
// persist_docs columns: true on such a table (made by hand) is refused
// before anything changes, with the table and the reason; with columns:
// false its table's comment (which replays) is written. kiln is killed
// (SIGKILL, failpoints) after the node committed and after a recovery
// put the previous comment back: each time the database opens and holds
// the comment before or after the run, never another.
func TestPersistDocsFunctionCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiln binary")
	}
	bin := buildKiln(t)
	dir := smallProject(t, "database-path: target/fn.duckdb\nmodels:\n  small:\n    +persist_docs: {relation: true, columns: true}\n")
	writeProjectFile(t, dir, "models/inc_fn.sql", "{{ config(materialized='incremental') }}\nselect id, 'n' || id as name from {{ ref('prices') }}\n")
	docs := func(v string) {
		writeProjectFile(t, dir, "models/docs.yml", "version: 2\nmodels:\n  - name: inc_fn\n    description: fn "+v+"\n    columns:\n      - name: name\n        description: name "+v+"\n")
	}
	docs("v1")
	ctx := context.Background()
	db, err := duckdb.Open(ctx, filepath.Join(dir, "target", "fn.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.QueryRows(ctx, "create table main.inc_fn (id integer, name varchar check (length(name) > 0))"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	db.Close()
	const tableComment = "select coalesce(comment, '') from duckdb_tables() where table_name = 'inc_fn'"
	const columnComment = "select coalesce(comment, '') from duckdb_columns() where table_name = 'inc_fn' and column_name = 'name'"
	value := func(q string) string {
		t.Helper()
		v, err := fnDocsValue(dir, q)
		if err != nil {
			t.Fatalf("the database does not open: %v", err)
		}
		return v
	}

	out := mustKiln(t, 1, dir, "build")
	for _, want := range []string{`model "inc_fn": persist_docs would change the comments on columns name of table "main"."inc_fn"`,
		"duckdb/duckdb#18259", "nothing was changed", "set persist_docs: {relation: true, columns: false} on it"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	if got := value(tableComment) + "|" + value(columnComment) + "|" + value("select count(*) from inc_fn"); got != "||0" {
		t.Fatalf("after the refused build inc_fn's comments and rows are %q, want none", got)
	}

	writeProjectFile(t, dir, "models/inc_fn.sql", "{{ config(materialized='incremental', persist_docs={'relation': true, 'columns': false}) }}\nselect id, 'n' || id as name from {{ ref('prices') }}\n")
	// kill runs kiln's args, killed at failpoint point.
	kill := func(point string, args ...string) {
		t.Helper()
		p := startKilnEnv(t, bin, dir, []string{failpoint.EnvVar + "=" + point}, append(args, "--threads", "1")...)
		p.wait(t, 5*time.Minute)
		if ws, _ := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() {
			t.Fatalf("kiln %s was not killed at %s:\n%s", strings.Join(args, " "), point, p.stderr.String())
		}
	}
	// The second node to commit is inc_fn (after prices).
	kill(string(failpoint.NodeCommitted)+":2", "build", "--select", "+inc_fn")
	if got := value(tableComment); got != "fn v1" && got != "" {
		t.Fatalf("after a kill the table's comment is %q, want the one before or after the run", got)
	}
	kill(string(failpoint.RunRecovered), "build")
	if got := value(tableComment) + "|" + value("select count(*) from inc_fn"); got != "|0" {
		t.Fatalf("after the recovery inc_fn's comment and rows are %q, want those before the killed run", got)
	}
	mustKiln(t, 0, dir, "build")
	if got := value(tableComment) + "|" + value(columnComment); got != "fn v1|" {
		t.Fatalf("after the build inc_fn's comments are %q, want the table's only", got)
	}

	// A kill after the new comment committed, then after the recovery
	// put the previous one back (a comment on the table, which replays).
	docs("v2")
	kill(string(failpoint.NodeCommitted), "build", "--select", "inc_fn")
	if got := value(tableComment); got != "fn v1" && got != "fn v2" {
		t.Fatalf("after a kill the table's comment is %q, want the one before or after the run", got)
	}
	kill(string(failpoint.RunRecovered), "build")
	if got := value(tableComment); got != "fn v1" {
		t.Fatalf("after the recovery the table's comment is %q, want the one before the killed run", got)
	}
	mustKiln(t, 0, dir, "build")
	if got := value(tableComment); got != "fn v2" {
		t.Fatalf("after the build the table's comment is %q, want fn v2", got)
	}
}

// TestPersistDocsContractFunctionCheck: the first build of an incremental
// model creates its table with its contract's CHECK, which calls a
// function: DuckDB 1.5.6 cannot replay a comment on its columns either,
// even in the transaction that created it (measured), so persist_docs
// columns: true fails the model and leaves no table.
func TestPersistDocsContractFunctionCheck(t *testing.T) {
	dir := smallProject(t, "database-path: target/fn.duckdb\nmodels:\n  small:\n    +persist_docs: {relation: true, columns: true}\n")
	writeProjectFile(t, dir, "models/inc_fn.sql", "{{ config(materialized='incremental') }}\nselect id, 'n' || id as name from {{ ref('prices') }}\n")
	writeProjectFile(t, dir, "models/docs.yml", `version: 2
models:
  - name: inc_fn
    description: fn
    config: {contract: {enforced: true}}
    columns:
      - name: id
        data_type: bigint
      - name: name
        data_type: varchar
        description: the name
        constraints: [{type: check, expression: "length(name) > 0"}]
`)
	out := mustKiln(t, 1, dir, "build")
	if want := `model "inc_fn": persist_docs would change the comments on columns name of table "main"."inc_fn"`; !strings.Contains(out, want) {
		t.Errorf("want %q in:\n%s", want, out)
	}
	if got, err := fnDocsValue(dir, "select count(*) from duckdb_tables() where table_name = 'inc_fn'"); err != nil || got != "0" {
		t.Errorf("after the refused build, tables inc_fn: %s (%v), want 0", got, err)
	}
}

// TestPersistDocsContractFunctionCheckTable: a table model, built anew
// in its node's transaction, with a contract whose CHECK calls a
// function and persist_docs columns: true is refused as an incremental
// one (DuckDB 1.5.6 cannot replay the comment from its write-ahead log,
// duckdb/duckdb#18259): the build fails with the reason and the hint, and
// the previous table (built without columns: true) stays as it was, its
// rows and comments; the database opens.
func TestPersistDocsContractFunctionCheckTable(t *testing.T) {
	dir := smallProject(t, "database-path: target/fn.duckdb\nmodels:\n  small:\n    +persist_docs: {relation: true, columns: false}\n")
	writeProjectFile(t, dir, "models/tab_fn.sql", "{{ config(materialized='table') }}\nselect id, 'n' || id as name from {{ ref('prices') }}\n")
	docs := func(v string) {
		writeProjectFile(t, dir, "models/docs.yml", `version: 2
models:
  - name: tab_fn
    description: fn `+v+`
    config: {contract: {enforced: true}}
    columns:
      - name: id
        data_type: bigint
      - name: name
        data_type: varchar
        description: the name `+v+`
        constraints: [{type: check, expression: "length(name) > 0"}]
`)
	}
	docs("v1")
	mustKiln(t, 0, dir, "build")
	const state = "select (select coalesce(comment, '') from duckdb_tables() where table_name = 'tab_fn') || '|' || " +
		"(select coalesce(comment, '') from duckdb_columns() where table_name = 'tab_fn' and column_name = 'name') || '|' || " +
		"(select string_agg(name, ',' order by id) from tab_fn)"
	before, err := fnDocsValue(dir, state)
	if err != nil || before != "fn v1||n1,n2,n3" {
		t.Fatalf("after the first build tab_fn is %q (%v), want fn v1||n1,n2,n3", before, err)
	}

	writeProjectFile(t, dir, "project.yml", "name: small\nmodel-paths: [models]\nseed-paths: [seeds]\ndatabase-path: target/fn.duckdb\nmodels:\n  small:\n    +persist_docs: {relation: true, columns: true}\n")
	writeProjectFile(t, dir, "models/tab_fn.sql", "{{ config(materialized='table') }}\nselect id, 'm' || id as name from {{ ref('prices') }}\n")
	docs("v2")
	out := mustKiln(t, 1, dir, "build")
	for _, want := range []string{`model "tab_fn": persist_docs would change the comments on columns name of table "main"."tab_fn"`,
		"duckdb/duckdb#18259", "nothing was changed", "set persist_docs: {relation: true, columns: false} on it"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	if got, err := fnDocsValue(dir, state); err != nil || got != before {
		t.Errorf("after the refused build tab_fn is %q (%v), want it as it was: %q", got, err, before)
	}
}
