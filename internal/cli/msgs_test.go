package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeProject writes files (path relative to the project: content) into
// a temporary folder and returns it.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, files)
	return dir
}

// TestYAMLDateVars: a YAML date or datetime in --vars or project.yml's
// vars: prints as PyYAML's date and datetime do in dbt (2020-09-01,
// 2020-09-01 10:11:12+00:00), not as Go's time, and has a date's
// attributes.
func TestYAMLDateVars(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml": "name: t1\nvars:\n  pd: 2020-09-01\n  pt: 2020-09-01 10:11:12\n",
		"models/m.sql": "select '{{ var(\"pd\") }}' as a, '{{ var(\"pt\") }}' as b, '{{ var(\"d\") }}' as c, " +
			"'{{ var(\"t\") }}' as d, {{ var(\"d\").year }} as y, '{{ var(\"l\")[0] }}' as l\n",
	})
	out := mustKiln(t, 0, dir, "compile", "-s", "m", "--vars", "{d: 2021-03-04, t: 2020-09-01T10:11:12Z, l: [2020-01-02]}")
	want := "select '2020-09-01' as a, '2020-09-01 10:11:12' as b, '2021-03-04' as c, '2020-09-01 10:11:12+00:00' as d, 2021 as y, '2020-01-02' as l"
	if !strings.Contains(out, want) {
		t.Errorf("compiled SQL:\n%s\nwant %s", out, want)
	}
}

// TestClosedStdout: a command whose stdout's reader has gone (kiln ls |
// head) ends quietly with ExitBrokenPipe, as Unix tools do, without
// "write /dev/stdout: broken pipe".
func TestClosedStdout(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":  "name: t1\n",
		"models/a.sql": "select 1 as x\n",
		"models/b.sql": "select * from {{ ref('a') }}\n",
	})
	mustKiln(t, 0, dir, "build")
	for _, args := range [][]string{{"ls"}, {"ls", "--output", "json"}, {"compile", "-s", "b"}, {"runs"}, {"show", "-s", "b"}} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		var errOut strings.Builder
		code := Main(context.Background(), append([]string{"--project-dir", dir}, args...), strings.NewReader(""), w, &errOut)
		w.Close()
		if code != ExitBrokenPipe || strings.Contains(errOut.String(), "error") || strings.Contains(errOut.String(), "pipe") {
			t.Errorf("kiln %s with a closed stdout: exit %d, want %d, and stderr %q, want no error", strings.Join(args, " "), code, ExitBrokenPipe, errOut.String())
		}
	}
}

// TestEmptyModel: a model file with nothing but whitespace is skipped, as
// dbt skips empty models (node.empty keeps it out of every selection),
// with a warning at the file; a ref() to it is an error at the ref; a file
// that renders to comments only is an error at the file, not the
// database's syntax error at ")".
func TestEmptyModel(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":    "name: t1\ndatabase-path: target/bottleneck.duckdb\n",
		"models/a.sql":   "select 1 as x\n",
		"models/e1.sql":  "",
		"models/e2.sql":  "  \n\t\n",
		"models/_p.yml":  "models:\n  - name: e1\n    columns:\n      - name: x\n        data_tests: [not_null]\n",
		"models/sub.sql": "select 2 as y\n",
	})
	out := mustKiln(t, 0, dir, "build")
	for _, want := range []string{
		`models/e1.sql:1:1: warning: model "e1" is empty: models/e1.sql holds no SQL, so it is skipped, as dbt skips empty models; write its select statement, or delete the file`,
		`models/e2.sql:1:1: warning: model "e2" is empty`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q:\n%s", want, out)
		}
	}
	if rows := query(t, dir, "select count(*) from information_schema.tables where table_name in ('e1', 'e2')"); rows != "0" {
		t.Errorf("%s relations built for the empty models", rows)
	}
	if _, ls, _ := kiln(t, dir, "ls"); strings.Contains(ls, "e1") || !strings.Contains(ls, "t1.a") {
		t.Errorf("ls lists the empty model, or not the others:\n%s", ls)
	}

	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("models/sub.sql", "select *\nfrom {{ ref('e1') }}\n")
	code, _, errOut := kiln(t, dir, "compile")
	want := `models/sub.sql:2:9: model "e1" is empty (models/e1.sql holds no SQL), so nothing builds it, but "sub" refs it; write the select statement of models/e1.sql, or remove the ref`
	if code != ExitCannotStart || !strings.Contains(errOut, want) {
		t.Errorf("ref to an empty model: exit %d, want %d and %q\n%s", code, ExitCannotStart, want, errOut)
	}
	write("models/sub.sql", "select 2 as y\n")
	for _, text := range []string{"-- todo\n", "{# later #}\n", "/* x */ -- y\n"} {
		write("models/e2.sql", text)
		code, _, errOut := kiln(t, dir, "run")
		want := `models/e2.sql:1:1: model "e2" has no SQL: models/e2.sql renders to comments and whitespace only; write its select statement`
		if code != ExitCannotStart || !strings.Contains(errOut, want) || strings.Contains(errOut, "syntax error") {
			t.Errorf("model %q: exit %d, want %d and %q\n%s", text, code, ExitCannotStart, want, errOut)
		}
	}
}

