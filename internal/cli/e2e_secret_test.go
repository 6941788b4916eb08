package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/scrub"
)

// leakSecret is the value of DBT_ENV_SECRET_TOKEN in the tests below: its
// <, > and & are escaped by the JSON, HTML and XML encoders, so that the
// files are searched for those forms too.
const leakSecret = "Zq7<s3cr3t>&w"

// secretProject is a dbt project whose model SQL, post-hook, log(),
// failing test and failing models (a cast the database refuses, naming
// the value) all hold leakSecret, written as a literal (env_var() of a
// secret variable is refused there), and whose profile reads
// DBT_ENV_SECRET_TOKEN where dbt allows it (output is profiles.yml's
// output, without the indentation).
func secretProject(t *testing.T, output string) string {
	t.Helper()
	return writeProject(t, map[string]string{
		"dbt_project.yml": "name: sec\nprofile: sec\nmodels:\n  sec:\n    +materialized: table\n",
		"profiles.yml":    "sec:\n  target: dev\n  outputs:\n    dev:\n      " + strings.ReplaceAll(strings.TrimSpace(output), "\n", "\n      ") + "\n",
		"models/leak.sql": `{{ config(post_hook=["drop table if exists {{ this.schema }}.hook_log",
    "create table {{ this.schema }}.hook_log as select '` + leakSecret + `' as h"]) }}
{{ log("the token is ` + leakSecret + `", info=True) }}
select 1 as id, '` + leakSecret + `' as token
union all select 2, 'other'
`,
		"models/bad.sql": "-- reads the token as a number\nselect cast(token as integer) as n from (select '" + leakSecret + "' as token) as t\n",
		"models/leak.yml": `models:
  - name: leak
    description: "the token ` + leakSecret + `"
    columns:
      - name: token
        data_tests:
          - accepted_values:
              values: ["` + leakSecret + `"]
`,
		"tests/cast_token.sql": "select id from {{ ref('leak') }} where cast(token as integer) > 0\n",
		"macros/fail.sql":      "{% macro fail_with_token() %}{{ exceptions.raise_compiler_error(\"refused token " + leakSecret + "\") }}{% endmacro %}\n",
	})
}

