package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/diag"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func write(t *testing.T, dir, text string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, FileName)
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// Find looks where dbt does, in dbt's order: --profiles-dir, then
// DBT_PROFILES_DIR, then the project's folder, then ~/.dbt.
func TestFindOrder(t *testing.T) {
	root := t.TempDir()
	proj, home, flag, envDir := filepath.Join(root, "proj"), filepath.Join(root, "home"), filepath.Join(root, "flag"), filepath.Join(root, "env")
	inHome := write(t, filepath.Join(home, ".dbt"), "p: {}")
	o := Options{ProjectDir: proj, Home: home, LookupEnv: env(nil)}
	if got, _, err := Find(o); err != nil || got != inHome {
		t.Errorf("home: got %q, %v; want %q", got, err, inHome)
	}
	inProj := write(t, proj, "p: {}")
	if got, _, _ := Find(o); got != inProj {
		t.Errorf("project folder: got %q, want %q", got, inProj)
	}
	inEnv := write(t, envDir, "p: {}")
	o.LookupEnv = env(map[string]string{"DBT_PROFILES_DIR": envDir})
	if got, _, _ := Find(o); got != inEnv {
		t.Errorf("DBT_PROFILES_DIR: got %q, want %q", got, inEnv)
	}
	inFlag := write(t, flag, "p: {}")
	o.Dir = flag
	if got, _, _ := Find(o); got != inFlag {
		t.Errorf("--profiles-dir: got %q, want %q", got, inFlag)
	}
	o.Dir = filepath.Join(root, "nowhere")
	if _, tried, err := Find(o); err != ErrNoFile || len(tried) != 1 {
		t.Errorf("a --profiles-dir without the file: %v, tried %v", err, tried)
	}
}

const jaffle = `jaffle_shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: 'jaffle_shop.duckdb'
      threads: 24
    ci:
      type: duckdb
      path: "{{ env_var('CI_DB', 'ci.duckdb') }}"
      schema: "{{ var('schema', 'ci') }}"
      threads: "{{ env_var('THREADS', '2') | as_number }}"
      settings: {memory_limit: 1GB}
      extensions: [parquet, {name: json}]
    pg:
      type: postgres
      host: localhost
`

