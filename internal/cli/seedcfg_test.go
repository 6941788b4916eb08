package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeProjectFile writes text to dir's file name (slash-separated).
func writeProjectFile(t *testing.T, dir, name, text string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// duckRows runs query on dir's DuckDB database through kiln show and
// returns its rows as CSV lines, without the header.
func duckRows(t *testing.T, dir, query string) []string {
	t.Helper()
	out := mustKiln(t, 0, dir, "show", "--inline", query, "-o", "csv", "--limit", "-1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 {
		t.Fatalf("kiln show printed nothing for %s", query)
	}
	return lines[1:]
}

const seedDocs = `seeds:
  - name: prices
    description: The price list
    columns:
      - name: price
        description: In euros
      - name: gone
        description: not in the table
`

// TestSeedPersistDocs: persist_docs on a seed writes its description as
// its table's comment and each described column's as the column's (a
// column the table lacks is skipped), as dbt's seed materialization calls
// persist_docs; a reload writes the new descriptions. On DuckDB.
func TestSeedPersistDocs(t *testing.T) {
	dir := smallProject(t, "seeds:\n  small:\n    +persist_docs: {relation: true, columns: true}\n")
	writeProjectFile(t, dir, "seeds/props.yml", seedDocs)
	mustKiln(t, 0, dir, "build")
	const tables = "select comment from duckdb_tables() where table_name = 'prices'"
	const columns = "select column_name, comment from duckdb_columns() where table_name = 'prices' order by column_index"
	if got := duckRows(t, dir, tables); strings.Join(got, ";") != "The price list" {
		t.Errorf("the table's comment is %q, want The price list", got)
	}
	if got := duckRows(t, dir, columns); strings.Join(got, ";") != "id,;price,In euros" {
		t.Errorf("the columns' comments are %q, want id without, price In euros", got)
	}
	writeProjectFile(t, dir, "seeds/props.yml", strings.ReplaceAll(seedDocs, "In euros", "In euros, VAT included"))
	mustKiln(t, 0, dir, "seed")
	if got := duckRows(t, dir, columns); strings.Join(got, ";") != `id,;price,"In euros, VAT included"` {
		t.Errorf("after kiln seed, the columns' comments are %q, want price's new description", got)
	}
}

// TestSeedPersistDocsOnPostgres: TestSeedPersistDocs on PostgreSQL, where
// kiln seed alone reloads the seed's table in place (the view expensive,
// not selected, reads it): the comments are written there too.
func TestSeedPersistDocsOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := smallProject(t, pgTarget(d)+"seeds:\n  small:\n    +persist_docs: {relation: true, columns: true}\n")
	writeProjectFile(t, dir, "seeds/props.yml", seedDocs)
	mustKiln(t, 0, dir, "build")
	const tables = "select obj_description('public.prices'::regclass, 'pg_class')"
	const columns = "select attname, coalesce(col_description(attrelid, attnum), '') from pg_attribute where attrelid = 'public.prices'::regclass and attnum > 0 order by attnum"
	if got := d.query(t, tables); strings.Join(got, ";") != "The price list" {
		t.Errorf("the table's comment is %q, want The price list", got)
	}
	if got := d.query(t, columns); strings.Join(got, ";") != "id|;price|In euros" {
		t.Errorf("the columns' comments are %q, want id without, price In euros", got)
	}
	writeProjectFile(t, dir, "seeds/props.yml", strings.ReplaceAll(seedDocs, "In euros", "In euros, VAT included"))
	mustKiln(t, 0, dir, "seed")
	if got := d.query(t, columns); strings.Join(got, ";") != "id|;price|In euros, VAT included" {
		t.Errorf("after kiln seed, the columns' comments are %q, want price's new description", got)
	}
}

// pgTarget is the target: of project.yml for database d.
func pgTarget(d pgDB) string {
	return fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  sslmode: disable\n", d.host, d.port, d.user, d.db)
}

