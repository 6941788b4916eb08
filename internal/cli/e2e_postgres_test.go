package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/testenv/pgtest"
)

// pgDB is a database of its own on the package's throwaway PostgreSQL
// server: its connection fields, and an open adapter to check what a
// build left in it.
type pgDB struct {
	dsn                  string
	host, port, user, db string
}

func newPGDB(t *testing.T) pgDB {
	t.Helper()
	d := pgDB{dsn: pgtest.Database(t)}
	for _, f := range strings.Fields(d.dsn) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "host":
			d.host = v
		case "port":
			d.port = v
		case "user":
			d.user = v
		case "dbname":
			d.db = v
		}
	}
	return d
}

// query returns the rows of sql in the database, each row's values
// joined by "|".
func (d pgDB) query(t *testing.T, sql string) []string {
	t.Helper()
	ctx := context.Background()
	// kiln's own process holds the advisory lock while it runs, not
	// after: a second connection may read freely.
	db, err := adapter.Open(ctx, adapter.Target{Type: "postgres", DSN: d.dsn})
	if err != nil {
		t.Fatalf("open %s: %v", d.dsn, err)
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, rows, err := c.QueryRows(ctx, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var out []string
	for _, r := range rows {
		var parts []string
		for _, v := range r {
			parts = append(parts, fmt.Sprint(v))
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

// smallProject writes a kiln project of a seed, a view and a table with
// the project file's extra text (its database).
func smallProject(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("project.yml", "name: small\nmodel-paths: [models]\nseed-paths: [seeds]\n"+extra)
	write("seeds/prices.csv", "id,price\n1,10.5\n2,20.25\n3,7\n")
	write("models/expensive.sql", "{{ config(materialized='view') }}\nselect id, price from {{ ref('prices') }} where price > 8\n")
	write("models/summary.sql", "{{ config(materialized='table', schema='marts') }}\nselect count(*) as n, sum(price) as total from {{ ref('expensive') }}\n")
	return dir
}

// TestPostgresTargetInProjectYML: a kiln project names its PostgreSQL
// database in project.yml's target:, with a value read from the
// environment; the build puts its relations in the target's schema (and
// the custom schema marts) of that database.
func TestPostgresTargetInProjectYML(t *testing.T) {
	d := newPGDB(t)
	t.Setenv("KILN_TEST_PGDB", d.db)
	dir := smallProject(t, fmt.Sprintf(`target:
  type: postgres
  host: %s
  port: %s
  user: %s
  password: "{{ env_var('KILN_TEST_PGPASSWORD', '') }}"
  dbname: "{{ env_var('KILN_TEST_PGDB') }}"
  schema: analytics
  sslmode: disable
  threads: 3
`, d.host, d.port, d.user))
	code, out, errOut := kiln(t, dir, "build")
	if code != 0 {
		t.Fatalf("build exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out+errOut, "with 3 thread(s) on postgres database "+d.db+" on "+d.host) {
		t.Errorf("the run does not name its database and threads:\n%s\n%s", out, errOut)
	}
	got := d.query(t, "select n, total from marts.summary")
	if len(got) != 1 || got[0] != "2|30.75" {
		t.Errorf("marts.summary = %v, want [2|30.75]", got)
	}
	kinds := d.query(t, `select table_schema || '.' || table_name || ':' || table_type from information_schema.tables
where table_schema in ('analytics', 'marts') order by 1`)
	want := []string{"analytics.expensive:VIEW", "analytics.prices:BASE TABLE", "marts.summary:BASE TABLE"}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Errorf("relations = %v, want %v", kinds, want)
	}
	// The run history lives in the same database.
	if runs := d.query(t, "select count(*) from kiln_history.runs"); len(runs) != 1 || runs[0] != "1" {
		t.Errorf("kiln_history.runs holds %v runs, want 1", runs)
	}
}

// TestPostgresTargetInProfiles: a kiln project that names a profile builds
// in the PostgreSQL database of profiles.yml's output, as dbt does.
func TestPostgresTargetInProfiles(t *testing.T) {
	d := newPGDB(t)
	t.Setenv("KILN_TEST_PGUSER", d.user)
	dir := smallProject(t, "profile: shop\n")
	profiles := fmt.Sprintf(`shop:
  target: ci
  outputs:
    ci:
      type: postgres
      host: %s
      port: %s
      user: "{{ env_var('KILN_TEST_PGUSER') }}"
      pass: "{{ env_var('KILN_TEST_PGPASSWORD', '') }}"
      database: %s
      schema: ci_schema
      threads: 2
`, d.host, d.port, d.db)
	if err := os.WriteFile(filepath.Join(dir, "profiles.yml"), []byte(profiles), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := kiln(t, dir, "build")
	if code != 0 {
		t.Fatalf("build exit %d\n%s\n%s", code, out, errOut)
	}
	if got := d.query(t, "select count(*) from ci_schema.expensive"); len(got) != 1 || got[0] != "2" {
		t.Errorf("ci_schema.expensive holds %v rows, want 2", got)
	}
	code, out, _ = kiln(t, dir, "runs")
	if code != 0 || !strings.Contains(out, "build") || !strings.Contains(out, "success") {
		t.Errorf("kiln runs (exit %d) does not list the build:\n%s", code, out)
	}
}

// TestPostgresTargetErrors: a wrong field of a PostgreSQL target is an
// error at its position in its file, naming the field, and nothing runs.
func TestPostgresTargetErrors(t *testing.T) {
	cases := []struct {
		name, target, want string
	}{
		{"port", "  type: postgres\n  port: fifty\n", `project.yml:6:9: port "fifty" is not a port number`},
		{"sslmode", "  type: postgres\n  sslmode: requir\n", `project.yml:6:12: sslmode "requir" is not one of disable, allow, prefer, require, verify-ca, verify-full`},
		{"password", "  type: postgres\n  password: hunter2\n", `project.yml:6:13: the password is written in project.yml`},
		{"dbname", "  type: postgres\n  dbname: a\n  database: b\n", `project.yml:7:13: database "b" and dbname "a" differ`},
		{"type", "  type: postgre\n", `project.yml:5:9: unknown adapter type "postgre"`},
		{"env", "  type: postgres\n  user: \"{{ env_var('KILN_TEST_UNSET_VAR') }}\"\n", `project.yml:6:`},
		{"role", "  type: postgres\n  role: owner\n", `project.yml:6:9: "role" of a postgres target is not supported yet`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := smallProject(t, "target:\n"+c.target)
			code, out, errOut := kiln(t, dir, "build")
			if code != ExitCannotStart {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, ExitCannotStart, out, errOut)
			}
			if !strings.Contains(out+errOut, c.want) {
				t.Errorf("the error does not say %q:\n%s\n%s", c.want, out, errOut)
			}
			if c.name == "env" && !strings.Contains(out+errOut, "KILN_TEST_UNSET_VAR") {
				t.Errorf("the error does not name the unset variable:\n%s\n%s", out, errOut)
			}
			if _, err := os.Stat(filepath.Join(dir, "target", "run_results.json")); err == nil {
				t.Errorf("a run happened despite the error")
			}
		})
	}
}
