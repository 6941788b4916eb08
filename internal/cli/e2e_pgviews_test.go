package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeModel(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "models", name+".sql"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pgBackupsLeft fails t when the database holds backups or journal
// entries.
func pgBackupsLeft(t *testing.T, d pgDB) {
	t.Helper()
	if got := d.query(t, "select count(*) from pg_class where relname like '%__kiln_prev_%'"); strings.Join(got, ",") != "0" {
		t.Errorf("%v backups left behind, want 0", got)
	}
	if got := d.query(t, "select count(*) from kiln_history.journal"); strings.Join(got, ",") != "0" {
		t.Errorf("%v journal entries left behind, want 0", got)
	}
}

// TestOutsideViewsKeptOnPostgres: views of the user's on a table model
// (a view, a view on that view, a materialized view), which PostgreSQL
// binds to the table, survive kiln run --select summary, which replaces
// the table: kiln creates them again on the new table in the model's
// transaction, with their privileges and comments, and they show the new
// rows (the materialized view refreshed). dbt-postgres's drop ... cascade
// would drop them.
func TestOutsideViewsKeptOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := pgSmallProject(t, d)
	mustKiln(t, 0, dir, "build")
	role := d.db + "_reader"
	d.exec(t, "create role "+role,
		"create view public.watch with (security_barrier = true) as select n, total from marts.summary",
		"create view public.watch2 as select n * 2 as n2 from public.watch",
		"create materialized view public.mwatch as select total from marts.summary",
		"create index mwatch_total on public.mwatch (total)",
		"grant select on public.watch to "+role,
		"comment on view public.watch is 'for the dashboard'",
		"comment on column public.watch.total is 'the sum'")
	oid := d.query(t, "select 'marts.summary'::regclass::oid")
	writeSeed(t, dir, "id,price\n1,10.5\n2,20.25\n3,7\n4,30\n")
	mustKiln(t, 0, dir, "build", "--select", "prices", "expensive", "summary")
	if got := d.query(t, "select 'marts.summary'::regclass::oid"); strings.Join(got, ",") == strings.Join(oid, ",") {
		t.Fatalf("marts.summary was not replaced (oid %v)", got)
	}
	for q, want := range map[string]string{
		"select n, total from public.watch":                                             "3|60.75",
		"select n2 from public.watch2":                                                  "6",
		"select total from public.mwatch":                                               "60.75",
		"select obj_description('public.watch'::regclass, 'pg_class')":                  "for the dashboard",
		"select col_description('public.watch'::regclass, 2)":                           "the sum",
		"select has_table_privilege('" + role + "', 'public.watch', 'select')":          "true",
		"select array_to_string(reloptions, ',') from pg_class where relname = 'watch'": "security_barrier=true",
		"select indexname from pg_indexes where tablename = 'mwatch'":                   "mwatch_total",
		"select count(distinct r.ev_class) from pg_depend d join pg_rewrite r on r.oid = d.objid where r.ev_class = 'public.watch'::regclass and d.refobjid = 'marts.summary'::regclass": "1",
	} {
		if got := d.query(t, q); strings.Join(got, ",") != want {
			t.Errorf("%s = %v, want %s", q, got, want)
		}
	}
	pgBackupsLeft(t, d)
	// A second run keeps them again.
	mustKiln(t, 0, dir, "run", "--select", "summary")
	if got := d.query(t, "select n2 from public.watch2"); strings.Join(got, ",") != "6" {
		t.Errorf("watch2 = %v after a second run, want [6]", got)
	}
	pgBackupsLeft(t, d)
	// A run that fails after summary kept them puts them back as they were.
	writeModel(t, dir, "boom", "{{ config(materialized='table') }}\nselect n / 0 as x from {{ ref('summary') }}\n")
	writeSeed(t, dir, "id,price\n1,10.5\n")
	mustKiln(t, 1, dir, "build", "--select", "prices", "expensive", "summary", "boom")
	for q, want := range map[string]string{
		"select n, total from public.watch":                                    "3|60.75",
		"select n2 from public.watch2":                                         "6",
		"select total from public.mwatch":                                      "60.75",
		"select indexname from pg_indexes where tablename = 'mwatch'":          "mwatch_total",
		"select has_table_privilege('" + role + "', 'public.watch', 'select')": "true",
	} {
		if got := d.query(t, q); strings.Join(got, ",") != want {
			t.Errorf("after the rollback, %s = %v, want %s", q, got, want)
		}
	}
	pgBackupsLeft(t, d)
}