// checkNoSecret fails the test where the secret, in any of the forms
// kiln's encoders give it, is in text or in a file under dir that kiln
// wrote (every file but the project's own and the database, which holds
// the data).
func checkNoSecret(t *testing.T, dir string, outputs ...string) (files int) {
	t.Helper()
	set := scrub.New([]string{leakSecret})
	for i, o := range outputs {
		if strings.Contains(o, leakSecret) || set.Contains([]byte(o)) {
			t.Errorf("the secret is in output %d:\n%s", i, o)
		}
	}
	own := map[string]bool{"dbt_project.yml": true, "profiles.yml": true, "models": true, "tests": true, "macros": true}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if own[strings.Split(filepath.ToSlash(rel), "/")[0]] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || strings.HasSuffix(path, ".duckdb") || strings.HasSuffix(path, ".duckdb.wal") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if strings.Contains(string(b), leakSecret) || set.Contains(b) {
			t.Errorf("the secret is in %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// runSecretBuild builds the secret project, with its event log as JSON on
// stdout and a JUnit report, then generates the docs, runs the macro that
// fails and compiles, and checks that the secret is in no output and no
// file while the data keep it. It returns the build's stderr.
func runSecretBuild(t *testing.T, dir, castError string, data func(sql string) string) string {
	t.Helper()
	var outs []string
	code, out, errOut := kiln(t, dir, "run", "-s", "leak")
	outs = append(outs, out, errOut)
	if code != ExitOK {
		t.Fatalf("run -s leak exited %d:\n%s%s", code, out, errOut)
	}
	code, out, errOut = kiln(t, dir, "build", "--log-format", "json", "--junit-xml", "target/junit.xml")
	outs = append(outs, out, errOut)
	if code != ExitFailure {
		t.Fatalf("build exited %d, want %d:\n%s%s", code, ExitFailure, out, errOut)
	}
	// What failed says so, the secret masked.
	for _, want := range []string{"the token is *****", castError, "expected token in [*****]"} {
		if !strings.Contains(out, want) && !strings.Contains(strings.ReplaceAll(out, `\u0026`, "&"), want) {
			t.Errorf("build: want %q in the events:\n%s", want, out)
		}
	}
	rr := string(readFile(t, filepath.Join(dir, "target", "run_results.json")))
	if !strings.Contains(rr, "*****") {
		t.Errorf("run_results.json says nothing masked:\n%s", rr)
	}
	// The same as text on stderr.
	code, out, errOut = kiln(t, dir, "build")
	outs = append(outs, out, errOut)
	if code != ExitFailure || !strings.Contains(errOut, strings.ReplaceAll(castError, `\"`, `"`)) {
		t.Errorf("build exited %d, want %d and %q:\n%s%s", code, ExitFailure, castError, out, errOut)
	}
	code, out, errOut = kiln(t, dir, "docs", "generate")
	outs = append(outs, out, errOut)
	if code != ExitOK {
		t.Errorf("docs generate exited %d:\n%s%s", code, out, errOut)
	}
	code, out, errOut = kiln(t, dir, "run-operation", "fail_with_token")
	outs = append(outs, out, errOut)
	if code == ExitOK || !strings.Contains(errOut, "refused token *****") {
		t.Errorf("run-operation exited %d, want the masked error:\n%s%s", code, out, errOut)
	}
	code, out, errOut = kiln(t, dir, "compile", "-s", "leak")
	outs = append(outs, out, errOut)
	if code != ExitOK {
		t.Errorf("compile exited %d:\n%s%s", code, out, errOut)
	}
	code, out, errOut = kiln(t, dir, "runs")
	outs = append(outs, out, errOut)
	if files := checkNoSecret(t, dir, outs...); files < 8 {
		t.Errorf("only %d files written", files)
	}
	// The data are the user's: kept as they are (the failed build
	// restored what the first run built).
	if got := data("select token from leak where id = 1"); got != leakSecret {
		t.Errorf("leak.token = %q, want the value as written", got)
	}
	if got := data("select h from hook_log"); got != leakSecret {
		t.Errorf("hook_log.h = %q, want the value as written", got)
	}
	return errOut
}

// TestSecretNeverWrittenDuckDB: with DBT_ENV_SECRET_TOKEN set, a build on
// DuckDB whose model SQL, post-hook, log() line, failing test and
// database errors (a cast of the value) hold its value writes it to no
// file under the project (manifest.json's raw_code and compiled_code,
// run_results.json's messages, target/compiled, kiln.log, catalog.json,
// the docs site, junit.xml, the runs file, the partial parse cache) nor to
// stdout and stderr, as dbt scrubs its logs (scrub_secrets); the tables
// keep the value.
func TestSecretNeverWrittenDuckDB(t *testing.T) {
	t.Setenv("DBT_ENV_SECRET_TOKEN", leakSecret)
	dir := secretProject(t, "type: duckdb\npath: sec.duckdb")
	runSecretBuild(t, dir, `Could not convert string '*****' to INT32`, func(sql string) string {
		return queryDB(t, filepath.Join(dir, "sec.duckdb"), strings.NewReplacer("from leak", "from main.leak", "from hook_log", "from main.hook_log").Replace(sql))
	})
}

// TestSecretNeverWrittenPostgres: the same on PostgreSQL, whose profile
// reads its password from DBT_ENV_SECRET_TOKEN, and whose errors quote
// the value their own way (invalid input syntax for type integer).
func TestSecretNeverWrittenPostgres(t *testing.T) {
	t.Setenv("DBT_ENV_SECRET_TOKEN", leakSecret)
	d := newPGDB(t)
	dir := secretProject(t, fmt.Sprintf("type: postgres\nhost: %s\nport: %s\nuser: %s\npassword: \"{{ env_var('DBT_ENV_SECRET_TOKEN') }}\"\ndbname: %s\nschema: sec\n", d.host, d.port, d.user, d.db))
	runSecretBuild(t, dir, `invalid input syntax for type integer: \"*****\"`, func(sql string) string {
		rows := d.query(t, strings.NewReplacer("from leak", "from sec.leak", "from hook_log", "from sec.hook_log").Replace(sql))
		return strings.Join(rows, "\n")
	})
}
