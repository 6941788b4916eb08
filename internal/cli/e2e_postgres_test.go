package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

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
	var rows [][]any
	d.with(t, func(ctx context.Context, c adapter.Conn) {
		var err error
		if _, rows, err = c.QueryRows(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	})
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
	if !strings.Contains(out+errOut, "with 3 threads on postgres database "+d.db+" on "+d.host) {
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
	// The docs' catalog comes from the server's catalog.
	if code, out, errOut := kiln(t, dir, "docs", "generate"); code != 0 || strings.Contains(out+errOut, "without the database") {
		t.Fatalf("docs generate exit %d:\n%s\n%s", code, out, errOut)
	}
	var cat struct {
		Nodes map[string]struct {
			Metadata struct{ Schema, Type string }
			Columns  map[string]struct{ Type string }
		}
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "catalog.json")), &cat); err != nil {
		t.Fatal(err)
	}
	sum := cat.Nodes["model.small.summary"]
	if sum.Metadata.Schema != "marts" || sum.Columns["n"].Type != "bigint" || sum.Columns["total"].Type != "double precision" {
		t.Errorf("catalog.json's summary = %+v, want schema marts, n bigint, total double precision (the seed's prices are typed as dbt types them)", sum)
	}
	if v := cat.Nodes["model.small.expensive"]; v.Metadata.Type != "VIEW" {
		t.Errorf("catalog.json's expensive is a %q, want VIEW", v.Metadata.Type)
	}
}

