package project

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func load(t *testing.T, files map[string]string) (*Project, string) {
	t.Helper()
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	p, l := Load(fsys)
	return p, l.Error()
}

func TestUnknownProjectKeyHasPositionAndNearestKey(t *testing.T) {
	_, errs := load(t, map[string]string{"project.yml": "name: shop\nmodel-path: [models]\nvars:\n  a: 1\n"})
	want := `project.yml:2:1: unknown key "model-path" in project.yml; did you mean "model-paths" or "log-path"?`
	if errs != want {
		t.Fatalf("got %q\nwant %q", errs, want)
	}
}

// A config misspelt at the top of the project file (materialised, the
// British spelling) is taken for that config, not for the nearest
// top-level key ("analyses"); under models: it is a config near-miss.
func TestMisspeltConfigAtTop(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"name: shop\nmaterialised: table\n", `project.yml:2:1: unknown key "materialised" in project.yml; did you mean the config "materialized"? a config is set in a folder tree with a +, as models: {<project name>: {+materialized: ...}}, or in the node's config()`},
		{"name: shop\nmodels:\n  materialised: table\n", `project.yml:3:3: unknown config "materialised"; did you mean "+materialized"?`},
		{"name: shop\nmodels:\n  shop:\n    +materialised: table\n", `project.yml:4:5: unknown config "+materialised"; did you mean "+materialized"?`},
		// The British -isation, too far from materialized by distance.
		{"name: shop\nmodels:\n  +materialisation: table\n", `project.yml:3:3: unknown config "+materialisation"; did you mean "+materialized"?`},
	} {
		if _, errs := load(t, map[string]string{"project.yml": tc.file}); errs != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.file, errs, tc.want)
		}
	}
}

func TestDefaultsAndDiscovery(t *testing.T) {
	p, errs := load(t, map[string]string{
		"project.yml":            "name: shop\nversion: 1.0\n",
		"models/b.sql":           "select 1",
		"models/a/x.sql":         "select 2",
		"models/.hidden/h.sql":   "select 3",
		"models/schema.yml":      "version: 2\nmodels:\n  - name: x\n",
		"seeds/codes.csv":        "a\n1\n",
		"tests/assert_x.sql":     "select 1 where false",
		"tests/generic/gt.sql":   "{% test gt(model, column_name) %}select 1{% endtest %}",
		"macros/m.sql":           "{% macro m() %}1{% endmacro %}",
		"target/compiled/b.sql":  "ignored",
		"models/notes.md":        "ignored",
		"target/run_results.yml": "ignored: true",
	})
	if errs != "" {
		t.Fatal(errs)
	}
	if p.Config.Version != "1.0" || p.Config.TargetPath != "target" || p.Config.DatabasePath != "target/kiln.duckdb" {
		t.Errorf("defaults: %+v", p.Config)
	}
	paths := func(fs []File) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Path)
		}
		return out
	}
	if got := paths(p.Models); !reflect.DeepEqual(got, []string{"models/a/x.sql", "models/b.sql"}) {
		t.Errorf("models %v", got)
	}
	if got := paths(p.Tests); !reflect.DeepEqual(got, []string{"tests/assert_x.sql"}) {
		t.Errorf("tests %v", got)
	}
	if got := paths(p.Macros); !reflect.DeepEqual(got, []string{"macros/m.sql", "tests/generic/gt.sql"}) {
		t.Errorf("macros %v", got)
	}
	if len(p.Seeds) != 1 || len(p.Properties) != 1 || p.Properties[0].Models[0].Name != "x" {
		t.Errorf("seeds %v props %v", p.Seeds, p.Properties)
	}
	if p.Properties[0].Models[0].Line != 3 || p.Properties[0].Models[0].Col != 5 {
		t.Errorf("model position %+v", p.Properties[0].Models[0].At)
	}
}

