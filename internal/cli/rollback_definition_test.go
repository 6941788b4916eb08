package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestRollbackKeepsDefinition: a run that changes an incremental model's
// table and a snapshot's in place, then fails, gives both tables back
// their rows and their definition as they were: the primary key, NOT
// NULL, default and check the user added to them after kiln built them,
// an index a post-hook made (its name too), and the columns
// (on_schema_change: append_new_columns added one in the failed run). A
// copy of the table renamed back (create table as select) would have
// the rows and nothing else. Then the next run works in the table that
// still holds them. On DuckDB and PostgreSQL.
func TestRollbackKeepsDefinition(t *testing.T) {
	for _, db := range []string{"duckdb", "postgres"} {
		t.Run(db, func(t *testing.T) {
			dir := t.TempDir()
			var target, schema string
			var query func(string) []string
			var exec func(...string)
			if db == "duckdb" {
				target, schema = "database-path: target/rb.duckdb\n", "main"
				path := filepath.Join(dir, "target", "rb.duckdb")
				query = func(q string) []string { return duckQuery(t, path, q) }
				exec = func(qs ...string) {
					for _, q := range qs {
						duckQuery(t, path, q)
					}
				}
			} else {
				d := newPGDB(t)
				target = fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  schema: analytics\n  sslmode: disable\n", d.host, d.port, d.user, d.db)
				schema = "analytics"
				query = func(q string) []string { return d.query(t, q) }
				exec = func(qs ...string) { d.exec(t, qs...) }
			}
			// The index is made by a post-hook on PostgreSQL (on DuckDB, an
			// index forbids the alter table below that adds the primary
			// key; TestRollbackIndexedDuckDB has an index there).
			hook := ""
			if db == "postgres" {
				hook = `, post_hook="create index if not exists inc_by_amount on {{ this }} (amount)"`
			}
			writeTree(t, dir, map[string]string{
				"project.yml": "name: rb\nmodel-paths: [models]\nsnapshot-paths: [snapshots]\n" + target,
				"models/inc.sql": "{{ config(materialized='incremental', unique_key='id', incremental_strategy='delete+insert', on_schema_change='append_new_columns'" + hook + ") }}\n" +
					"select cast(id as integer) as id, cast(status as varchar) as status, cast(amount as integer) as amount{{ var('extra', '') }}\n" +
					"from (values (1, 'new', 10), (2, 'paid', {{ var('amount', 20) }}){{ var('rows', '') }}) as t(id, status, amount)\n",
				"snapshots/snap.yml": "snapshots:\n  - name: snap\n    relation: ref('inc')\n    config: {unique_key: id, strategy: check, check_cols: all}\n",
				"models/after.sql":   "{{ config(materialized='table') }}\nselect count(*) + cast('{{ var('one', '1') }}' as integer) as n from {{ ref('snap') }}\n",
			})
			mustKiln(t, 0, dir, "build")
			exec(
				"alter table "+schema+".inc add primary key (id)",
				"alter table "+schema+".inc alter column status set not null",
				"alter table "+schema+".inc alter column status set default 'new'",
				"alter table "+schema+".snap alter column amount set default 0",
				"alter table "+schema+".snap alter column id set not null",
			)
			if db == "postgres" {
				// A view outside the project reads inc: PostgreSQL binds it
				// to the table itself, so a rollback that dropped inc would
				// fail (and fail again at every start after).
				exec("alter table analytics.inc add constraint amount_positive check (amount > 0)",
					"create view analytics.outside as select id, amount from analytics.inc")
			}
			// Each table's columns (name, type, default, nullable), and its
			// constraints and indexes as the catalog defines them.
			definition := func() string {
				t.Helper()
				rows := query(`select table_name || '.' || column_name || ' ' || data_type || ' default ' || coalesce(column_default, '-') || ' nullable ' || is_nullable
from information_schema.columns where table_schema = '` + schema + `' and table_name in ('inc', 'snap') order by table_name, ordinal_position`)
				if db == "duckdb" {
					rows = append(rows, query(`select table_name || ': ' || constraint_text from duckdb_constraints()
where schema_name = 'main' and table_name in ('inc', 'snap') order by 1`)...)
				} else {
					rows = append(rows, query(`select conrelid::regclass::text || ': ' || conname || ' ' || pg_get_constraintdef(oid) from pg_constraint
where conrelid in ('analytics.inc'::regclass, 'analytics.snap'::regclass) order by 1`)...)
					rows = append(rows, query(`select indexdef from pg_indexes where schemaname = 'analytics' order by 1`)...)
				}
				return strings.Join(rows, "\n")
			}
			rows := func() string {
				return strings.Join(query("select id, status, amount from "+schema+".inc order by id"), ",") + " / " +
					strings.Join(query("select count(*) from "+schema+".snap"), "")
			}
			want := definition()
			for _, s := range []string{"PRIMARY KEY", "nullable NO", "default 'new'", "default 0"} {
				if !strings.Contains(want, s) {
					t.Fatalf("the definition before the run lacks %q (the test's alter table did not apply):\n%s", s, want)
				}
			}
			if db == "postgres" && (!strings.Contains(want, "inc_by_amount") || !strings.Contains(want, "CHECK ((amount > 0))")) {
				t.Fatalf("the definition before the run lacks the post-hook's index or the check:\n%s", want)
			}
			wantRows := rows()

			// The failing run: inc gets a new column and rows, snap new
			// versions, then after fails and the run rolls back.
			out := mustKiln(t, 1, dir, "build", "--vars", `{one: "no", extra: ", 'x' as note", amount: 25, rows: ", (3, 'new', 30)"}`)
			if !strings.Contains(out, "restored") {
				t.Fatalf("the failed run did not restore what it changed:\n%s", out)
			}
			if got := rows(); got != wantRows {
				t.Errorf("rows after the rollback: %s, want %s", got, wantRows)
			}
			if got := definition(); got != want {
				t.Errorf("definition after the rollback:\n%s\nwant\n%s", got, want)
			}
			if got := query("select count(*) from information_schema.tables where table_name like '%kiln_prev%'"); strings.Join(got, "") != "0" {
				t.Errorf("%v copies left after the rollback", got)
			}
			if db == "postgres" {
				if got := strings.Join(query("select sum(amount) from analytics.outside"), ""); got != "30" {
					t.Errorf("the view outside the project reads %s after the rollback, want 30", got)
				}
			}

			// The next run changes the tables that still hold their
			// definition: a NULL status is refused by the table.
			mustKiln(t, 0, dir, "build", "--vars", `{rows: ", (3, 'new', 30)"}`)
			if got := definition(); got != want {
				t.Errorf("definition after the next run:\n%s\nwant\n%s", got, want)
			}
			out = mustKiln(t, 1, dir, "build", "--select", "inc", "--vars", `{rows: ", (4, null, 40)"}`)
			if !strings.Contains(strings.ToLower(out), "not null constraint failed") && !strings.Contains(out, "violates not-null constraint") {
				t.Errorf("a NULL status was not refused by the table:\n%s", out)
			}
		})
	}
}