// TestDocsLineageOnPostgres: kiln docs generate on a PostgreSQL target
// analyses the models' column lineage with PostgreSQL's own parser
// (pg_query_go): a model in PostgreSQL's SQL that DuckDB's parser refuses
// (FETCH FIRST ... WITH TIES) builds on the server and has its lineage.
func TestDocsLineageOnPostgres(t *testing.T) {
	d := newPGDB(t)
	dir := smallProject(t, fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  sslmode: disable\n", d.host, d.port, d.user, d.db))
	top := "select id, price * 2 as doubled, price::numeric(6,1) as price\nfrom {{ ref('prices') }}\norder by price desc fetch first 1 rows with ties\n"
	if err := os.WriteFile(filepath.Join(dir, "models", "top.sql"), []byte(top), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := kiln(t, dir, "build"); code != 0 {
		t.Fatalf("build exit %d\n%s\n%s", code, out, errOut)
	}
	if got := d.query(t, "select id, doubled, price from public.top"); len(got) != 1 || got[0] != "2|40.5|20.3" {
		t.Errorf("top = %v, want [2|40.5|20.3]", got)
	}
	code, out, errOut := kiln(t, dir, "docs", "generate")
	if code != 0 || strings.Contains(out+errOut, "no column lineage") {
		t.Fatalf("docs generate exit %d:\n%s\n%s", code, out, errOut)
	}
	var lj struct {
		Nodes map[string]struct {
			Columns []struct {
				Name     string
				Upstream []struct{ Node, Column string }
				Direct   bool
			}
		}
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "docs", "lineage.json")), &lj); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range lj.Nodes["model.small.top"].Columns {
		s := c.Name + "<-"
		for _, u := range c.Upstream {
			s += u.Node + "." + u.Column
		}
		if c.Direct {
			s += " direct"
		}
		got = append(got, s)
	}
	want := "id<-seed.small.prices.id direct,doubled<-seed.small.prices.price,price<-seed.small.prices.price direct"
	if strings.Join(got, ",") != want {
		t.Errorf("lineage of top:\n got %s\nwant %s", strings.Join(got, ","), want)
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

// postgresTarget returns the project.yml text naming database d as the
// project's target, instead of its database-path.
func postgresTarget(t *testing.T, dir string, d pgDB, threads int) {
	t.Helper()
	file := filepath.Join(dir, "project.yml")
	text := string(readFile(t, file))
	re := regexp.MustCompile(`(?m)^database-path: .*$`)
	if !re.MatchString(text) {
		t.Fatal("project.yml has no database-path")
	}
	target := fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  threads: %d", d.host, d.port, d.user, d.db, threads)
	if err := os.WriteFile(file, []byte(re.ReplaceAllLiteralString(text, target)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBuildRealExportsOnPostgres builds BottleNeck on the real exports in
// a PostgreSQL database and in a DuckDB file: both give the reference
// figures of ../shared/bottleneck/README.md, and the CSV exports are the
// same bytes.
func TestBuildRealExportsOnPostgres(t *testing.T) {
	if _, err := os.Stat(filepath.Join(realExports, "erp.xlsx")); err != nil {
		t.Skipf("the real exports are not at %s (set KILN_REAL_EXPORTS)", realExports)
	}
	raw, _ := filepath.Abs(realExports)
	vars := fmt.Sprintf("{raw_dir: %q, month: '2020-08'}", raw)
	want := figures{erp: 825, web: 714, liaison: 825, withIDWeb: 734, joined: 714, premium: 30, ordinary: 684, revenue: "70568.60"}

	duck, _ := newProject(t)
	mustKiln(t, 0, duck, "build", "--vars", vars)
	checkFigures(t, duck, want)

	d := newPGDB(t)
	pg, _ := newProject(t)
	postgresTarget(t, pg, d, 4)
	mustKiln(t, 0, pg, "build", "--vars", vars)
	checkFiguresWith(t, pg, want, func(q string) string {
		rows := d.query(t, q)
		if len(rows) != 1 {
			t.Fatalf("%s: want one row, got %v", q, rows)
		}
		return rows[0]
	})
	for _, f := range []string{"revenue_by_product.csv", "premium_wines.csv", "ordinary_wines.csv"} {
		a, b := readFile(t, filepath.Join(duck, "target", "exports", f)), readFile(t, filepath.Join(pg, "target", "exports", f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between DuckDB and PostgreSQL: %s", f, firstDiff(a, b))
		}
	}
	// The relations are where DuckDB has them: the custom schemas, the
	// target's schema public for the seed, raw for the sources.
	got := d.query(t, `select table_schema || '.' || table_name from information_schema.tables
where table_schema in ('public', 'reference', 'raw', 'staging', 'intermediate', 'marts') order by 1`)
	if w := "intermediate.int_products,intermediate.int_unmatched_liaisons,marts.kpi_summary,marts.ordinary_wines,marts.premium_wines,marts.revenue_by_product,marts.wine_zscores,raw.erp,raw.liaison,raw.web,reference.stock_statuses,staging.stg_erp,staging.stg_liaison,staging.stg_web"; strings.Join(got, ",") != w {
		t.Errorf("relations:\n got %s\nwant %s", strings.Join(got, ","), w)
	}
	// A second build changes nothing and keeps the exports.
	mustKiln(t, 0, pg, "build", "--vars", vars)
	b := readFile(t, filepath.Join(pg, "target", "exports", "premium_wines.csv"))
	if a := readFile(t, filepath.Join(duck, "target", "exports", "premium_wines.csv")); !bytes.Equal(a, b) {
		t.Errorf("premium_wines.csv differs after a second build")
	}
}

// firstDiff describes where a and b first differ: the line of each.
func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  duckdb   %s\n  postgres %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines against %d", len(la), len(lb))
}

// TestPostgresThreadsAreConnections: threads: 4 runs four independent
// models at once, each on a server session of its own. Each model waits
// for an advisory lock that the test holds until it sees four sessions
// waiting for it, so the build can only finish if the four run together.
func TestPostgresThreadsAreConnections(t *testing.T) {
	d := newPGDB(t)
	dir := smallProject(t, fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n  threads: 4\n", d.host, d.port, d.user, d.db))
	for i := 1; i <= 4; i++ {
		sql := "{{ config(materialized='table') }}\nselect pg_backend_pid() as pid\nwhere (select pg_advisory_xact_lock_shared(7160)::text) is not null\n"
		if err := os.WriteFile(filepath.Join(dir, "models", fmt.Sprintf("session_%d.sql", i)), []byte(sql), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	gate, err := pgx.Connect(ctx, d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer gate.Close(context.Background())
	if _, err := gate.Exec(ctx, "select pg_advisory_lock(7160)"); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		var out, errOut bytes.Buffer
		code := Main(ctx, []string{"--project-dir", dir, "build"}, strings.NewReader(""), &out, &errOut)
		done <- result{code, out.String(), errOut.String()}
	}()
	// Wait for the four sessions to queue on the lock (or for the build
	// to end without them).
	waiting, timeout := 0, time.After(time.Minute)
	for waiting < 4 {
		select {
		case r := <-done:
			t.Fatalf("the build ended (exit %d) before four sessions waited together:\n%s\n%s", r.code, r.out, r.errOut)
		case <-timeout:
		case <-time.After(20 * time.Millisecond):
			if err := gate.QueryRow(ctx, `select count(*) from pg_locks where locktype = 'advisory' and objid = 7160 and not granted`).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			continue
		}
		break
	}
	if _, err := gate.Exec(ctx, "select pg_advisory_unlock(7160)"); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if waiting < 4 {
		t.Fatalf("%d sessions waited for the lock together, want 4; the build (exit %d):\n%s\n%s", waiting, r.code, r.out, r.errOut)
	}
	if r.code != 0 {
		t.Fatalf("build exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	got := d.query(t, `select count(distinct pid) from (select pid from session_1 union all select pid from session_2
union all select pid from session_3 union all select pid from session_4) as s`)
	if len(got) != 1 || got[0] != "4" {
		t.Errorf("the four models ran on %v sessions, want 4", got)
	}
}

// TestKestraFlowOnPostgres: kiln export kestra of a project whose target
// is a PostgreSQL database (read for the run history's durations, which
// make the SLA) writes the flow whose tasks may run on any worker: the
// description says so, no Dag task builds an export, and the commit task
// builds the exports in the flow's transaction, then commits it.
func TestKestraFlowOnPostgres(t *testing.T) {
	dir, _ := newProject(t)
	postgresTarget(t, dir, newPGDB(t), 4)
	code, stdout, stderr := kiln(t, dir, "export", "kestra", "--worker-dir", "/srv/kiln/bottleneck")
	if code != 0 {
		t.Fatalf("export kestra exit %d:\n%s", code, stderr)
	}
	var flow struct {
		Description string
		Tasks       []struct {
			ID       string
			Commands []string
			Tasks    []struct{ Task struct{ Commands []string } }
		}
	}
	if err := yaml.Unmarshal([]byte(stdout), &flow); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(flow.Description, "PostgreSQL database") || !strings.Contains(flow.Description, "any worker") {
		t.Errorf("the description does not say the tasks may run on any worker:\n%s", flow.Description)
	}
	if len(flow.Tasks) != 4 || flow.Tasks[0].ID != "rollback_stale" || flow.Tasks[2].ID != "commit" {
		t.Fatalf("tasks: want the stale rollback, the Dag, the commit and the docs:\n%s", stdout)
	}
	for _, e := range flow.Tasks[1].Tasks {
		if c := e.Task.Commands[0]; strings.Contains(c, "export") && !strings.Contains(c, "--exclude resource_type:export") {
			t.Errorf("a task of the Dag builds exports: %s", e.Task.Commands[0])
		}
	}
	c := flow.Tasks[2].Commands
	if len(c) < 4 || !strings.Contains(c[0], `build --select resource_type:export --indirect-selection buildable --transaction "{{ flow.namespace }}.{{ flow.id }}/{{ execution.id }}"`) ||
		!strings.Contains(c[3], `transaction commit "{{ flow.namespace }}.{{ flow.id }}/{{ execution.id }}" || exit`) {
		t.Errorf("the commit task does not build the exports, then commit:\n%s", strings.Join(c, "\n"))
	}
}

// TestKestraFlowOnPostgresSecretsAndExports: the flow of a PostgreSQL
// target whose password comes from env_var() gives every task that
// variable from Kestra's secret store when its tasks run in containers
// (a Docker task's container does not get the worker's environment: without
// it every task, the errors branch's rollback too, would stop on the unset
// variable), not by default on the Process runner, and with --env-secrets
// there too; the commit task keeps the published export files as its
// outputs, copied from the target folder once committed.
func TestKestraFlowOnPostgresSecretsAndExports(t *testing.T) {
	dir, _ := newProject(t)
	postgresTarget(t, dir, newPGDB(t), 1)
	file := filepath.Join(dir, "project.yml")
	text := strings.Replace(string(readFile(t, file)), "  type: postgres\n", "  type: postgres\n  password: \"{{ env_var('KILN_KESTRA_TEST_PW') }}\"\n", 1)
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KILN_KESTRA_TEST_PW", "not-used-by-trust-auth")
	type task struct {
		ID          string
		Env         map[string]string
		Commands    []string
		OutputFiles []string `yaml:"outputFiles"`
	}
	var flow struct {
		Description string
		Tasks       []struct {
			task  `yaml:",inline"`
			Tasks []struct{ Task task }
		}
		Errors []task
	}
	export := func(args ...string) {
		t.Helper()
		code, stdout, stderr := kiln(t, dir, append([]string{"export", "kestra", "--worker-dir", "/srv/kiln/bottleneck"}, args...)...)
		if code != 0 {
			t.Fatalf("export kestra %v exit %d:\n%s", args, code, stderr)
		}
		flow.Tasks, flow.Errors = nil, nil
		if err := yaml.Unmarshal([]byte(stdout), &flow); err != nil {
			t.Fatal(err)
		}
	}
	const secret = "{{ secret('KILN_KESTRA_TEST_PW') }}"
	every := func() []task {
		var all []task
		for _, tk := range flow.Tasks {
			if len(tk.Tasks) > 0 {
				for _, e := range tk.Tasks {
					all = append(all, e.Task)
				}
				continue
			}
			all = append(all, tk.task)
		}
		for _, e := range flow.Errors {
			if len(e.Commands) > 0 {
				all = append(all, e)
			}
		}
		return all
	}
	for _, args := range [][]string{{"--image", "kiln:v1"}, {"--env-secrets"}} {
		export(args...)
		tasks := every()
		if len(tasks) < 5 {
			t.Fatalf("%v: %d tasks with commands", args, len(tasks))
		}
		for _, tk := range tasks {
			if tk.Env["KILN_KESTRA_TEST_PW"] != secret {
				t.Errorf("%v: task %s gets no KILN_KESTRA_TEST_PW from the secret store: env %v", args, tk.ID, tk.Env)
			}
		}
		if !strings.Contains(flow.Description, "KILN_KESTRA_TEST_PW from Kestra's secret store") {
			t.Errorf("%v: the description does not name the secret:\n%s", args, flow.Description)
		}
	}
	export()
	var commit task
	for _, tk := range every() {
		if tk.Env["KILN_KESTRA_TEST_PW"] != "" {
			t.Errorf("Process runner without --env-secrets: task %s reads the secret store: %v", tk.ID, tk.Env)
		}
		if tk.ID == "commit" {
			commit = tk
		}
	}
	want := []string{"run_results.json", "junit.xml", "bottleneck_monthly.xlsx", "ordinary_wines.csv", "premium_wines.csv", "revenue_by_product.csv"}
	if strings.Join(commit.OutputFiles, ",") != strings.Join(want, ",") {
		t.Errorf("the commit task's outputs are %v, want %v", commit.OutputFiles, want)
	}
	cmds := strings.Join(commit.Commands, "\n")
	for _, w := range []string{"cp /srv/kiln/bottleneck/target/exports/premium_wines.csv premium_wines.csv || echo"} {
		if !strings.Contains(cmds, w) {
			t.Errorf("the commit task does not run %q after the commit:\n%s", w, cmds)
		}
	}
	if i, j := strings.Index(cmds, "transaction commit"), strings.Index(cmds, "cp /srv/kiln/bottleneck/target/exports"); i < 0 || j < i {
		t.Errorf("the exports are copied before the commit:\n%s", cmds)
	}
}

// TestCrossDatabaseMacrosOnPostgres: dbt's cross-database macros give the
// same values on PostgreSQL (their postgres__ forms, dispatched first) as
// on DuckDB, and the values dbt defines: datediff counts the boundaries of
// each datepart crossed (weeks from Sunday), both ways; safe_cast of a
// valid value, type_float, any_value and listagg with a limit.
func TestCrossDatabaseMacrosOnPostgres(t *testing.T) {
	const a, b = "cast('2023-12-31 23:59:58' as timestamp)", "cast('2025-03-02 00:00:01.5' as timestamp)"
	// 2023-12-31 and 2025-03-02 are Sundays, 427 days apart.
	diffs := map[string]int{"year": 2, "quarter": 5, "month": 15, "week": 61, "day": 427,
		"hour": 427*24 - 23, "minute": 427*1440 - (23*60 + 59), "second": 427*86400 - 86398 + 1}
	want := map[string]string{"safe_int": "12", "safe_float": "2.5", "any_v": "x", "first_two": "a,b"}
	var cols []string
	for p, n := range diffs {
		cols = append(cols, fmt.Sprintf("{{ dbt.datediff(%q, %q, '%s') }} as d_%s, {{ dbt.datediff(%q, %q, '%s') }} as r_%s", a, b, p, p, b, a, p, p))
		want["d_"+p], want["r_"+p] = fmt.Sprint(n), fmt.Sprint(-n)
	}
	sql := "{{ config(materialized='table') }}\nselect " + strings.Join(cols, ",\n  ") + `,
  {{ dbt.safe_cast("'12'", dbt.type_int()) }} as safe_int,
  {{ dbt.safe_cast("'1.25'", dbt.type_float()) }} * 2 as safe_float,
  (select {{ dbt.any_value('v') }} from (select 'x' as v) as one) as any_v,
  (select {{ dbt.listagg('v', "','", 'order by v', 2) }} from (select 'c' as v union all select 'a' union all select 'b') as three) as first_two
`
	build := func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "models", "crossdb.sql"), []byte(sql), 0o644); err != nil {
			t.Fatal(err)
		}
		mustKiln(t, 0, dir, "build", "--select", "crossdb")
	}
	duck := smallProject(t, "database-path: target/small.duckdb\n")
	build(duck)
	d := newPGDB(t)
	pg := smallProject(t, fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n", d.host, d.port, d.user, d.db))
	build(pg)
	for col, w := range want {
		q := "select cast(" + col + " as varchar) from crossdb"
		if got := queryDB(t, filepath.Join(duck, "target", "small.duckdb"), q); got != w {
			t.Errorf("DuckDB: %s = %s, want %s", col, got, w)
		}
		if got := d.query(t, q); len(got) != 1 || got[0] != w {
			t.Errorf("PostgreSQL: %s = %v, want %s", col, got, w)
		}
	}
}

// TestDistributedByRefused: a model with distributed_by is refused before
// anything runs, at the config's position in the model's file, on DuckDB
// and on a PostgreSQL server without the Citus extension (exit 2, could
// not start); nothing is built.
func TestDistributedByRefused(t *testing.T) {
	model := "{{ config(materialized='table', schema='marts', distributed_by='n', colocate_with='expensive') }}\nselect count(*) as n from {{ ref('expensive') }}\n"
	d := newPGDB(t)
	for _, c := range []struct{ name, extra, says string }{
		{"duckdb", "database-path: target/small.duckdb\n", "distributed_by needs PostgreSQL with the Citus extension; a duckdb database cannot distribute tables"},
		{"postgres", fmt.Sprintf("target:\n  type: postgres\n  host: %s\n  port: %s\n  user: %s\n  dbname: %s\n", d.host, d.port, d.user, d.db),
			"distributed_by needs the Citus extension, and this PostgreSQL database has none; run create extension citus"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := smallProject(t, c.extra)
			if err := os.WriteFile(filepath.Join(dir, "models", "summary.sql"), []byte(model), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := kiln(t, dir, "build")
			if code != ExitCannotStart || !strings.Contains(out+errOut, "ERROR model marts.summary (models/summary.sql:1:49)") || !strings.Contains(out+errOut, "model \"summary\": "+c.says) || !strings.Contains(out+errOut, "nothing was built: 1 model cannot be built on this database") {
				t.Fatalf("build exit %d, want 2 and %q at the model's position:\n%s\n%s", code, c.says, out, errOut)
			}
		})
	}
	if got := d.query(t, "select count(*) from information_schema.tables where table_schema in ('public', 'marts')"); len(got) != 1 || got[0] != "0" {
		t.Errorf("the refused build left %v relations in PostgreSQL", got)
	}
}

// with runs f on a connection to d's database, closed afterwards. kiln's
// own process holds the advisory lock while it runs, not after: a second
// connection may read and write freely.
func (d pgDB) with(t *testing.T, f func(context.Context, adapter.Conn)) {
	t.Helper()
	ctx := context.Background()
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
	f(ctx, c)
}
