package cli

import (
	"strings"
	"testing"
)

// docsProject adds to smallProject (extra: its database) an append and a
// merge incremental model and a snapshot of the seed prices and a
// microbatch model of the seed events, all with
// persist_docs, described by docsYML(v); the model fail fails when the
// var fail is 1, after the three are built (it reads them).
func docsProject(t *testing.T, extra string) string {
	t.Helper()
	dir := smallProject(t, "snapshot-paths: [snapshots]\n"+extra+
		"models:\n  small:\n    +persist_docs: {relation: true, columns: true}\nsnapshots:\n  small:\n    +persist_docs: {relation: true, columns: true}\n")
	writeProjectFile(t, dir, "models/inc_append.sql", "{{ config(materialized='incremental') }}\nselect id, price from {{ ref('prices') }}\n")
	writeProjectFile(t, dir, "models/inc_merge.sql", "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id') }}\nselect id, price from {{ ref('prices') }}\n")
	writeProjectFile(t, dir, "seeds/events.csv", "id,d,amount\n1,2024-03-01,5\n2,2025-06-01,7\n")
	writeProjectFile(t, dir, "seeds/_seeds.yml", "version: 2\nseeds:\n  - name: events\n    config:\n      event_time: d\n      column_types: {d: timestamp, amount: integer}\n")
	writeProjectFile(t, dir, "models/inc_micro.sql", "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='year', begin='2023-01-01') }}\n"+
		"{% if target.type == 'postgres' %}{{ config(unique_key='id') }}{% endif %}\n"+ // dbt-postgres merges each batch on it
		"select id, amount as price, d from {{ ref('events') }}\n")
	writeProjectFile(t, dir, "models/fail.sql", "{{ config(materialized='table') }}\n"+
		"select (select count(*) from {{ ref('inc_append') }}) + (select count(*) from {{ ref('inc_merge') }}) + (select count(*) from {{ ref('inc_micro') }}) + (select count(*) from {{ ref('snap') }}) as n\n"+
		"{% if var('fail', 0) == 1 %}from no_such_table{% endif %}\n")
	writeDocs(t, dir, "v1")
	return dir
}

// writeDocs writes docsProject's descriptions, each ending in v.
func writeDocs(t *testing.T, dir, v string) {
	t.Helper()
	models, snap := docsYML(v)
	writeProjectFile(t, dir, "models/docs.yml", models)
	writeProjectFile(t, dir, "snapshots/snap.yml", snap)
}

// docsYML describes the four nodes of docsProject, each text ending in
// v: the models' file and the snapshot's.
func docsYML(v string) (models, snap string) {
	node := func(kind, name string) string {
		return "  - name: " + name + "\n    description: " + name + " " + v + "\n    columns:\n      - name: price\n        description: price of " + name + " " + v + "\n"
	}
	return "version: 2\nmodels:\n" + node("model", "inc_append") + node("model", "inc_merge") + node("model", "inc_micro"),
		"snapshots:\n" + node("snapshot", "snap") + "    relation: ref('prices')\n    config: {unique_key: id, strategy: check, check_cols: all}\n"
}

// wantDocs is what docsComments reads when the descriptions end in v.
func wantDocs(v string) string {
	var out []string
	for _, n := range []string{"inc_append", "inc_merge", "inc_micro", "snap"} {
		out = append(out, n+"|"+n+" "+v+"|id|", n+"|"+n+" "+v+"|price|price of "+n+" "+v)
	}
	return strings.Join(out, ";")
}

// persistDocsRuns runs docsProject's builds on one database: the comments
// after a first build, after a second build with new descriptions that
// fails (fail's bad SQL, then a failing post-hook of inc_merge) and
// after a third that succeeds. comments reads (table, table comment,
// column, column comment) rows of the four tables, "" for none.
func persistDocsRuns(t *testing.T, dir string, comments func() string) {
	mustKiln(t, 0, dir, "build")
	if got := comments(); got != wantDocs("v1") {
		t.Fatalf("after the first build the comments are\n%s\nwant\n%s", got, wantDocs("v1"))
	}
	writeDocs(t, dir, "v2")
	mustKiln(t, 1, dir, "build", "--vars", "{fail: 1}")
	if got := comments(); got != wantDocs("v1") {
		t.Fatalf("after a failed build the comments are\n%s\nwant the first build's\n%s", got, wantDocs("v1"))
	}
	merge := "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id', post_hook=\"select cast('x' || 'y' as integer)\") }}\nselect id, price from {{ ref('prices') }}\n"
	writeProjectFile(t, dir, "models/inc_merge.sql", merge)
	mustKiln(t, 1, dir, "build", "--select", "inc_append", "inc_merge", "inc_micro", "snap")
	if got := comments(); got != wantDocs("v1") {
		t.Fatalf("after a build whose post-hook failed the comments are\n%s\nwant the first build's\n%s", got, wantDocs("v1"))
	}
	writeProjectFile(t, dir, "models/inc_merge.sql", strings.Replace(merge, "select cast('x' || 'y' as integer)", "select 1", 1))
	mustKiln(t, 0, dir, "build")
	if got := comments(); got != wantDocs("v2") {
		t.Fatalf("after the third build the comments are\n%s\nwant\n%s", got, wantDocs("v2"))
	}
}

// TestPersistDocsIncrementalAndSnapshot: persist_docs on incremental
// models (append, merge) and a snapshot writes their comments at every
// build, as dbt's materializations; a failed build (a bad SQL after
// them, a failing post-hook) leaves the previous comments, which the
// journal kept with its copy of each table. On DuckDB.
func TestPersistDocsIncrementalAndSnapshot(t *testing.T) {
	dir := docsProject(t, "")
	persistDocsRuns(t, dir, func() string {
		csv := strings.Join(duckRows(t, dir, "select t.table_name, coalesce(t.comment, ''), c.column_name, coalesce(c.comment, '')"+
			" from duckdb_tables() t join duckdb_columns() c using (database_name, schema_name, table_name)"+
			" where t.table_name in ('inc_append', 'inc_merge', 'inc_micro', 'snap') and c.column_name in ('id', 'price')"+
			" order by t.table_name, c.column_index"), ";")
		return strings.ReplaceAll(csv, ",", "|") // no description has a comma
	})
}

// TestPersistDocsIncrementalAndSnapshotOnPostgres:
// TestPersistDocsIncrementalAndSnapshot on PostgreSQL, where COMMENT is
// in the node's transaction and the journal puts the comments back.
func TestPersistDocsIncrementalAndSnapshotOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := docsProject(t, pgTarget(d))
	persistDocsRuns(t, dir, func() string {
		return strings.Join(d.query(t, "select c.relname, coalesce(obj_description(c.oid, 'pg_class'), ''), a.attname, coalesce(col_description(c.oid, a.attnum), '')"+
			" from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid"+
			" where n.nspname = 'public' and c.relname in ('inc_append', 'inc_merge', 'inc_micro', 'snap') and a.attname in ('id', 'price')"+
			" order by c.relname, a.attnum"), ";")
	})
}