// TestLoadedAtQueryOnPostgres: dbt 1.10's loaded_at_query on PostgreSQL:
// the table's query (rendered with this) gives the load time over its
// source's loaded_at_field, and a query the server refuses is a runtime
// error at the query's position, with the server's message; a table's
// freshness merges into its source's threshold by threshold.
func TestLoadedAtQueryOnPostgres(t *testing.T) {
	d := newPGDB(t)
	d.exec(t, "create schema raw", "create table raw.loads (id int, loaded_at timestamp)",
		"insert into raw.loads values (1, '2000-01-02 03:04:05'), (2, '2999-01-01')")
	dir := smallProject(t, pgTarget(d))
	writeProjectFile(t, dir, "models/sources.yml", `version: 2
sources:
  - name: raw
    loaded_at_field: loaded_at
    freshness: {warn_after: {count: 1, period: day}}
    tables:
      - name: loads
        loaded_at_query: "select max(loaded_at) from {{ this }} where id = 1"
      - name: broken
        identifier: loads
        loaded_at_query: "select max(nope) from {{ this }}"
      - name: merged
        identifier: loads
        loaded_at_query: "select max(loaded_at) from {{ this }} where id = 1"
        freshness: {error_after: {count: 2, period: day}}
`)
	out := mustKiln(t, 1, dir, "source", "freshness")
	for _, want := range []string{
		"WARN freshness of raw.loads: loaded ", " ago, at 2000-01-02 03:04:05 UTC (warn after 1 day)",
		`ERROR freshness of raw.broken (models/sources.yml:11:26): loaded_at_query failed: `, `column "nope" does not exist`,
		// The table's error_after merges into its source's warn_after, as dbt.
		"ERROR freshness of raw.merged: loaded ", " ago, at 2000-01-02 03:04:05 UTC (warn after 1 day, error after 2 days)",
		"PASS=0 WARN=1 ERROR=1 RUNTIME_ERROR=1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kiln source freshness does not say %q:\n%s", want, out)
		}
	}
}

// TestSeedFullRefreshFalse: a seed with full_refresh: false keeps its
// table when it is reloaded, even with --full-refresh (its config wins, as
// dbt's should_full_refresh): its rows are replaced in place (dbt's
// reset_csv_table: truncate, then insert), so what was set on the table
// by hand (a comment) stays. CSV columns that changed are an error at the
// seed's file that changes nothing (dbt fails on the insert); with
// full_refresh: true the table is built anew with the new columns. A run
// that fails after the seed puts its rows back. On DuckDB.
func TestSeedFullRefreshFalse(t *testing.T) {
	dir := smallProject(t, "seeds:\n  small:\n    +full_refresh: false\n")
	mustKiln(t, 0, dir, "build")
	dbs, _ := filepath.Glob(filepath.Join(dir, "*", "*.duckdb"))
	if len(dbs) != 1 {
		t.Fatalf("DuckDB files %v, want one", dbs)
	}
	duckQuery(t, dbs[0], "comment on table main.prices is 'by hand'")
	comment := "select comment from duckdb_tables() where table_name = 'prices'"
	if got := duckRows(t, dir, comment); strings.Join(got, ";") != "by hand" {
		t.Fatalf("the table's comment is %q, want by hand", got)
	}
	writeSeed(t, dir, "id,price\n1,10.5\n2,20.25\n3,7\n4,30\n")
	for _, args := range [][]string{{"seed"}, {"build", "--full-refresh"}} {
		mustKiln(t, 0, dir, args...)
		if got := duckRows(t, dir, comment); strings.Join(got, ";") != "by hand" {
			t.Errorf("after kiln %s, the table's comment is %q, want by hand (the table kept)", strings.Join(args, " "), got)
		}
		if got := duckRows(t, dir, "select id, price from main.prices order by id"); strings.Join(got, ";") != "1,10.5;2,20.25;3,7;4,30" {
			t.Errorf("after kiln %s, prices = %q, want the new rows", strings.Join(args, " "), got)
		}
	}
	// A later node fails: the seed's rows are put back in its table.
	writeSeed(t, dir, "id,price\n1,1\n")
	writeProjectFile(t, dir, "models/boom.sql", "{{ config(materialized='table') }}\nselect cast('x' || id as integer) as x from {{ ref('prices') }}\n")
	mustKiln(t, 1, dir, "build", "--select", "prices", "boom")
	if got := duckRows(t, dir, "select count(*) from main.prices"); strings.Join(got, ";") != "4" {
		t.Errorf("after the failed run, prices holds %q rows, want the 4 before it", got)
	}
	if err := os.Remove(filepath.Join(dir, "models", "boom.sql")); err != nil {
		t.Fatal(err)
	}
	// New columns: refused, nothing changes.
	writeSeed(t, dir, "id,price,note\n1,10.5,a\n")
	out := mustKiln(t, 1, dir, "seed")
	for _, want := range []string{"seeds/prices.csv", `seed "prices": the columns of seeds/prices.csv changed ("note" is new) and its full_refresh: false keeps its table`, "set full_refresh: true"} {
		if !strings.Contains(out, want) {
			t.Errorf("kiln seed does not say %q:\n%s", want, out)
		}
	}
	if got := duckRows(t, dir, "select count(*) from main.prices"); strings.Join(got, ";") != "4" {
		t.Errorf("after the refused seed, prices holds %q rows, want 4", got)
	}
	// full_refresh: true builds the table anew.
	writeProjectFile(t, dir, "project.yml", strings.Replace(string(readFile(t, filepath.Join(dir, "project.yml"))), "+full_refresh: false", "+full_refresh: true", 1))
	mustKiln(t, 0, dir, "seed")
	if got := duckRows(t, dir, "select id, price, note from main.prices"); strings.Join(got, ";") != "1,10.5,a" {
		t.Errorf("with full_refresh: true, prices = %q, want the new columns", got)
	}
	if got := duckRows(t, dir, comment); strings.Join(got, ";") != "" {
		t.Errorf("with full_refresh: true, the table's comment is %q, want none (a new table)", got)
	}
}

