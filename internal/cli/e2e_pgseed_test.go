package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
)

// pgSmallProject is smallProject with database d as its target.
func pgSmallProject(t *testing.T, d pgDB) string {
	t.Helper()
	return smallProject(t, fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  sslmode: disable\n", d.host, d.port, d.user, d.db))
}

func writeSeed(t *testing.T, dir, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "seeds", "prices.csv"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSeedAloneKeepsDependentViewsOnPostgres: on PostgreSQL a view is
// bound to the table it reads, not to its name. kiln seed alone, after a
// build made the view expensive on the seed prices, reloads the seed's
// table in place (as dbt's seed materialization truncates and inserts),
// so the run commits, the view is still the user's view and shows the
// new rows; the table model summary, not selected, is left as it was.
func TestSeedAloneKeepsDependentViewsOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := pgSmallProject(t, d)
	mustKiln(t, 0, dir, "build")
	oid := d.query(t, "select 'public.expensive'::regclass::oid")
	writeSeed(t, dir, "id,price\n1,10.5\n2,20.25\n3,7\n4,30\n")
	mustKiln(t, 0, dir, "seed")
	if got := d.query(t, "select id, price from public.expensive order by id"); strings.Join(got, ",") != "1|10.5,2|20.25,4|30" {
		t.Errorf("expensive = %v, want the new rows [1|10.5 2|20.25 4|30]", got)
	}
	if got := d.query(t, "select 'public.expensive'::regclass::oid"); strings.Join(got, ",") != strings.Join(oid, ",") {
		t.Errorf("the view expensive was recreated (oid %v, was %v): kiln seed must not touch it", got, oid)
	}
	if got := d.query(t, "select n, total from marts.summary"); strings.Join(got, ",") != "2|30.75" {
		t.Errorf("marts.summary = %v, want [2|30.75] (not selected by kiln seed)", got)
	}
	if got := d.query(t, "select count(*) from pg_class where relname like '%__kiln_prev_%'"); strings.Join(got, ",") != "0" {
		t.Errorf("%v backups left behind, want 0", got)
	}
	if got := d.query(t, "select count(*) from kiln_history.journal"); strings.Join(got, ",") != "0" {
		t.Errorf("%v journal entries left behind, want 0", got)
	}
}

// TestSeedInPlaceRollsBackOnPostgres: a build that reloads the seed in
// place then fails (a model divides by zero) is rolled back: the journal's
// copy of the seed's rows is put back into the same table, so the view on
// it is still the user's view and shows the previous rows.
func TestSeedInPlaceRollsBackOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := pgSmallProject(t, d)
	mustKiln(t, 0, dir, "build")
	oid := d.query(t, "select 'public.expensive'::regclass::oid")
	writeSeed(t, dir, "id,price\n1,10.5\n2,20.25\n3,7\n4,30\n")
	if err := os.WriteFile(filepath.Join(dir, "models", "boom.sql"), []byte("{{ config(materialized='table') }}\nselect id / 0 as x from {{ ref('prices') }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The view expensive is not selected: it reads the seed's table all along.
	out := mustKiln(t, 1, dir, "build", "--select", "prices", "boom")
	if !strings.Contains(out, "division by zero") || !strings.Contains(out, "1 relation it had changed was restored") {
		t.Fatalf("the build did not fail in boom and roll back:\n%s", out)
	}
	if got := d.query(t, "select id, price from public.prices order by id"); strings.Join(got, ",") != "1|10.5,2|20.25,3|7" {
		t.Errorf("prices = %v, want the previous rows [1|10.5 2|20.25 3|7]", got)
	}
	if got := d.query(t, "select id from public.expensive order by id"); strings.Join(got, ",") != "1,2" {
		t.Errorf("expensive = %v, want [1 2]", got)
	}
	if got := d.query(t, "select 'public.expensive'::regclass::oid"); strings.Join(got, ",") != strings.Join(oid, ",") {
		t.Errorf("the view expensive was recreated (oid %v, was %v)", got, oid)
	}
	if got := d.query(t, "select count(*) from pg_class where relname like '%__kiln_prev_%'"); strings.Join(got, ",") != "0" {
		t.Errorf("%v backups left behind, want 0", got)
	}
}

// TestSeedColumnsChangeOnPostgres: when the CSV's columns change, the
// seed's table cannot be reloaded in place. kiln seed alone, with the view
// expensive reading the table, refuses at the seed's file and changes
// nothing (dbt would fail on the insert, or with --full-refresh drop the
// view with CASCADE); kiln build --select prices+, which rebuilds the
// view in the same run, replaces the table with the new columns.
func TestSeedColumnsChangeOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := pgSmallProject(t, d)
	mustKiln(t, 0, dir, "build")
	writeSeed(t, dir, "id,price,note\n1,10.5,a\n2,x,b\n3,7,c\n4,30,d\n")
	for _, args := range [][]string{{"seed"}, {"seed", "--full-refresh"}} {
		out := mustKiln(t, 1, dir, args...)
		for _, want := range []string{
			`seeds/prices.csv`,
			`seed "prices": the columns of seeds/prices.csv changed ("price" is text (was double precision), "note" is new) and a view that this run does not rebuild reads its table: "public"."expensive"`,
			`hint: PostgreSQL binds a view to its table`, `kiln build --select prices+`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("kiln %s does not say %q:\n%s", strings.Join(args, " "), want, out)
			}
		}
		if got := d.query(t, "select id, price from public.expensive order by id"); strings.Join(got, ",") != "1|10.5,2|20.25" {
			t.Errorf("expensive = %v, want the previous rows", got)
		}
	}
	// The view is rebuilt in the same run: the table is replaced.
	writeSeed(t, dir, "id,price,note\n1,10.5,a\n2,20.25,b\n3,7,c\n4,30,d\n")
	mustKiln(t, 0, dir, "build", "--select", "prices+")
	if got := d.query(t, "select id, price from public.expensive order by id"); strings.Join(got, ",") != "1|10.5,2|20.25,4|30" {
		t.Errorf("expensive = %v, want the new rows", got)
	}
	if got := d.query(t, "select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_name = 'prices'"); strings.Join(got, ",") != "id,price,note" {
		t.Errorf("prices has columns %v, want id,price,note", got)
	}
}

