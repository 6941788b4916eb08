package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestRollbackSnapshotIndexedDuckDB: on DuckDB an index made by hand on
// a snapshot's table forbids dropping the columns a failed run added (the
// source gained one), so the rollback cannot give the table its columns
// back in place. It creates the table again from the definition the
// journal saved with the rows (its create table, its indexes, its
// comments) and inserts the rows: the index, the not null, the default
// and the comments are as before the run, under a name that needs
// quotes, and the summary does not say a copy was put back. No refusal
// is needed before the run changes the table, unlike an incremental
// model's on_schema_change (TestRollbackIndexedDuckDB): nothing is lost.
func TestRollbackSnapshotIndexedDuckDB(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "target", "sx.duckdb")
	writeTree(t, dir, map[string]string{
		"project.yml": "name: sx\nmodel-paths: [models]\nsnapshot-paths: [snapshots]\ndatabase-path: target/sx.duckdb\n",
		"models/src.sql": "{{ config(materialized='table') }}\n" +
			"select cast(id as integer) as id, cast(amount as integer) as amount{{ var('extra', '') }}\n" +
			"from (values (1, 10), (2, {{ var('amount', 20) }})) as t(id, amount)\n",
		"snapshots/snap.yml": "snapshots:\n  - name: Snap Shot\n    relation: ref('src')\n    config: {unique_key: id, strategy: check, check_cols: all}\n",
		"models/after.sql":   "{{ config(materialized='table') }}\nselect count(*) + cast('{{ var('one', '1') }}' as integer) as n from {{ ref('Snap Shot') }}\n",
	})
	mustKiln(t, 0, dir, "build")
	const snap = `main."Snap Shot"`
	for _, q := range []string{
		"alter table " + snap + " alter column id set not null",
		"alter table " + snap + " alter column amount set default 0",
		"comment on table " + snap + " is 'history'",
		"comment on column " + snap + ".amount is 'in cents'",
		"create index \"by amount\" on " + snap + " (amount)", // last: it forbids altering the table
	} {
		duckQuery(t, path, q)
	}
	definition := func() string {
		t.Helper()
		rows := duckQuery(t, path, `select column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '-') || ' ' || coalesce(comment, '-')
from duckdb_columns() where table_name = 'Snap Shot' order by column_index`)
		rows = append(rows, duckQuery(t, path, `select index_name || ': ' || sql from duckdb_indexes() where table_name = 'Snap Shot'`)...)
		rows = append(rows, duckQuery(t, path, `select comment from duckdb_tables() where table_name = 'Snap Shot'`)...)
		return strings.Join(rows, "\n")
	}
	rows := func() string {
		return strings.Join(duckQuery(t, path, `select id || ':' || amount || ':' || (dbt_valid_to is null) from `+snap+` order by id, dbt_valid_from`), ",")
	}
	want, wantRows := definition(), rows()
	for _, s := range []string{"by amount", "id INTEGER false", "0 in cents", "history"} {
		if !strings.Contains(want, s) {
			t.Fatalf("the definition before the run lacks %q:\n%s", s, want)
		}
	}

	// The source gains a column and a changed row; the snapshot adds the
	// column and a version, then after fails and the run rolls back.
	out := mustKiln(t, 1, dir, "build", "--vars", `{one: "no", extra: ", 'x' as note", amount: 25}`)
	if !strings.Contains(out, "restored") || strings.Contains(out, "put back from a copy") {
		t.Fatalf("the failed run's summary:\n%s", out)
	}
	if got := definition(); got != want {
		t.Errorf("definition after the rollback:\n%s\nwant\n%s", got, want)
	}
	if got := rows(); got != wantRows {
		t.Errorf("rows after the rollback: %s, want %s", got, wantRows)
	}
	if got := strings.Join(duckQuery(t, path, "select count(*) from information_schema.tables where table_name like '%kiln_prev%'"), ""); got != "0" {
		t.Errorf("%s copies left after the rollback", got)
	}

	// The next run works in the table, which still refuses a NULL id.
	mustKiln(t, 0, dir, "build", "--vars", `{amount: 25}`)
	if got := rows(); got != "1:10:true,2:20:false,2:25:true" {
		t.Errorf("rows after the next run: %s", got)
	}
	if got := strings.Join(duckQuery(t, path, "select index_name from duckdb_indexes() where table_name = 'Snap Shot'"), ","); got != "by amount" {
		t.Errorf("indexes after the next run: %q", got)
	}
}

