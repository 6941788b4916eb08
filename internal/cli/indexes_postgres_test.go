package cli

import (
	"fmt"
	"strings"
	"testing"
)

// indexesProject writes a project on d with a seed, a table, a view, an
// incremental model and a snapshot, each with dbt-postgres's indexes
// config (the view's has no effect, as in dbt), and the files of extra.
func indexesProject(t *testing.T, dir string, d pgDB, extra map[string]string) {
	t.Helper()
	files := map[string]string{
		"project.yml": fmt.Sprintf("name: ix\nmodel-paths: [models]\nseed-paths: [seeds]\nsnapshot-paths: [snapshots]\n"+
			"target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n  threads: 2\n"+
			"seeds:\n  ix:\n    +indexes:\n      - columns: [id]\n        unique: true\n", d.host, d.port, d.user, d.db),
		"seeds/prices.csv": "id,price\n1,10.5\n2,20.25\n3,7\n",
		"models/v.sql":     "{{ config(materialized='view', indexes=[{'columns': ['id']}]) }}\nselect id, price from {{ ref('prices') }}\n",
		"models/t.sql": "{{ config(materialized='table', indexes=[{'columns': ['id'], 'unique': True}, {'columns': ['price'], 'type': 'hash'}, {'columns': ['id', 'price desc']}]) }}\n" +
			"select id, price from {{ ref('v') }}\n",
		"models/inc.sql": "{{ config(materialized='incremental', unique_key='id', indexes=[{'columns': ['price'], 'type': 'brin'}]) }}\nselect id, price from {{ ref('prices') }}\n" +
			"{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n",
		"snapshots/snap.sql": "{% snapshot snap %}\n{{ config(target_schema='snapshots', unique_key='id', strategy='check', check_cols='all', indexes=[{'columns': ['id', 'dbt_valid_to']}]) }}\n" +
			"select id, price from {{ ref('prices') }}\n{% endsnapshot %}\n",
	}
	for name, text := range extra {
		files[name] = text
	}
	writeTree(t, dir, files)
}

