package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/parsecache"
)

// partialProject writes a small project whose models read a var, an
// environment variable and a macro, with a property file.
func partialProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"project.yml":      "name: pp\nmodel-paths: [models]\nmacro-paths: [macros]\ndatabase-path: db/pp.duckdb\nvars:\n  v: 1\n",
		"models/a.sql":     "select 1 as x\n",
		"models/b.sql":     "select x from {{ ref('a') }}\n",
		"models/c.sql":     "select '{{ env_var('PP_ENV', 'dflt') }}' as e, {{ var('v') }} as v from {{ ref('b') }}\n",
		"models/sub/d.sql": "select {{ twice('x') }} as y from {{ ref('a') }}\n",
		"macros/m.sql":     "{% macro twice(c) %}{{ c }} * 2{% endmacro %}\n",
		"models/schema.yml": "version: 2\nmodels:\n  - name: a\n    description: The first model.\n    config:\n      tags: [t1]\n" +
			"    columns:\n      - name: x\n        description: A number.\n        data_tests: [not_null]\n" +
			"  - name: b\n    config:\n      alias: \"b_{{ env_var('PP_ALIAS', 'x') }}\"\n",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body)
	}
	return dir
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// compiledTree returns the files of target/compiled but the index, by
// path.
func compiledTree(t *testing.T, target string) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := filepath.Join(target, "compiled")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".kiln-index" {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = string(readFile(t, p))
		return nil
	})
	return out
}