// TestTargetPathUnderAFile: a target path (or database path) below a file
// is refused before anything runs, naming the path as the user gave it
// and the file in the way, not "mkdir /tmp/...: not a directory".
func TestTargetPathUnderAFile(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":  "name: t1\n",
		"models/a.sql": "select 1 as x\n",
		"somefile":     "not a folder\n",
	})
	for _, args := range [][]string{{"compile"}, {"build"}, {"ls"}, {"docs", "generate"}} {
		code, _, errOut := kiln(t, dir, append(args, "--target-path", "somefile/target")...)
		want := "error: --target-path somefile/target: somefile is a file, not a folder; choose another target path, or move the file\n"
		if code != ExitCannotStart || errOut != want {
			t.Errorf("kiln %s: exit %d, want %d and %q; stderr:\n%s", args[0], code, ExitCannotStart, want, errOut)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "project.yml"), []byte("name: t1\ndatabase-path: somefile/db.duckdb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := kiln(t, dir, "build")
	want := "error: the database somefile/db.duckdb: somefile is a file, not a folder; choose another database-path, or move the file\n"
	if code != ExitCannotStart || errOut != want {
		t.Errorf("database path under a file: exit %d, want %d and %q; stderr:\n%s", code, ExitCannotStart, want, errOut)
	}
}

// TestBrokenSelectorsAlwaysReported: dbt parses selectors.yml at every
// parse: compile, parse and ls report a broken one (file:line:col)
// without --selector, also after a compile that the partial parse cache
// kept.
func TestBrokenSelectorsAlwaysReported(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":  "name: t1\n",
		"models/a.sql": "select 1 as x\n",
	})
	mustKiln(t, 0, dir, "compile")
	if err := os.WriteFile(filepath.Join(dir, "selectors.yml"), []byte("selectors:\n  - name: s\n    definition:\n      method: nope\n      value: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"compile"}, {"parse"}, {"ls"}} {
		code, _, errOut := kiln(t, dir, args...)
		want := `selectors.yml:4:15: unknown method "nope"`
		if code != ExitCannotStart || !strings.Contains(errOut, want) {
			t.Errorf("kiln %s: exit %d, want %d and %q; stderr:\n%s", args[0], code, ExitCannotStart, want, errOut)
		}
	}
}

// TestUnitTestSyntaxHint: a syntax error in the model that a unit test
// runs gets the model's position and the same hint as the model's own
// run, also when the database gives no position (at end of input).
func TestUnitTestSyntaxHint(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":  "name: t8\n",
		"models/a.sql": "select 1 as id\n",
		"models/ut.yml": "unit_tests:\n  - name: ut_b\n    model: b\n    given:\n      - input: ref('a')\n        rows:\n          - {id: 1}\n" +
			"    expect:\n      rows:\n        - {id: 1, v: 2}\n",
	})
	for src, want := range map[string]string{
		"select id, id * 2 as v\nfrom {{ ref('a') }}\nwhere (id = 1\n": "ERROR unit_test ut_b (models/b.sql:3:13)\n" +
			"  model \"b\" fails on the given rows of its unit tests: parser error: syntax error at end of input\n" +
			"  hint: the ( at models/b.sql:3:7 is never closed: add its )\n",
		"selct id\nfrom {{ ref('a') }}\n": "ERROR unit_test ut_b (models/b.sql:1:1)\n" +
			"  model \"b\" fails on the given rows of its unit tests: parser error: syntax error at or near \"selct\"\n" +
			"  hint: \"selct\" at models/b.sql:1:1: did you mean \"SELECT\"?\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, "models", "b.sql"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := kiln(t, dir, "build")
		if code != ExitFailure || !strings.Contains(out+errOut, want) {
			t.Errorf("model %q: exit %d, want %d and\n%s\noutput:\n%s%s", src, code, ExitFailure, want, out, errOut)
		}
	}
}