// TestSeedFullRefreshFalseOnPostgres: TestSeedFullRefreshFalse on
// PostgreSQL: kiln build --full-refresh rebuilds the view that reads the
// seed, which would let the seed's table be built anew; full_refresh:
// false keeps it (same oid, its comment) and reloads its rows in place.
func TestSeedFullRefreshFalseOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := smallProject(t, pgTarget(d)+"seeds:\n  small:\n    +full_refresh: false\n")
	mustKiln(t, 0, dir, "build")
	d.exec(t, "comment on table public.prices is 'by hand'")
	oid := d.query(t, "select 'public.prices'::regclass::oid")
	writeSeed(t, dir, "id,price\n1,10.5\n2,20.25\n3,7\n4,30\n")
	mustKiln(t, 0, dir, "build", "--full-refresh")
	if got := d.query(t, "select 'public.prices'::regclass::oid"); strings.Join(got, ",") != strings.Join(oid, ",") {
		t.Errorf("prices was recreated (oid %v, was %v)", got, oid)
	}
	if got := d.query(t, "select obj_description('public.prices'::regclass, 'pg_class')"); strings.Join(got, ",") != "by hand" {
		t.Errorf("prices' comment is %v, want by hand", got)
	}
	if got := d.query(t, "select n, total from marts.summary"); strings.Join(got, ",") != "3|60.75" {
		t.Errorf("marts.summary = %v, want [3|60.75] on the new rows", got)
	}
	writeSeed(t, dir, "id,price,note\n1,10.5,a\n")
	out := mustKiln(t, 1, dir, "build", "--full-refresh")
	if want := `seed "prices": the columns of seeds/prices.csv changed ("note" is new) and its full_refresh: false keeps its table`; !strings.Contains(out, want) {
		t.Errorf("kiln build does not say %q:\n%s", want, out)
	}
	if got := d.query(t, "select count(*) from public.prices"); strings.Join(got, ",") != "4" {
		t.Errorf("after the refused seed, prices holds %v rows, want 4", got)
	}
}
