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
// error at the query's position, with the server's message.
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
`)
	out := mustKiln(t, 1, dir, "source", "freshness")
	for _, want := range []string{
		"WARN freshness of raw.loads: loaded ", " ago, at 2000-01-02 03:04:05 UTC (warn after 1 day)",
		`ERROR freshness of raw.broken (models/sources.yml:11:26): loaded_at_query failed: `, `column "nope" does not exist`,
		"PASS=0 WARN=1 ERROR=0 RUNTIME_ERROR=1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kiln source freshness does not say %q:\n%s", want, out)
		}
	}
}