// TestRecoverSaysCopy: a run killed after its incremental model dropped
// a column (on_schema_change: sync_all_columns) leaves the journal's copy
// of the table; the next start puts the table back. It creates the table
// again from the definition the journal saved (DuckDB's
// duckdb_tables().sql, PostgreSQL's catalog), so its not null and
// default are as before and the start says only that the run's
// relations were restored, not that a copy was put back (on PostgreSQL,
// before it read a table's definition, it renamed the copy back and said
// so, with what the copy lacks; and the recovery failed at every start
// when a view or another table's foreign key depended on the table,
// which the PostgreSQL case has).
func TestRecoverSaysCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiln binary")
	}
	bin := buildKiln(t)
	for _, db := range []string{"duckdb", "postgres"} {
		t.Run(db, func(t *testing.T) {
			dir := t.TempDir()
			target, schema := "database-path: target/rc.duckdb\n", "main"
			path := filepath.Join(dir, "target", "rc.duckdb")
			query := func(q string) []string { return duckQuery(t, path, q) }
			if db == "postgres" {
				d := newPGDB(t)
				target = fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n  sslmode: disable\n", d.host, d.port, d.user, d.db)
				schema = "analytics"
				query = func(q string) []string { return d.query(t, q) }
			}
			writeTree(t, dir, map[string]string{
				"project.yml": "name: rc\nmodel-paths: [models]\n" + target,
				"models/inc.sql": "{{ config(materialized='incremental', unique_key='id', on_schema_change='sync_all_columns') }}\n" +
					"select id, val{{ var('gone', ', gone') }} from (values (1, 'a', 7), (2, 'b', 8)) as t(id, val, gone)\n",
			})
			mustKiln(t, 0, dir, "build")
			query("alter table " + schema + ".inc alter column val set not null")
			query("alter table " + schema + ".inc alter column val set default 'dflt'")
			columns := func() string {
				return strings.Join(query(`select column_name || ':' || is_nullable || ':' || coalesce(column_default, '-') from information_schema.columns
where table_schema = '`+schema+`' and table_name = 'inc' order by ordinal_position`), ",")
			}
			want := columns()
			if !strings.Contains(want, "val:NO:'dflt'") {
				t.Fatalf("columns before the run: %s", want)
			}
			if db == "postgres" {
				// A view and another table's foreign key depend on the
				// table: the recovery drops them with it and puts them back.
				query("alter table analytics.inc add primary key (id)")
				query("create table analytics.child (inc_id int references analytics.inc (id))")
				query("create view analytics.outside as select id, val from analytics.inc")
				want = columns()
			}
			p := startKilnEnv(t, bin, dir, []string{"KILN_FAILPOINT=node.committed:1:kill"}, "build", "--vars", "{gone: ''}")
			<-p.done
			if got := columns(); !strings.HasPrefix(got, "id:") || strings.Contains(got, "gone") {
				t.Fatalf("the killed run did not drop the column (%v): %s\n%s", p.err, got, p.stderr.String())
			}
			out := mustKiln(t, 0, dir, "build")
			if !strings.Contains(out, "was killed before it committed; the 1 relation it had changed was restored first") {
				t.Fatalf("the next start did not restore the table:\n%s", out)
			}
			if strings.Contains(out, "put back from a copy") {
				t.Errorf("the next start says a copy was put back:\n%s", out)
			}
			if got := columns(); got != want {
				t.Errorf("columns after the recovery: %s, want %s", got, want)
			}
			if db == "postgres" {
				got := strings.Join(query(`select (select string_agg(id || val, ',' order by id) from analytics.outside) || ' ' ||
(select string_agg(pg_get_constraintdef(oid), ',') from pg_constraint where confrelid = 'analytics.inc'::regclass)`), "")
				if got != "1a,2b FOREIGN KEY (inc_id) REFERENCES analytics.inc(id)" {
					t.Errorf("the view and the foreign key after the recovery: %s", got)
				}
			}
		})
	}
}