// TestSeedInPlaceGrantsChangeOnPostgres: a seed reloaded in place (a view
// outside the run reads it) whose grants config now differs from its
// table's privileges is refused: a rollback would put its rows back, not
// its privileges. The table and its privileges are left as they were.
func TestSeedInPlaceGrantsChangeOnPostgres(t *testing.T) {
	d := newPGDB(t)
	d.exec(t, "create role "+d.db+"_a", "create role "+d.db+"_b")
	target := fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  sslmode: disable\n", d.host, d.port, d.user, d.db)
	dir := smallProject(t, target+"seeds:\n  small:\n    +grants: {select: ["+d.db+"_a]}\n")
	mustKiln(t, 0, dir, "build")
	writeSeed(t, dir, "id,price\n1,10.5\n2,20.25\n3,7\n4,30\n")
	// The same grants: reloaded in place.
	mustKiln(t, 0, dir, "seed")
	if got := d.query(t, "select count(*) from public.expensive"); strings.Join(got, ",") != "3" {
		t.Errorf("expensive holds %v rows, want 3", got)
	}
	project := string(readFile(t, filepath.Join(dir, "project.yml")))
	if err := os.WriteFile(filepath.Join(dir, "project.yml"), []byte(strings.ReplaceAll(project, d.db+"_a]", d.db+"_b]")), 0o644); err != nil {
		t.Fatal(err)
	}
	writeSeed(t, dir, "id,price\n1,10.5\n")
	out := mustKiln(t, 1, dir, "seed")
	want := fmt.Sprintf(`seed "prices": its grants config changes its table's privileges (grant select to %s_b; revoke select from %s_a) and a view that this run does not rebuild reads its table: "public"."expensive"`, d.db, d.db)
	if !strings.Contains(out, want) {
		t.Errorf("kiln seed does not say %q:\n%s", want, out)
	}
	if got := d.query(t, "select count(*) from public.expensive"); strings.Join(got, ",") != "3" {
		t.Errorf("expensive holds %v rows, want 3 (as before)", got)
	}
	if got := d.query(t, "select grantee from information_schema.role_table_grants where table_name = 'prices' and grantee like 'kiln_test_%'"); strings.Join(got, ",") != d.db+"_a" {
		t.Errorf("prices is granted to %v, want %s_a (as before)", got, d.db)
	}
}