// TestOutsideViewOnGoneColumnOnPostgres: when the model no longer has a
// column that a view of the user's reads, the view cannot be created
// again: the model fails at its file, naming the view and the column, and
// its transaction rolls back: the table, the view and its rows are as
// before.
func TestOutsideViewOnGoneColumnOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := pgSmallProject(t, d)
	mustKiln(t, 0, dir, "build")
	d.exec(t, "create view public.watch as select n, total from marts.summary")
	oid := d.query(t, "select 'marts.summary'::regclass::oid")
	writeModel(t, dir, "summary", "{{ config(materialized='table', schema='marts') }}\nselect count(*) as n from {{ ref('expensive') }}\n")
	out := mustKiln(t, 1, dir, "run", "--select", "summary")
	for _, want := range []string{`models/summary.sql`, `model "summary": the view "public"."watch", which reads summary, cannot be created again on its new relation`, `column summary.total does not exist`, `drop view "public"."watch"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the run's output lacks %q:\n%s", want, out)
		}
	}
	if got := d.query(t, "select 'marts.summary'::regclass::oid"); strings.Join(got, ",") != strings.Join(oid, ",") {
		t.Errorf("marts.summary was replaced (oid %v, was %v)", got, oid)
	}
	if got := d.query(t, "select n, total from public.watch"); strings.Join(got, ",") != "2|30.75" {
		t.Errorf("the view outside reads %v, want [2|30.75]", got)
	}
	pgBackupsLeft(t, d)
}

// TestPostHookViewOnPostgres (trial B1): a model whose post-hook makes a
// view on {{ this }} builds again and again on PostgreSQL; a run that
// fails after it is rolled back, the hook's view with it when the run
// made it (as the run's own work), or put back on the previous table when
// it was there before, and the next commands (kiln show, kiln build)
// work.
func TestPostHookViewOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := pgSmallProject(t, d)
	writeModel(t, dir, "stg", "{{ config(materialized='table', post_hook=\"create or replace view {{ this.schema }}.stg_hooked as select count(*) as n from {{ this }}\") }}\nselect id, price from {{ ref('prices') }}\n")
	boom := func(div int) {
		writeModel(t, dir, "boom", fmt.Sprintf("{{ config(materialized='table') }}\nselect id / %d as x from {{ ref('stg') }}\n", div))
	}
	boom(0)
	out := mustKiln(t, 1, dir, "build")
	if !strings.Contains(out, "division by zero") || strings.Contains(out, "could not") {
		t.Fatalf("the first build did not fail in boom and roll back:\n%s", out)
	}
	if got := d.query(t, "select count(*) from pg_class where relname in ('stg', 'stg_hooked')"); strings.Join(got, ",") != "0" {
		t.Errorf("%v of stg and stg_hooked left after the rollback, want 0 (the run made both)", got)
	}
	pgBackupsLeft(t, d)
	mustKiln(t, 0, dir, "show", "--inline", "select 1 as one")
	boom(1)
	mustKiln(t, 0, dir, "build")
	oid := d.query(t, "select 'public.stg'::regclass::oid")
	writeSeed(t, dir, "id,price\n1,10.5\n2,20.25\n3,7\n4,30\n")
	mustKiln(t, 0, dir, "build")
	if got := d.query(t, "select 'public.stg'::regclass::oid"); strings.Join(got, ",") == strings.Join(oid, ",") {
		t.Fatalf("the second build did not rebuild stg (oid %v)", got)
	}
	if got := d.query(t, "select n from public.stg_hooked"); strings.Join(got, ",") != "4" {
		t.Errorf("stg_hooked = %v after the second build, want [4]", got)
	}
	pgBackupsLeft(t, d)
	// A failing run puts stg and its view back as they were.
	writeSeed(t, dir, "id,price\n1,10.5\n")
	boom(0)
	mustKiln(t, 1, dir, "build")
	if got := d.query(t, "select n from public.stg_hooked"); strings.Join(got, ",") != "4" {
		t.Errorf("stg_hooked = %v after the rollback, want [4] (as before the run)", got)
	}
	pgBackupsLeft(t, d)
	mustKiln(t, 0, dir, "show", "--inline", "select 1 as one")
	boom(1)
	mustKiln(t, 0, dir, "build")
	if got := d.query(t, "select n from public.stg_hooked"); strings.Join(got, ",") != "1" {
		t.Errorf("stg_hooked = %v, want [1]", got)
	}
	pgBackupsLeft(t, d)
}

// TestUndoBlockedByOutsideViewOnPostgres: a view made outside the
// journal on a relation as an unfinished run left it (here: a run of an
// older kiln killed after it moved marts.summary aside, and a view made
// on the new table since) keeps the recovery from putting the relation
// back: kiln does not drop the view; it says which view and how to drop
// it, kiln show still runs, and once the view is dropped the next build
// puts the relation back and builds.
func TestUndoBlockedByOutsideViewOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := pgSmallProject(t, d)
	mustKiln(t, 0, dir, "build")
	d.exec(t, "alter table marts.summary rename to summary__kiln_prev_deadbeef",
		"create table marts.summary as select 9::bigint as n, 9.5::float8 as total",
		"create view public.late as select n from marts.summary")
	want := `"public"."late" reads "marts"."summary" as the unfinished run left it, and kiln does not drop views it did not make; to let kiln put back the previous "marts"."summary", drop it (drop view "public"."late";) and run kiln again`
	out := mustKiln(t, 0, dir, "show", "--inline", "select n from marts.summary")
	if !strings.Contains(out, want) || !strings.Contains(out, "| 9 |") {
		t.Errorf("kiln show does not say what to drop, or does not show the table as it is:\n%s", out)
	}
	out = mustKiln(t, 2, dir, "build")
	if !strings.Contains(out, want) {
		t.Errorf("kiln build does not say what to drop:\n%s", out)
	}
	if got := d.query(t, "select n from public.late"); strings.Join(got, ",") != "9" {
		t.Errorf("the view late = %v, want [9] (kept)", got)
	}
	d.exec(t, "drop view public.late")
	mustKiln(t, 0, dir, "build")
	if got := d.query(t, "select n, total from marts.summary"); strings.Join(got, ",") != "2|30.75" {
		t.Errorf("marts.summary = %v, want [2|30.75]", got)
	}
	pgBackupsLeft(t, d)
}

// TestGetRelationCase (trial M4): adapter.get_relation compares the names
// the database lists with those searched for exactly, as dbt's
// BaseRelation.matches does with its default quoting, on DuckDB and on
// PostgreSQL: the exact name gives the relation as listed, a name that
// differs only in case is an error (dbt's ApproximateMatchError), not a
// relation of the caller's spelling that does not exist; a name that
// matches nothing gives None.
func TestGetRelationCase(t *testing.T) {
	const macro = "{% macro probe(id) %}{{ return(adapter.get_relation(target.database, target.schema, id) ~ '') }}{% endmacro %}\n"
	check := func(t *testing.T, dir, name, upper string) {
		mustKiln(t, 0, dir, "build")
		if out := mustKiln(t, 0, dir, "run-operation", "probe", "--args", "{id: "+name+"}"); !strings.Contains(out, `."`+name+`"`) {
			t.Errorf("get_relation(%s) does not give the relation as listed:\n%s", name, out)
		}
		if out := mustKiln(t, 0, dir, "run-operation", "probe", "--args", "{id: nothing_here}"); !strings.Contains(out, "None") {
			t.Errorf("get_relation(nothing_here) is not None:\n%s", out)
		}
		code, out, errOut := kiln(t, dir, "run-operation", "probe", "--args", "{id: "+upper+"}")
		if code == 0 || !strings.Contains(out+errOut, `whose name differs only in case`) || !strings.Contains(out+errOut, `macros/probe.sql:1:`) {
			t.Errorf("get_relation(%s): exit %d, want the approximate match refused at the macro:\n%s%s", upper, code, out, errOut)
		}
	}
	t.Run("duckdb", func(t *testing.T) {
		dir := writeProject(t, map[string]string{
			"project.yml":      "name: rel\n",
			"models/m.sql":     "{{ config(materialized='table') }}\nselect 1 as id\n",
			"macros/probe.sql": macro,
		})
		check(t, dir, "m", "M")
	})
	t.Run("postgres", func(t *testing.T) {
		d := newPGDB(t)
		dir := pgSmallProject(t, d)
		if err := os.MkdirAll(filepath.Join(dir, "macros"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "macros", "probe.sql"), []byte(macro), 0o644); err != nil {
			t.Fatal(err)
		}
		check(t, dir, "prices", "PRICES")
	})
}