// TestUnitTestColumnHint: a column typo in a model that a unit test runs
// first (on its given rows, a VALUES list for which DuckDB lists no
// candidates) keeps the "did you mean" of the model's own build, from the
// columns of the unit test's inputs.
func TestUnitTestColumnHint(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":  "name: t8\n",
		"models/a.sql": "select 1 as id, 2.5 as price\n",
		"models/b.sql": "select r.id, r.pricee * 2 as v\nfrom {{ ref('a') }} as r\n",
		"models/ut.yml": "unit_tests:\n  - name: ut_b\n    model: b\n    given:\n      - input: ref('a')\n        rows:\n          - {id: 1, price: 1.5}\n" +
			"    expect:\n      rows:\n        - {id: 1, v: 3}\n",
	})
	code, out, errOut := kiln(t, dir, "build")
	want := "ERROR unit_test ut_b (models/b.sql:1:14)\n" +
		"  model \"b\" fails on the given rows of its unit tests: binder error: Values list \"r\" does not have a column named \"pricee\"\n" +
		"  hint: did you mean \"price\"?\n"
	if code != ExitFailure || !strings.Contains(out+errOut, want) {
		t.Errorf("exit %d, want %d and\n%s\noutput:\n%s%s", code, ExitFailure, want, out, errOut)
	}
}

// TestVarsNotAMapping: --vars that parses as YAML but is not a mapping is
// said in YAML's words, with what it is, and exits 2 before anything runs;
// not Go's "cannot unmarshal !!seq into map[string]interface {}". A key
// written twice is refused too (it was the last value, silently).
func TestVarsNotAMapping(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":  "name: t1\n",
		"models/a.sql": "select 1 as x\n",
	})
	for vars, want := range map[string]string{
		"[1,2]":    "error: --vars must be a mapping ({key: value}), not a list; write --vars '{raw_dir: data/sample}'",
		"3":        "error: --vars must be a mapping ({key: value}), not a number (3);",
		`"str"`:    `error: --vars must be a mapping ({key: value}), not a string ("str");`,
		"true":     "error: --vars must be a mapping ({key: value}), not a boolean (true);",
		"{a: [1":   "error: --vars is not a YAML or JSON mapping: line 1: did not find expected ',' or ']';",
		"- a\n- b": "error: --vars must be a mapping ({key: value}), not a list;",
		"{month: 2024-05, raw_dir: x, month: 2024-06}": `error: --vars writes the key "month" twice; write it once (dbt keeps the last value, kiln refuses to guess)`,
	} {
		code, _, stderr := kiln(t, dir, "build", "--vars", vars)
		if code != ExitCannotStart || !strings.Contains(stderr, want) {
			t.Errorf("--vars %q: exit %d, stderr:\n%s\nwant exit %d and %q", vars, code, stderr, ExitCannotStart, want)
		}
		if strings.Contains(stderr, "unmarshal") || strings.Contains(stderr, "interface") {
			t.Errorf("--vars %q: stderr speaks Go:\n%s", vars, stderr)
		}
	}
	code, _, stderr := kiln(t, dir, "build", "--vars", "{a: 1}", "--vars", "{b: 2}")
	if want := `for "--vars" flag: given twice: write every var in one mapping`; code != ExitCannotStart || !strings.Contains(stderr, want) {
		t.Errorf("--vars given twice: exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, ExitCannotStart, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "target", "t1.duckdb")); err == nil {
		t.Error("--vars that is not a mapping must not build anything")
	}
}