// TestDBTSeedTypesOnPostgres: a dbt project's seed on PostgreSQL gets
// dbt-postgres's column types (agate's types named by SQLAdapter's
// convert_*_type): text for text (was character varying), integer,
// float8, boolean, date, timestamp. A seed kept with full_refresh: false
// whose table an older kiln made with character varying reloads in
// place into it, its columns unchanged.
func TestDBTSeedTypesOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := t.TempDir()
	files := map[string]string{
		"dbt_project.yml": "name: shop\nversion: '1.0'\nconfig-version: 2\nprofile: shop\n",
		"profiles.yml": fmt.Sprintf("shop:\n  target: ci\n  outputs:\n    ci:\n      type: postgres\n      host: %s\n      port: %s\n      user: %s\n      dbname: %s\n      schema: public\n",
			d.host, d.port, d.user, d.db),
		"seeds/kinds.csv": "id,name,price,flag,day,at\n1,Ann,10.5,true,2024-01-02,2024-01-02 03:04:05\n2,Bob,7,false,2024-02-03,2024-02-03 00:00:00\n",
		"seeds/kept.csv":  "id,name\n1,Ann\n2,Bob\n",
		"seeds/kept.yml":  "version: 2\nseeds:\n  - name: kept\n    config:\n      full_refresh: false\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The table an older kiln made of kept: name character varying.
	d.with(t, func(ctx context.Context, c adapter.Conn) {
		if _, err := c.Exec(ctx, "create table public.kept (id integer, name varchar)"); err != nil {
			t.Fatal(err)
		}
	})
	mustKiln(t, 0, dir, "seed")
	types := "select table_name || '.' || column_name || ' ' || data_type from information_schema.columns where table_schema = 'public' and table_name in ('kinds', 'kept') order by table_name, ordinal_position"
	want := []string{"kept.id integer", "kept.name character varying",
		"kinds.id integer", "kinds.name text", "kinds.price double precision", "kinds.flag boolean", "kinds.day date", "kinds.at timestamp without time zone"}
	if got := d.query(t, types); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("seed columns:\n got %v\nwant %v", got, want)
	}
	if got := d.query(t, "select id, name from public.kept order by id"); strings.Join(got, ",") != "1|Ann,2|Bob" {
		t.Errorf("kept = %v, want [1|Ann 2|Bob] loaded in place", got)
	}
}

// TestSeedAgateNumbersOnPostgres: on PostgreSQL too, a dbt seed's
// "1,000", "$5.00", "£10.50", "50%" and "-€5" load as the numbers agate
// reads, in dbt-postgres's types (integer, double precision), as
// dbt-postgres inserts agate's values.
func TestSeedAgateNumbersOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := t.TempDir()
	files := map[string]string{
		"dbt_project.yml": "name: shop\nversion: '1.0'\nconfig-version: 2\nprofile: shop\n",
		"profiles.yml": fmt.Sprintf("shop:\n  target: ci\n  outputs:\n    ci:\n      type: postgres\n      host: %s\n      port: %s\n      user: %s\n      dbname: %s\n      schema: public\n",
			d.host, d.port, d.user, d.db),
		"seeds/money.csv": "qty,price,pct,neg\n\"1,000\",$5.00,50%,-€5\n2,£10.50,5%,$-3\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustKiln(t, 0, dir, "seed")
	got := d.query(t, "select qty || ' ' || price || ' ' || pct || ' ' || neg || ' ' || pg_typeof(qty) || ' ' || pg_typeof(price) from public.money order by qty")
	want := []string{"2 10.5 5 -3 integer double precision", "1000 5 50 -5 integer double precision"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("money:\n got %v\nwant %v", got, want)
	}
}