func TestParseDuckDBTarget(t *testing.T) {
	o := Options{ProjectDir: "/proj", Profile: "jaffle_shop", LookupEnv: env(nil)}
	tg, l := Parse("profiles.yml", []byte(jaffle), o)
	if l.HasErrors() {
		t.Fatal(l)
	}
	if tg.Name != "dev" || tg.Type != "duckdb" || tg.Schema != "main" || tg.Database != "jaffle_shop" || tg.Threads != 24 || tg.Path != "/proj/jaffle_shop.duckdb" {
		t.Errorf("dev target = %+v", tg)
	}
	ctx := tg.Context()
	if ctx["name"] != "dev" || ctx["schema"] != "main" || ctx["type"] != "duckdb" || ctx["database"] != "jaffle_shop" || ctx["profile_name"] != "jaffle_shop" || ctx["threads"] != 24 {
		t.Errorf("target context = %v", ctx)
	}

	// --target, Jinja in values (env_var, var, as_number), settings.
	o.Target = "ci"
	o.Vars = map[string]any{"schema": "pr_12"}
	o.LookupEnv = env(map[string]string{"CI_DB": "/tmp/x/pr.duckdb"})
	tg, l = Parse("profiles.yml", []byte(jaffle), o)
	if l.HasErrors() {
		t.Fatal(l)
	}
	if tg.Path != "/tmp/x/pr.duckdb" || tg.Database != "pr" || tg.Schema != "pr_12" || tg.Threads != 2 {
		t.Errorf("ci target = %+v", tg)
	}
	if got := tg.Settings()["memory_limit"]; got != "1GB" {
		t.Errorf("settings = %v", tg.Settings())
	}
	if got := strings.Join(tg.Extensions(), ","); got != "parquet,json" {
		t.Errorf("extensions = %q", got)
	}

	// DBT_TARGET picks the target when --target is not given.
	o.Target = ""
	o.LookupEnv = env(map[string]string{"DBT_TARGET": "ci"})
	if tg, _ = Parse("profiles.yml", []byte(jaffle), o); tg == nil || tg.Name != "ci" {
		t.Errorf("DBT_TARGET: %+v", tg)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name, text, profile, target, want string
	}{
		{"missing profile", jaffle, "jaffle_shp", "", `profiles.yml:1:1: profile "jaffle_shp" is not in profiles.yml; did you mean "jaffle_shop"?`},
		{"missing target", jaffle, "jaffle_shop", "prod", `profiles.yml:4:5: --target prod: profile "jaffle_shop" has no target "prod"; its targets: dev, ci, pg; pass one of them, or add the target to the profile's outputs:`},
		{"postgres port", "p:\n  outputs:\n    pg: {type: postgres, port: 99999}\n", "p", "pg", `profiles.yml:3:32: port "99999" is not a port number`},
		{"postgres sslmode", "p:\n  outputs:\n    pg: {type: postgres, sslmode: on}\n", "p", "pg", `profiles.yml:3:35: sslmode "on" is not one of disable, allow, prefer, require, verify-ca, verify-full`},
		{"postgres search_path", "p:\n  outputs:\n    pg: {type: postgres, search_path: x}\n", "p", "pg", `profiles.yml:3:39: "search_path" of a postgres target is not supported yet`},
		{"unknown type", "p:\n  outputs:\n    dev: {type: duckbd}\n", "p", "dev", `profiles.yml:3:17: unknown adapter type "duckbd"; did you mean "duckdb"?`},
		{"database mismatch", "p:\n  outputs:\n    dev: {type: duckdb, path: a.duckdb, database: b}\n", "p", "dev", `database "b" does not match path "a.duckdb"`},
		{"field not yet", "p:\n  outputs:\n    dev: {type: duckdb, path: a.duckdb, attach: [{path: b.duckdb}]}\n", "p", "dev", `profiles.yml:3:49: "attach" of a duckdb target is not supported yet`},
		{"env var missing", "p:\n  outputs:\n    dev: {type: duckdb, path: \"{{ env_var('NOPE') }}\"}\n", "p", "dev", `environment variable "NOPE" is not set`},
		{"bad threads", "p:\n  outputs:\n    dev: {type: duckdb, threads: 0}\n", "p", "dev", `threads is 0: it must be a whole number of 1 or more`},
		{"remote path", "p:\n  outputs:\n    dev: {type: duckdb, path: 'md:my_db'}\n", "p", "dev", `is not a local file`},
		// path: indented one level too little: an output of its own, and
		// dev without a path would build in memory, keeping nothing.
		// A key twice is an error at the second, as in the project's
		// files (dbt keeps the last): the profile, a target, a field.
		{"profile twice", "p:\n  outputs:\n    dev: {type: duckdb, path: a.duckdb}\np:\n  outputs:\n    dev: {type: duckdb, path: b.duckdb}\n", "p", "dev",
			`profiles.yml:4:1: invalid YAML: mapping key "p" already defined at line 1; remove one of the two "p" entries (lines 1 and 4); dbt 1.10 warns and keeps the last, kiln refuses to guess`},
		{"target twice", "p:\n  outputs:\n    dev: {type: duckdb, path: a.duckdb}\n    dev: {type: duckdb, path: b.duckdb}\n", "p", "dev", `profiles.yml:4:5: invalid YAML: mapping key "dev" already defined at line 3`},
		{"field twice", "p:\n  outputs:\n    dev:\n      type: duckdb\n      path: a.duckdb\n      path: b.duckdb\n", "p", "dev", `profiles.yml:6:7: invalid YAML: mapping key "path" already defined at line 5`},
		{"field as a target", "p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n    path: dev.duckdb\n", "p", "", `profiles.yml:6:5: outputs: "path" of profile "p" is not a target (a mapping with type: and the adapter's fields); if path: is a field of the target above it, indent it like that target's other fields`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, l := Parse("profiles.yml", []byte(c.text), Options{Profile: c.profile, Target: c.target, LookupEnv: env(nil)})
			if !l.HasErrors() || !strings.Contains(l.Error(), c.want) {
				t.Errorf("got %q\nwant it to contain %q", l.Error(), c.want)
			}
		})
	}
}