// TestIndexesOnPostgres: the indexes config of a seed, a table, an
// incremental model and a snapshot makes exactly those indexes on
// PostgreSQL (uniqueness, method, columns as written), as dbt-postgres
// makes them; a second build, which keeps the previous table aside until
// it commits, makes them anew on the rebuilt relations and leaves the
// incremental model's and the snapshot's as they were, with no index
// left over; a unique index over duplicate keys fails its node and
// leaves the previous table and its indexes.
func TestIndexesOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := t.TempDir()
	indexesProject(t, dir, d, nil)
	// Every index of the database but the catalog's and kiln's own, the
	// name (an MD5, new to every build) left out of its definition.
	indexes := func() string {
		t.Helper()
		rows := d.query(t, `select schemaname || '.' || tablename || ': ' || regexp_replace(indexdef, 'INDEX "?[0-9a-f]{32}"? ON \S+ ', 'INDEX ON ')
from pg_indexes where schemaname not in ('pg_catalog', 'kiln_history') order by 1`)
		return strings.Join(rows, "\n")
	}
	want := strings.Join([]string{
		"analytics.inc: CREATE INDEX ON USING brin (price)",
		"analytics.prices: CREATE UNIQUE INDEX ON USING btree (id)",
		"analytics.t: CREATE INDEX ON USING btree (id, price DESC)",
		"analytics.t: CREATE INDEX ON USING hash (price)",
		"analytics.t: CREATE UNIQUE INDEX ON USING btree (id)",
		"snapshots.snap: CREATE INDEX ON USING btree (id, dbt_valid_to)",
	}, "\n")
	if out := mustKiln(t, 0, dir, "build"); !strings.Contains(out, `warning: indexes have no effect on a view or an ephemeral model, which have no table to index (as in dbt, they are ignored): model "v" (view);`) {
		t.Errorf("the first build does not say that the view's indexes have no effect:\n%s", out)
	}
	if got := indexes(); got != want {
		t.Fatalf("after the first build:\n%s\nwant\n%s", got, want)
	}
	first := d.query(t, `select tablename, indexname from pg_indexes where schemaname in ('analytics', 'snapshots') order by 1, 2`)

	// The second build, --full-refresh: the seed, the table and the
	// incremental model are built anew (their previous versions aside
	// until the commit, with their indexes), the snapshot is kept with
	// its index.
	mustKiln(t, 0, dir, "build", "--full-refresh")
	if got := indexes(); got != want {
		t.Fatalf("after the second build:\n%s\nwant\n%s", got, want)
	}
	list := func() []string {
		return d.query(t, `select tablename, indexname from pg_indexes where schemaname in ('analytics', 'snapshots') order by 1, 2`)
	}
	keptOf := func(before, after []string, inPlace map[string]bool) {
		t.Helper()
		was := map[string]bool{}
		for _, r := range before {
			was[r] = true
		}
		for _, r := range after {
			table, _, _ := strings.Cut(r, "|")
			if was[r] != inPlace[table] {
				t.Errorf("index %s: kept from the build before %v, want %v", r, was[r], inPlace[table])
			}
		}
	}
	second := list()
	keptOf(first, second, map[string]bool{"snap": true})

	// The incremental model applied to its table keeps its index.
	mustKiln(t, 0, dir, "run", "--select", "inc")
	if got := indexes(); got != want {
		t.Fatalf("after an incremental run:\n%s\nwant\n%s", got, want)
	}
	keptOf(second, list(), map[string]bool{"snap": true, "inc": true, "prices": true, "t": true})

	// Duplicate keys under t's unique index: t fails, and keeps its
	// previous version, its rows and its indexes.
	before := d.query(t, `select tablename || '|' || indexname from pg_indexes where schemaname = 'analytics' and tablename = 't' order by 1`)
	indexesProject(t, dir, d, map[string]string{
		"models/t.sql": "{{ config(materialized='table', indexes=[{'columns': ['id'], 'unique': True}, {'columns': ['price'], 'type': 'hash'}, {'columns': ['id', 'price desc']}]) }}\n" +
			"select id, price from {{ ref('v') }} union all select 1, 99\n",
	})
	incBefore := d.query(t, `select indexname from pg_indexes where schemaname = 'analytics' and tablename = 'inc'`)
	out := mustKiln(t, 1, dir, "run", "--select", "inc", "t")
	if !strings.Contains(out, `model "t": creating its unique index on (id): `) || !strings.Contains(out, "could not create unique index") {
		t.Errorf("the failure does not say which index failed and why:\n%s", out)
	}
	if got := d.query(t, "select count(*), max(price) from analytics.t"); got[0] != "3|20.25" {
		t.Errorf("analytics.t after the failed build: %v, want its previous 3 rows", got)
	}
	after := d.query(t, `select tablename || '|' || indexname from pg_indexes where schemaname = 'analytics' and tablename = 't' order by 1`)
	if strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("t's indexes after the failed build: %v, want those before it: %v", after, before)
	}
	// The run is rolled back: inc, applied in place, gets its rows back
	// in the table itself, which keeps its index (the same one).
	if !strings.Contains(out, "restored") {
		t.Errorf("the failed run did not restore what it changed:\n%s", out)
	}
	if got := indexes(); got != want {
		t.Errorf("after the failed build:\n%s\nwant\n%s", got, want)
	}
	if got := d.query(t, `select indexname from pg_indexes where schemaname = 'analytics' and tablename = 'inc'`); strings.Join(got, ",") != strings.Join(incBefore, ",") {
		t.Errorf("inc's indexes after the rollback: %v, want those before the run: %v", got, incBefore)
	}

	// With --no-rollback, the run keeps what succeeded: t's failing index
	// is in t's own transaction, so t is still its previous version.
	mustKiln(t, 1, dir, "run", "--select", "t", "--no-rollback")
	if got := d.query(t, "select count(*), max(price) from analytics.t"); got[0] != "3|20.25" {
		t.Errorf("analytics.t after the failed build with --no-rollback: %v, want its previous 3 rows", got)
	}
	after = d.query(t, `select tablename || '|' || indexname from pg_indexes where schemaname = 'analytics' and tablename = 't' order by 1`)
	if strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("t's indexes after the failed build with --no-rollback: %v, want those before it: %v", after, before)
	}
}

// TestMicrobatchIndexesOnPostgres: a microbatch model's indexes are made
// when its table is created, as dbt's incremental materialization makes
// them, and kept when later batches replace rows in place.
func TestMicrobatchIndexesOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := t.TempDir()
	indexesProject(t, dir, d, map[string]string{
		"models/mb.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='year', begin='2024-01-01', unique_key='id', indexes=[{'columns': ['id'], 'unique': True}]) }}\n" +
			"select d, id from {{ ref('events') }} as e\n",
		"seeds/events.csv": "d,id\n2024-06-01 00:00:00,1\n2025-06-01 00:00:00,2\n",
		"seeds/_seeds.yml": "version: 2\nseeds:\n  - name: events\n    config:\n      event_time: d\n      column_types: {d: timestamp}\n",
	})
	mbIndexes := func() []string {
		return d.query(t, `select indexname || '|' || regexp_replace(indexdef, 'INDEX "?[0-9a-f]{32}"? ON \S+ ', 'INDEX ON ') from pg_indexes where schemaname = 'analytics' and tablename = 'mb'`)
	}
	mustKiln(t, 0, dir, "build", "--select", "+mb")
	first := mbIndexes()
	if len(first) != 1 || !strings.HasSuffix(first[0], "|CREATE UNIQUE INDEX ON USING btree (id)") {
		t.Fatalf("mb's indexes after its first build: %v, want one unique index on id", first)
	}
	mustKiln(t, 0, dir, "run", "--select", "mb")
	if got := mbIndexes(); strings.Join(got, ",") != strings.Join(first, ",") {
		t.Errorf("mb's indexes after a run in place: %v, want those of its first build: %v", got, first)
	}
	if got := d.query(t, "select count(*) from analytics.mb"); got[0] != "2" {
		t.Errorf("analytics.mb has %v rows, want 2", got)
	}
}