// TestRollbackIndexedDuckDB: on DuckDB an index made by hand on an
// incremental model's table lets a column be added but forbids dropping
// or retyping one. A run whose on_schema_change only adds columns
// (append_new_columns, or sync_all_columns adding) goes on, and when it
// fails later its rollback creates the table again from its saved
// definition: the index, primary key, default, comment and rows are as
// before, no copy is left, and the next run adds the column. A run whose
// sync_all_columns would drop or retype a column fails at the model
// before it changes anything, saying why and what to do.
func TestRollbackIndexedDuckDB(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "target", "ix.duckdb")
	writeTree(t, dir, map[string]string{
		"project.yml": "name: ix\nmodel-paths: [models]\ndatabase-path: target/ix.duckdb\n",
		"models/inc.sql": "{{ config(materialized='incremental', unique_key='id', on_schema_change=var('osc', 'append_new_columns')) }}\n" +
			"select cast(id as integer) as id, cast(amount as {{ var('atype', 'integer') }}) as amount{{ var('extra', '') }}\n" +
			"from (values (1, 10), (2, 20){{ var('rows', '') }}) as t(id, amount)\n",
		"models/after.sql": "{{ config(materialized='table') }}\nselect count(*) + cast('{{ var('one', '1') }}' as integer) as n from {{ ref('inc') }}\n",
	})
	mustKiln(t, 0, dir, "build")
	for _, q := range []string{
		"alter table main.inc add primary key (id)",
		"alter table main.inc alter column amount set default 7",
		"comment on table main.inc is 'the inc'",
		"create index inc_amount on main.inc (amount)",
	} {
		duckQuery(t, path, q)
	}
	definition := func() string {
		t.Helper()
		return strings.Join(duckQuery(t, path, `select sql from duckdb_tables() where table_name = 'inc'
union all select sql from duckdb_indexes() where table_name = 'inc'
union all select comment from duckdb_tables() where table_name = 'inc'`), "\n")
	}
	want := definition()
	for _, s := range []string{"PRIMARY KEY(id)", "DEFAULT(7)", "CREATE INDEX inc_amount ON inc(amount)", "the inc"} {
		if !strings.Contains(want, s) {
			t.Fatalf("the definition before the run lacks %q:\n%s", s, want)
		}
	}
	rows := func() string {
		return strings.Join(duckQuery(t, path, "select * from main.inc order by id"), ",")
	}
	for _, osc := range []string{"append_new_columns", "sync_all_columns"} {
		// inc adds a column and a row, then after fails: the run rolls back.
		out := mustKiln(t, 1, dir, "build", "--vars", `{osc: `+osc+`, one: "no", extra: ", 'x' as note", rows: ", (3, 30)"}`)
		if !strings.Contains(out, "inc  3 rows") || !strings.Contains(out, "was restored") {
			t.Fatalf("%s: the run did not add the column then restore the table:\n%s", osc, out)
		}
		if got := definition(); got != want {
			t.Errorf("%s: definition after the rollback:\n%s\nwant\n%s", osc, got, want)
		}
		if got := rows(); got != "1|10,2|20" {
			t.Errorf("%s: rows after the rollback: %s, want 1|10,2|20", osc, got)
		}
		if got := strings.Join(duckQuery(t, path, "select count(*) from information_schema.tables where table_name like '%kiln_prev%'"), ""); got != "0" {
			t.Errorf("%s: %s copies left after the rollback", osc, got)
		}
	}
	// The next run adds the column and the row.
	mustKiln(t, 0, dir, "build", "--vars", `{extra: ", 'x' as note", rows: ", (3, 30)"}`)
	if got := rows(); got != "1|10|x,2|20|x,3|30|x" {
		t.Errorf("rows after the next run: %s, want 1|10|x,2|20|x,3|30|x", got)
	}
	if got := strings.Join(duckQuery(t, path, "select sql from duckdb_indexes() where table_name = 'inc'"), ""); got != "CREATE INDEX inc_amount ON inc(amount);" {
		t.Errorf("index after the next run: %q", got)
	}

	// Dropping or retyping a column of the indexed table: refused before
	// anything changes.
	want = definition()
	wantRows := rows()
	for _, c := range []struct{ vars, change string }{
		{`{osc: sync_all_columns, rows: ", (4, 40)"}`, `(column "note" is no longer in the model's query (dropped))`},
		{`{osc: sync_all_columns, atype: bigint, extra: ", 'x' as note", rows: ", (4, 40)"}`, `(column "amount" is now BIGINT)`},
	} {
		out := mustKiln(t, 1, dir, "build", "--vars", c.vars)
		if !strings.Contains(out, `model "inc": its table has an index made with create index, and on_schema_change sync_all_columns would drop or change the type of its columns `+c.change+`, which DuckDB refuses on a table with an index`) ||
			!strings.Contains(out, "drop the index first (and create it again after the run, a post-hook can): --full-refresh cannot replace a table with an index either") {
			t.Fatalf("the run did not refuse to %s a column of the indexed table:\n%s", c.change, out)
		}
		if got := definition(); got != want {
			t.Errorf("definition after the refused run %s:\n%s\nwant\n%s", c.change, got, want)
		}
		if got := rows(); got != wantRows {
			t.Errorf("rows after the refused run %s: %s, want %s", c.change, got, wantRows)
		}
	}

	// A table whose definition cannot be read back (a generated column)
	// could only be put back as a copy: adding a column is refused too.
	for _, q := range []string{
		"drop table main.inc",
		"create table main.inc (id integer, amount integer, twice integer generated always as (amount * 2))",
		"insert into main.inc (id, amount) values (1, 10)",
		"create index inc_amount on main.inc (amount)",
	} {
		duckQuery(t, path, q)
	}
	want = definition()
	out := mustKiln(t, 1, dir, "build", "--vars", `{extra: ", 'x' as note"}`)
	if !strings.Contains(out, `model "inc": its table has an index made with create index, and on_schema_change append_new_columns would add columns (new column "note" (VARCHAR)); DuckDB then refuses to drop them again, and the table's definition cannot be read back (a generated column)`) {
		t.Fatalf("the run did not refuse to add a column to the indexed table with a generated column:\n%s", out)
	}
	if got := definition(); got != want {
		t.Errorf("definition after the refused run:\n%s\nwant\n%s", got, want)
	}
}