// manifestWithoutInvocation returns manifest.json decoded, without the
// metadata that changes with every invocation.
func manifestWithoutInvocation(t *testing.T, target string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readFile(t, filepath.Join(target, "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	meta := m["metadata"].(map[string]any)
	for _, k := range []string{"generated_at", "invocation_id"} {
		if _, ok := meta[k].(string); !ok {
			t.Fatalf("manifest.json has no %s", k)
		}
		delete(meta, k)
	}
	return m
}

// TestPartialParseMatchesFullParse applies random edits to a project and
// checks after each that ls (every output) and compile's artifacts through
// the cache are what --no-partial-parse gives.
func TestPartialParseMatchesFullParse(t *testing.T) {
	dir := partialProject(t)
	t.Setenv("PP_ENV", "one")
	t.Setenv("PP_ALIAS", "p")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 17))
	extra := []string{} // models added by the edits, none referenced
	vars := ""
	next := 0
	edit := func(path string, f func(string) string) {
		p := filepath.Join(dir, path)
		writeFile(t, p, f(string(readFile(t, p))))
	}
	edits := []struct {
		name string
		do   func() string
	}{
		{"edit a model's SQL", func() string {
			edit("models/a.sql", func(s string) string { return fmt.Sprintf("select %d as x\n", r.IntN(1000)) })
			return "a.sql"
		}},
		{"same-size edit at once", func() string {
			// The same size, written twice in a row: the second write
			// may keep the first's stamp.
			edit("models/a.sql", func(s string) string { return "select 7 as x\n" })
			edit("models/a.sql", func(s string) string { return "select 8 as x\n" })
			return "a.sql twice"
		}},
		{"edit a description", func() string {
			edit("models/schema.yml", func(s string) string {
				i := strings.Index(s, "description: ") + len("description: ")
				j := strings.Index(s[i:], "\n")
				return s[:i] + fmt.Sprintf("The first model, take %d.", r.IntN(100)) + s[i+j:]
			})
			return "schema.yml description"
		}},
		{"edit a config", func() string {
			edit("models/schema.yml", func(s string) string {
				if strings.Contains(s, "[t1]") {
					return strings.Replace(s, "[t1]", "[t1, t2]", 1)
				}
				return strings.Replace(s, "[t1, t2]", "[t1]", 1)
			})
			return "schema.yml tags"
		}},
		{"edit a macro", func() string {
			n := 2 + r.IntN(5)
			edit("macros/m.sql", func(string) string { return fmt.Sprintf("{%% macro twice(c) %%}{{ c }} * %d{%% endmacro %%}\n", n) })
			return "macro"
		}},
		{"edit a var", func() string {
			edit("project.yml", func(s string) string {
				i := strings.Index(s, "  v: ")
				return s[:i] + fmt.Sprintf("  v: %d\n", r.IntN(50))
			})
			return "project.yml var"
		}},
		{"--vars", func() string {
			vars = []string{"", "{v: 3}", "{v: 4}"}[r.IntN(3)]
			return "--vars " + vars
		}},
		{"edit an environment variable", func() string {
			v := []string{"one", "two", ""}[r.IntN(3)]
			if v == "" {
				os.Unsetenv("PP_ENV")
			} else {
				os.Setenv("PP_ENV", v)
			}
			return "PP_ENV=" + v
		}},
		{"edit an environment variable of a property file", func() string {
			v := []string{"p", "q", ""}[r.IntN(3)]
			if v == "" {
				os.Unsetenv("PP_ALIAS")
			} else {
				os.Setenv("PP_ALIAS", v)
			}
			return "PP_ALIAS=" + v
		}},
		{"add a file", func() string {
			next++
			name := fmt.Sprintf("models/new/n%d.sql", next)
			writeFile(t, filepath.Join(dir, name), fmt.Sprintf("select %d as n from {{ ref('a') }}\n", next))
			extra = append(extra, name)
			return "add " + name
		}},
		{"delete a file", func() string {
			if len(extra) == 0 {
				return "nothing to delete"
			}
			i := r.IntN(len(extra))
			os.Remove(filepath.Join(dir, extra[i]))
			name := extra[i]
			extra = append(extra[:i], extra[i+1:]...)
			return "delete " + name
		}},
		{"rename a file", func() string {
			if len(extra) == 0 {
				return "nothing to rename"
			}
			i := r.IntN(len(extra))
			next++
			to := fmt.Sprintf("models/new/n%d.sql", next)
			if err := os.Rename(filepath.Join(dir, extra[i]), filepath.Join(dir, to)); err != nil {
				t.Fatal(err)
			}
			from := extra[i]
			extra[i] = to
			return "rename " + from + " " + to
		}},
		{"touch without change", func() string {
			now := time.Now()
			os.Chtimes(filepath.Join(dir, "models/b.sql"), now, now)
			return "touch b.sql"
		}},
	}
	hits := engine.PartialHits.Load()
	// Every edit three times, in a random order.
	var order []int
	for range 3 {
		order = append(order, r.Perm(len(edits))...)
	}
	for step, k := range order {
		what := edits[k].do()
		global := []string{}
		if vars != "" {
			global = append(global, "--vars", vars)
		}
		for _, output := range []string{"selector", "name", "path", "json"} {
			args := append(append([]string(nil), global...), "ls", "--output", output)
			want := mustKiln(t, 0, dir, append([]string{"--no-partial-parse", "--target-path", "ref"}, args...)...)
			for range 2 { // the first may fill the cache, the second may read it
				if got := mustKiln(t, 0, dir, args...); got != want {
					t.Fatalf("step %d (%s): ls --output %s through the cache:\n%s\nwant:\n%s", step, what, output, got, want)
				}
			}
		}
		mustKiln(t, 0, dir, append([]string{"--no-partial-parse", "--target-path", "ref"}, append(global, "compile")...)...)
		want, wantTree := manifestWithoutInvocation(t, filepath.Join(dir, "ref")), compiledTree(t, filepath.Join(dir, "ref"))
		for range 2 {
			mustKiln(t, 0, dir, append(global, "compile")...)
			got, gotTree := manifestWithoutInvocation(t, filepath.Join(dir, "target")), compiledTree(t, filepath.Join(dir, "target"))
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("step %d (%s): manifest.json through the cache differs from --no-partial-parse's", step, what)
			}
			if !reflect.DeepEqual(gotTree, wantTree) {
				t.Fatalf("step %d (%s): compiled files through the cache:\n%v\nwant:\n%v", step, what, keysOf(gotTree), keysOf(wantTree))
			}
		}
	}
	if engine.PartialHits.Load() == hits {
		t.Fatal("no result came from the cache: the test did not exercise it")
	}
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPartialParseMisses checks that a damaged cache is a miss, that
// --no-partial-parse neither reads nor writes it and that kiln clean
// removes it.
func TestPartialParseMisses(t *testing.T) {
	dir := partialProject(t)
	want := mustKiln(t, 0, dir, "--no-partial-parse", "ls")
	if _, err := os.Stat(filepath.Join(dir, "target", "partial_parse.kiln")); err == nil {
		t.Fatal("--no-partial-parse wrote the cache")
	}
	mustKiln(t, 0, dir, "ls")
	main := filepath.Join(dir, "target", "partial_parse.kiln")
	data := readFile(t, main)
	for _, damaged := range [][]byte{data[:len(data)/2], append([]byte("KILNPP0\n"), data[8:]...), []byte("garbage"), {}} {
		if err := os.WriteFile(main, damaged, 0o644); err != nil {
			t.Fatal(err)
		}
		if got := mustKiln(t, 0, dir, "ls"); got != want {
			t.Fatalf("ls over a damaged cache:\n%s\nwant:\n%s", got, want)
		}
	}
	results, _ := filepath.Glob(filepath.Join(dir, "target", "partial_parse.ls-*.kiln"))
	if len(results) != 1 {
		t.Fatalf("ls saved %d results, want 1", len(results))
	}
	if err := os.WriteFile(results[0], bytes.Repeat([]byte{1}, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := mustKiln(t, 0, dir, "ls"); got != want {
		t.Fatalf("ls over a damaged result:\n%s\nwant:\n%s", got, want)
	}
	mustKiln(t, 0, dir, "clean")
	if _, err := os.Stat(main); err == nil {
		t.Fatal("kiln clean left the cache")
	}
}

// sameAsFullParse runs args through the cache (twice: the second may hit)
// and with --no-partial-parse, and fails unless the outputs are equal.
func sameAsFullParse(t *testing.T, dir string, args ...string) string {
	t.Helper()
	want := mustKiln(t, 0, dir, append([]string{"--no-partial-parse"}, args...)...)
	for range 2 {
		if got := mustKiln(t, 0, dir, args...); got != want {
			t.Fatalf("kiln %s through the cache:\n%s\nwant:\n%s", strings.Join(args, " "), got, want)
		}
	}
	return want
}

// TestPartialParseOutsideFiles changes what the load reads outside the
// project's files: profiles.yml's environment variables, selectors.yml.
func TestPartialParseOutsideFiles(t *testing.T) {
	window := parsecache.Window
	parsecache.Window = 0 // the files are not edited within a clock tick here
	defer func() { parsecache.Window = window }()
	dir := partialProject(t)
	edit := func(name, body string) { writeFile(t, filepath.Join(dir, name), body) }
	edit("project.yml", "name: pp\nprofile: pp\nmodel-paths: [models]\nmacro-paths: [macros]\nvars:\n  v: 1\n")
	edit("profiles.yml", "pp:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: \"db/{{ env_var('PP_DB', 'a') }}.duckdb\"\n")
	// A profile path's folder must exist, as for dbt-duckdb.
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	database := func() string {
		mustKiln(t, 0, dir, "compile")
		var m struct {
			Kiln struct{ Database string } `json:"kiln"`
		}
		if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "kiln_manifest.json")), &m); err != nil {
			t.Fatal(err)
		}
		return filepath.Base(m.Kiln.Database)
	}
	hits := engine.PartialHits.Load()
	for _, v := range []string{"a", "b", "b", "c"} {
		t.Setenv("PP_DB", v)
		for range 2 {
			if got := database(); got != v+".duckdb" {
				t.Fatalf("PP_DB=%s: manifest.json's kiln.database is %s", v, got)
			}
		}
	}
	if engine.PartialHits.Load() == hits {
		t.Fatal("no compile came from the cache")
	}
	// A default selector of selectors.yml, then another.
	sameAsFullParse(t, dir, "ls")
	edit("selectors.yml", "selectors:\n  - name: only_a\n    default: true\n    definition: 'a'\n")
	if got := sameAsFullParse(t, dir, "ls"); got != "pp.a\npp.not_null_a_x\n" {
		t.Fatalf("ls with the default selector: %q", got)
	}
	edit("selectors.yml", "selectors:\n  - name: only_b\n    default: true\n    definition: 'b'\n")
	if got := sameAsFullParse(t, dir, "ls"); got != "pp.b\n" {
		t.Fatalf("ls with the new default selector: %q", got)
	}
	os.Remove(filepath.Join(dir, "selectors.yml"))
	sameAsFullParse(t, dir, "ls", "-s", "tag:t1", "--output", "json")
}