func TestConfigTreeResolve(t *testing.T) {
	p, errs := load(t, map[string]string{"project.yml": `name: shop
models:
  shop:
    +materialized: view
    +tags: [all]
    staging:
      +materialized: table
      +schema: staging
      +tags: stg
      stg_orders:
        +alias: orders
    marts:
      materialized: table
`})
	if errs != "" {
		t.Fatal(errs)
	}
	got := p.ModelConfig.Resolve([]string{"staging", "stg_orders"})
	want := map[string]any{"materialized": "table", "schema": "staging", "tags": []string{"all", "stg"}, "alias": "orders"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if got := p.ModelConfig.Resolve([]string{"marts", "x"})["materialized"]; got != "table" {
		t.Errorf("marts: %v", got)
	}
	if got := p.ModelConfig.Resolve([]string{"other", "x"})["materialized"]; got != "view" {
		t.Errorf("root: %v", got)
	}
	unused := p.ModelConfig.Unused()
	if len(unused) != 0 {
		t.Errorf("all paths were used: %v", unused)
	}
	p.ModelConfig.Children["staging"].Children["stg_orders"].used = false
	if u := p.ModelConfig.Unused(); len(u) != 1 || strings.Join(u[0].Path, "/") != "staging/stg_orders" {
		t.Errorf("unused %v", u)
	}
}

// TestCustomKeyInTree keeps a key of the project's own in the folder
// configs, with "+" or, as dbt does, without one when its value is not a
// mapping, each with one warning at its position; the deepest folder's
// value wins.
func TestCustomKeyInTree(t *testing.T) {
	p, msgs := load(t, map[string]string{"project.yml": "name: shop\nmodels:\n  shop:\n    +my_team: finance\n    marts:\n      my_team: sales\n      +my_map: {a: 1}\n"})
	want := `project.yml:4:5: warning: config "my_team" is not one kiln knows: kept in the node's config as a key of the project's own (dbt 1.10 deprecates such keys outside meta); write "+meta: {my_team: ...}" and read it with config.meta_get('my_team')` + "\n" +
		`project.yml:6:7: warning: config "my_team", written without "+", is not one kiln knows: kept in the nodes' config as a key of the project's own (dbt 1.10 deprecates such keys outside meta, and configs without "+"); write "+meta: {my_team: ...}" and read it with config.meta_get('my_team'); a folder's name holds a mapping` + "\n" +
		`project.yml:7:7: warning: config "my_map" is not one kiln knows: kept in the node's config as a key of the project's own (dbt 1.10 deprecates such keys outside meta); write "+meta: {my_map: ...}" and read it with config.meta_get('my_map')`
	if msgs != want {
		t.Fatalf("got\n%s\nwant\n%s", msgs, want)
	}
	if got := p.ModelConfig.Resolve([]string{"staging", "x"})["my_team"]; got != "finance" {
		t.Errorf("staging: my_team = %v, want finance", got)
	}
	marts := p.ModelConfig.Resolve([]string{"marts", "x"})
	if got := marts["my_team"]; got != "sales" {
		t.Errorf("marts: my_team = %v, want sales", got)
	}
	if got, ok := marts["my_map"].(map[string]any); !ok || got["a"] != 1 {
		t.Errorf("marts: my_map = %v, want map[a:1]", marts["my_map"])
	}
}

func TestUnknownConfigInTree(t *testing.T) {
	_, errs := load(t, map[string]string{"project.yml": "name: shop\nmodels:\n  shop:\n    +materialzed: table\n    staging:\n      materialised: view\n"})
	want := "project.yml:4:5: unknown config \"+materialzed\"; did you mean \"+materialized\"?\n" +
		"project.yml:6:7: unknown config \"materialised\"; did you mean \"+materialized\"?"
	if errs != want {
		t.Fatalf("got\n%s\nwant\n%s", errs, want)
	}
}

func TestTestEntryForms(t *testing.T) {
	p, errs := load(t, map[string]string{
		"project.yml": "name: shop\n",
		"models/s.yml": `version: 2
models:
  - name: orders
    columns:
      - name: status
        data_tests:
          - not_null
          - accepted_values:
              values: [a, b]
              severity: warn
          - accepted_values:
              arguments: {values: [c], quote: false}
              config: {where: "x > 1"}
          - name: custom
            test_name: relationships
            to: ref('customers')
            field: id
`})
	if errs != "" {
		t.Fatal(errs)
	}
	tests := p.Properties[0].Models[0].Columns[0].AllTests()
	if len(tests) != 4 {
		t.Fatalf("got %d tests", len(tests))
	}
	if tests[0].Name != "not_null" || tests[0].Line != 7 {
		t.Errorf("0: %+v", tests[0])
	}
	if tests[1].Name != "accepted_values" || tests[1].Config["severity"] != "warn" || len(tests[1].Args["values"].([]any)) != 2 {
		t.Errorf("1: %+v", tests[1])
	}
	if tests[2].Args["quote"] != false || tests[2].Config["where"] != "x > 1" {
		t.Errorf("2: %+v", tests[2])
	}
	if tests[3].Name != "relationships" || tests[3].CustomName != "custom" || tests[3].Args["to"] != "ref('customers')" {
		t.Errorf("3: %+v", tests[3])
	}
	if !reflect.DeepEqual(tests[3].ArgNames(), []string{"to", "field"}) {
		t.Errorf("arg order %v", tests[3].ArgNames())
	}
}

func TestBadTestEntryAndUnknownPropertyKey(t *testing.T) {
	_, errs := load(t, map[string]string{
		"project.yml": "name: shop\n",
		"models/s.yml": `version: 2
models:
  - name: orders
    descripton: typo
    columns:
      - name: id
        tests:
          - unique:
            values: [1]
`})
	if !strings.Contains(errs, `models/s.yml:4:5: unknown key "descripton" in "models"; did you mean "description"?`) {
		t.Errorf("missing unknown key error:\n%s", errs)
	}
	if !strings.Contains(errs, "models/s.yml:8:13: a data test mapping must have one key") {
		t.Errorf("missing test entry error:\n%s", errs)
	}
}

func TestWrongTypeHasColumnAndWhatToWrite(t *testing.T) {
	_, errs := load(t, map[string]string{"project.yml": "name: shop\nthreads: four\nmodel-paths: models\n"})
	for _, want := range []string{
		`project.yml:2:10: "threads" must be a whole number, not a string ("four"); write a whole number here`,
		`project.yml:3:14: "model-paths" must be a list, not a string ("models"); write a list here`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("errors do not hold %q:\n%s", want, errs)
		}
	}
}