// A profile or target name that is not in profiles.yml is reported where
// it was written: the project file's profile:, the profile's target:, or
// --target and DBT_TARGET by name (dbt: "Could not find profile named
// ...", a project error; "The profile ... does not have a target named
// ...", with the valid target names), the names that exist listed.
func TestParseNamesReportedWhereWritten(t *testing.T) {
	at := Options{Profile: "jaffle_shopp", LookupEnv: env(nil), ProfileAt: diag.Pos{File: "dbt_project.yml", Line: 6, Col: 10}}
	_, l := Parse("profiles.yml", []byte(jaffle), at)
	want := `dbt_project.yml:6:10: profile "jaffle_shopp" is not in profiles.yml; did you mean "jaffle_shop"?`
	if l.Error() != want {
		t.Errorf("profile: got %q\nwant %q", l.Error(), want)
	}
	at.Profile = "warehouse"
	_, l = Parse("profiles.yml", []byte(jaffle), at)
	want = `dbt_project.yml:6:10: profile "warehouse" is not in profiles.yml; its profiles: jaffle_shop; fix profile: here, or add the profile to profiles.yml`
	if l.Error() != want {
		t.Errorf("profile, none near: got %q\nwant %q", l.Error(), want)
	}
	for _, c := range []struct {
		name, text, target string
		env                map[string]string
		want               string
	}{
		{"--target", jaffle, "nosuch", nil,
			`profiles.yml:4:5: --target nosuch: profile "jaffle_shop" has no target "nosuch"; its targets: dev, ci, pg; pass one of them, or add the target to the profile's outputs:`},
		{"--target near", jaffle, "dve", nil,
			`profiles.yml:4:5: --target dve: profile "jaffle_shop" has no target "dve"; did you mean "dev"? its targets: dev, ci, pg; pass one of them, or add the target to the profile's outputs:`},
		{"DBT_TARGET", jaffle, "", map[string]string{"DBT_TARGET": "prod"},
			`profiles.yml:4:5: DBT_TARGET=prod: profile "jaffle_shop" has no target "prod"; its targets: dev, ci, pg; set DBT_TARGET to one of them, or add the target to the profile's outputs:`},
		{"target:", strings.Replace(jaffle, "target: dev", "target: prod", 1), "", nil,
			`profiles.yml:2:11: the target: of profile "jaffle_shop", "prod", is not one of its outputs; its targets: dev, ci, pg; fix target:, or pass --target`},
		{"no target:", strings.Replace(jaffle, "  target: dev\n", "", 1), "", nil,
			`profiles.yml:3:5: profile "jaffle_shop" has no target: and no target "default"; its targets: dev, ci, pg; add target: <name> to the profile, or pass --target`},
	} {
		_, l := Parse("profiles.yml", []byte(c.text), Options{Profile: "jaffle_shop", Target: c.target, LookupEnv: env(c.env)})
		if l.Error() != c.want {
			t.Errorf("%s: got %q\nwant %q", c.name, l.Error(), c.want)
		}
	}
}

// A postgres target: dbt-postgres's fields into a libpq connection
// string, schema "public" and the database from PGDATABASE when left out,
// the password kept out of target.* in templates.
func TestParsePostgresTarget(t *testing.T) {
	const text = `shop:
  target: prod
  outputs:
    prod:
      type: postgres
      host: db.internal
      port: 5433
      user: "{{ env_var('PGUSER_KILN') }}"
      password: "{{ env_var('PG_PASSWORD') }}"
      dbname: analytics
      schema: warehouse
      sslmode: verify-full
      threads: 8
    bare:
      type: postgres
`
	o := Options{Profile: "shop", LookupEnv: env(map[string]string{"PGUSER_KILN": "kiln", "PG_PASSWORD": "it's s\\ecret"})}
	tg, l := Parse("profiles.yml", []byte(text), o)
	if l.HasErrors() {
		t.Fatal(l)
	}
	want := `host='db.internal' port='5433' user='kiln' password='it\'s s\\ecret' dbname='analytics' sslmode='verify-full'`
	if tg.Type != "postgres" || tg.Schema != "warehouse" || tg.Database != "analytics" || tg.Threads != 8 || tg.DSN != want || tg.Path != "" {
		t.Errorf("prod target = %+v\nDSN  %s\nwant %s", tg, tg.DSN, want)
	}
	ctx := tg.Context()
	if _, ok := ctx["password"]; ok || ctx["host"] != "db.internal" || ctx["schema"] != "warehouse" || ctx["type"] != "postgres" {
		t.Errorf("target context = %v", ctx)
	}
	o.Target = "bare"
	o.LookupEnv = env(map[string]string{"PGDATABASE": "from_env"})
	tg, l = Parse("profiles.yml", []byte(text), o)
	if l.HasErrors() {
		t.Fatal(l)
	}
	if tg.Schema != "public" || tg.Database != "from_env" || tg.DSN != "" {
		t.Errorf("bare target = %+v", tg)
	}
}

// An unknown field is a warning (dbt ignores it), a documenting one with a
// note too, and neither stops the load.
func TestParseWarnings(t *testing.T) {
	tg, l := Parse("profiles.yml", []byte("p:\n  target: dev\n  outputs:\n    dev: {type: duckdb, pth: x.duckdb, retries: {connect_attempts: 3}}\n"), Options{Profile: "p", LookupEnv: env(nil)})
	if l.HasErrors() || tg == nil || tg.Database != "memory" {
		t.Fatalf("%v %+v", l, tg)
	}
	got := l.Error()
	for _, want := range []string{`warning: unknown field "pth" of a duckdb target: kiln ignores it; did you mean "path"?`, `warning: retries is not read: pass kiln's --retries N`} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings %q lack %q", got, want)
		}
	}
}

// A secret stays out of target in templates.
func TestContextLeavesSecretsOut(t *testing.T) {
	tg, l := Parse("profiles.yml", []byte("p:\n  outputs:\n    default: {type: duckdb, password: hunter2}\n"), Options{Profile: "p", LookupEnv: env(nil)})
	if l.HasErrors() {
		t.Fatal(l)
	}
	if tg.Name != "default" {
		t.Errorf("target without target: is %q, want default", tg.Name)
	}
	if _, ok := tg.Context()["password"]; ok {
		t.Error("target.password is visible to templates")
	}
}