// TestPartialParseNotCached checks what is never cached: a project whose
// templates read the clock or the invocation, one that turns partial
// parsing off, a load with a warning; and that a macro reading the clock
// that nothing calls does not stop it.
func TestPartialParseNotCached(t *testing.T) {
	for name, tc := range map[string]struct {
		file, body string
		cached     bool
	}{
		"run_started_at":     {"models/t.sql", "select '{{ run_started_at }}' as t\n", false},
		"invocation_id":      {"models/t.sql", "select '{{ invocation_id }}' as t\n", false},
		"now":                {"models/t.sql", "select '{{ modules.datetime.datetime.now() }}' as t\n", false},
		"today":              {"models/t.sql", "select '{{ modules.datetime.date.today() }}' as t\n", false},
		"flags":              {"project.yml", "name: pp\nmodel-paths: [models]\nmacro-paths: [macros]\ndatabase-path: db/pp.duckdb\nvars:\n  v: 1\nflags:\n  partial_parse: false\n", false},
		"a warning":          {"project.yml", "name: pp\nmodel-paths: [models]\nmacro-paths: [macros]\ndatabase-path: db/pp.duckdb\nvars:\n  v: 1\nflags:\n  not_a_flag: true\n", false},
		"a macro not called": {"macros/n.sql", "{% macro n() %}{{ modules.datetime.datetime.now() }} {{ run_started_at }}{% endmacro %}\n", true},
	} {
		t.Run(name, func(t *testing.T) {
			dir := partialProject(t)
			writeFile(t, filepath.Join(dir, tc.file), tc.body)
			mustKiln(t, 0, dir, "ls")
			mustKiln(t, 0, dir, "compile")
			_, err := os.Stat(filepath.Join(dir, "target", parsecache.MainFile))
			if cached := err == nil; cached != tc.cached {
				t.Fatalf("cached: %v, want %v", cached, tc.cached)
			}
		})
	}
}

// TestPartialParseFlagErrors checks that a cached result does not hide a
// mistake in the flags that the full path reports.
func TestPartialParseFlagErrors(t *testing.T) {
	dir := partialProject(t)
	for range 2 {
		mustKiln(t, 0, dir, "ls")
		mustKiln(t, 0, dir, "compile")
	}
	for _, args := range [][]string{{"--threads", "0", "ls"}, {"--threads", "0", "compile"}, {"--vars", "[1]", "ls"}, {"ls", "--output", "nope"}} {
		mustKiln(t, ExitCannotStart, dir, args...)
	}
}