// TestWrongTypeInYAMLWords: a property file's value of the wrong shape is
// said in YAML's words (a number, a list, a mapping), at its line and
// column, never with Go's type names ([]project.ModelProps).
func TestWrongTypeInYAMLWords(t *testing.T) {
	for src, want := range map[string]string{
		"models: 3\n": `models/p.yml:1:9: "models" must be a list, not a number (3); write a list here`,
		"models:\n  - name: a\n    columns: abc\n": `models/p.yml:3:14: "columns" must be a list, not a string ("abc"); write a list here`,
		"models:\n  - name: a\n    columns: [1]\n": `models/p.yml:3:15: this list item must be a mapping, not a number (1); write a mapping here`,
		"models:\n  - name: a\n    config: [1]\n":  `models/p.yml:3:13: "config" must be a mapping, not a list; write a mapping here`,
	} {
		_, errs := load(t, map[string]string{"project.yml": "name: shop\n", "models/a.sql": "select 1 as x\n", "models/p.yml": src})
		if !strings.Contains(errs, want) || strings.Contains(errs, "project.") || strings.Contains(errs, "interface") {
			t.Errorf("%q: errors do not hold %q, or name a Go type:\n%s", src, want, errs)
		}
	}
}

func TestThreadsMustBeAWholeNumberOfOneOrMore(t *testing.T) {
	for _, v := range []string{"0", "-3", "4.5"} {
		_, errs := load(t, map[string]string{"project.yml": "name: shop\nthreads: " + v + "\n"})
		want := "project.yml:2:10: threads is " + v + ": it must be a whole number of 1 or more"
		if !strings.Contains(errs, want) {
			t.Errorf("threads: %s: errors %q, want %q", v, errs, want)
		}
	}
	if _, errs := load(t, map[string]string{"project.yml": "name: shop\nthreads: 2\n"}); errs != "" {
		t.Errorf("threads: 2: %s", errs)
	}
}

// TestNotUTF8: a project file that is not UTF-8 (a Latin-1 é) is an error
// at the byte, as dbt refuses it, instead of the database's position-less
// "Invalid unicode" or yaml.v3's "invalid trailing UTF-8 octet".
func TestNotUTF8(t *testing.T) {
	_, errs := load(t, map[string]string{
		"project.yml":  "name: shop\n",
		"models/a.sql": "select 1 as x,\n  'caf\xe9' as y\n",
		"models/p.yml": "models:\n  - name: a\n    description: caf\xe9 x\n",
		"seeds/s.csv":  "a\ncaf\xe9\n", // a seed has its own encoding
	})
	for _, want := range []string{
		`models/a.sql:2:7: the file is not UTF-8 text: byte 0xE9 here is not UTF-8; kiln reads project files as UTF-8, as dbt does; 0xE9 is "é" in Latin-1 (ISO-8859-1) and Windows-1252: save the file as UTF-8`,
		`models/p.yml:3:21: the file is not UTF-8 text: byte 0xE9 here is not UTF-8`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("errors do not hold %q:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, "s.csv") || strings.Contains(errs, "octet") {
		t.Errorf("errors:\n%s", errs)
	}
}

// VarsUnread is set when vars: is there and could not be read, so that
// the compiler does not report every var() as missing.
func TestVarsUnread(t *testing.T) {
	for text, want := range map[string]bool{
		"vars: 3\n":        true,
		"vars: [a, b]\n":   true,
		"vars: {a: 1}\n":   false,
		"vars: {}\n":       false,
		"vars:\n":          false,
		"threads: 2\n":     false,
		"vars: 'a: 1'\n":   true,
		"vars:\n  a: [1\n": false, // a YAML syntax error: nothing is decoded
	} {
		p, _ := Load(fstest.MapFS{"project.yml": &fstest.MapFile{Data: []byte("name: p\n" + text)}})
		if p.VarsUnread != want {
			t.Errorf("%q: VarsUnread = %v, want %v", text, p.VarsUnread, want)
		}
	}
}
