package project

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
)

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return fsys
}

// The file dbt init writes loads: every key is accepted, and the project
// is a dbt project.
func TestDBTInitProjectLoads(t *testing.T) {
	p, l := Load(mapFS(map[string]string{
		"dbt_project.yml": `
name: 'my_new_project'
version: '1.0.0'
config-version: 2
profile: 'default'
model-paths: ["models"]
analysis-paths: ["analyses"]
test-paths: ["tests"]
seed-paths: ["seeds"]
macro-paths: ["macros"]
snapshot-paths: ["snapshots"]
clean-targets:
  - "target"
  - "dbt_packages"
require-dbt-version: [">=1.0.0", "<2.0.0"]
quoting: {database: false}
flags: {send_anonymous_usage_stats: false, require_generic_test_arguments_property: true}
dbt-cloud: {project-id: 123}
models:
  my_new_project:
    example:
      +materialized: view
`,
		"models/example/a.sql": "select 1",
	}))
	if l.HasErrors() {
		t.Fatal(l)
	}
	if !p.DBT || p.File != DBTFileName || p.Config.Name != "my_new_project" {
		t.Errorf("DBT %v file %q name %q", p.DBT, p.File, p.Config.Name)
	}
	// The one flag kiln does not apply is named in a warning.
	if got := l.Error(); got != `dbt_project.yml:17:44: warning: flag "require_generic_test_arguments_property" is not read by kiln` {
		t.Errorf("diagnostics %q", got)
	}
}

// project.yml wins over dbt_project.yml: it is kiln's own file.
func TestKilnFileWins(t *testing.T) {
	p, l := Load(mapFS(map[string]string{"project.yml": "name: a\n", "dbt_project.yml": "name: b\n"}))
	if l.HasErrors() || p.DBT || p.Config.Name != "a" {
		t.Errorf("got %q (dbt %v): %v", p.Config.Name, p.DBT, l)
	}
}

// Jinja in the project file's values is rendered as dbt renders it, with
// target and --vars; vars are left for later.
func TestProjectValuesRendered(t *testing.T) {
	files := mapFS(map[string]string{"dbt_project.yml": `
name: shop
profile: "{{ env_var('PROFILE', 'shop') }}"
vars:
  start: "{{ var('x') }}"
models:
  shop:
    +schema: "{{ env_var('SCHEMA', 'dev') }}_{{ target.name }}"
    +materialized: "{{ 'table' if var('big', false) else 'view' }}"
`})
	var asked TargetRequest
	o := Options{
		Vars:      map[string]any{"big": true},
		LookupEnv: func(k string) (string, bool) { return map[string]string{"SCHEMA": "ci"}[k], k == "SCHEMA" },
		Target: func(r TargetRequest) (*Target, diag.List) {
			asked = r
			t := DefaultTarget("shop.duckdb")
			t.Name, t.Context["name"] = "prod", "prod"
			return t, nil
		},
	}
	p, l := LoadWith(files, o)
	if l.HasErrors() {
		t.Fatal(l)
	}
	if asked.Profile != "shop" || !asked.DBT {
		t.Errorf("target request %+v", asked)
	}
	cfg := p.ModelConfig.Resolve([]string{"a"})
	if cfg["schema"] != "ci_prod" || cfg["materialized"] != "table" {
		t.Errorf("model config %v", cfg)
	}
	if p.Config.Vars["start"] != "{{ var('x') }}" {
		t.Errorf("vars rendered: %v", p.Config.Vars)
	}
}

// source-paths and data-paths are dbt < 1.0's names of model-paths and
// seed-paths.
func TestOldPathNames(t *testing.T) {
	p, l := Load(mapFS(map[string]string{"dbt_project.yml": "name: a\nsource-paths: [src]\ndata-paths: [data]\n", "src/m.sql": "select 1", "data/s.csv": "a\n1\n"}))
	if l.HasErrors() || len(p.Models) != 1 || len(p.Seeds) != 1 {
		t.Errorf("models %v seeds %v: %v", p.Models, p.Seeds, l)
	}
}

// Docs blocks are read from the .md files of every resource path, or of
// docs-paths when set.
func TestDocsFiles(t *testing.T) {
	p, _ := Load(mapFS(map[string]string{"dbt_project.yml": "name: a\n", "models/docs.md": "{% docs x %}X{% enddocs %}", "macros/m.md": "", "docs/d.md": ""}))
	if len(p.Docs) != 2 || p.Docs[0].Path != "macros/m.md" || p.Docs[1].Path != "models/docs.md" {
		t.Errorf("docs %v", p.Docs)
	}
	p, _ = Load(mapFS(map[string]string{"dbt_project.yml": "name: a\ndocs-paths: [docs]\n", "models/docs.md": "", "docs/d.md": ""}))
	if len(p.Docs) != 1 || p.Docs[0].Path != "docs/d.md" {
		t.Errorf("docs-paths %v", p.Docs)
	}
}

// Installed packages are loaded with their files under their folder; a
// package declared and not installed says to run kiln deps.
func TestPackages(t *testing.T) {
	files := map[string]string{
		"dbt_project.yml":                       "name: root\n",
		"packages.yml":                          "packages:\n  - local: ../utils\n  - package: dbt-labs/codegen\n    version: [\">=0.12.0\", \"<0.14.0\"]\n",
		"dbt_packages/utils/dbt_project.yml":    "name: utils\nlog-path: logs\nmacro-paths: [m]\n",
		"dbt_packages/utils/m/star.sql":         "{% macro star() %}*{% endmacro %}",
		"dbt_packages/utils/models/p_model.sql": "select 1",
	}
	p, l := Load(mapFS(files))
	if got := l.Error(); !strings.Contains(got, "packages.yml: packages.yml declares 2 packages but 1 is installed in dbt_packages; run kiln deps to install them") {
		t.Errorf("diagnostics %q", got)
	}
	if len(p.PackageSpecs) != 2 || p.PackageSpecs[0].Kind() != "local" || p.PackageSpecs[1].Kind() != "hub" || strings.Join(p.PackageSpecs[1].Versions(), " ") != ">=0.12.0 <0.14.0" {
		t.Errorf("specs %+v", p.PackageSpecs)
	}
	u := p.Package("utils")
	if u == nil || u.Dir != "dbt_packages/utils" || len(u.Macros) != 1 || u.Macros[0].Path != "dbt_packages/utils/m/star.sql" ||
		len(u.Models) != 1 || u.Rel(u.Models[0].Path) != "models/p_model.sql" {
		t.Fatalf("package %+v", u)
	}
	// The package's log-path note is not the project's to fix: no warning.
	if strings.Contains(l.Error(), "log-path") {
		t.Errorf("a package's warning reached the project: %s", l.Error())
	}
	delete(files, "packages.yml")
	files["dependencies.yml"] = "packages:\n  - git: https://example.com/x.git\n    revision: v1\n  - tarball: https://x/y.tgz\n"
	_, l = Load(mapFS(files))
	if got := l.Error(); !strings.Contains(got, "dependencies.yml:4:5: tarball package \"https://x/y.tgz\" needs a name") {
		t.Errorf("dependencies.yml: %q", got)
	}
}

// flags: {partial_parse: ...} takes a boolean, as in dbt: anything else is
// an error at the value, not partial parsing turned off without a word.
func TestPartialParseFlagType(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{`"no"`, `project.yml:3:18: flags: partial_parse must be true or false; write partial_parse: false to turn partial parsing off (or --no-partial-parse)`},
		{`[false]`, `project.yml:3:18: flags: partial_parse must be true or false; write partial_parse: false to turn partial parsing off (or --no-partial-parse)`},
		{`false`, ``},
		{`true`, ``},
	} {
		_, l := Load(mapFS(map[string]string{
			"project.yml":  "name: pp\nflags:\n  partial_parse: " + tc.value + "\n",
			"models/a.sql": "select 1 as x\n",
		}))
		if got := l.Error(); got != tc.want {
			t.Errorf("partial_parse: %s: diagnostics %q, want %q", tc.value, got, tc.want)
		}
	}
}

// A key written twice in dbt_project.yml is one error at the second key's
// line and column, with a hint; not also a false "the project has no
// name" (yaml.v3 leaves the whole mapping undecoded).
func TestDuplicateKeyInDBTProject(t *testing.T) {
	src := "name: 'jaffle_shop'\n\nconfig-version: 2\nversion: '0.1'\nprofile: 'jaffle_shop'\nmodel-paths: [\"other\"]\n\n  # models\nmodel-paths: [\"models\"]\n"
	_, errs := load(t, map[string]string{"dbt_project.yml": src, "models/a.sql": "select 1 as x\n"})
	want := `dbt_project.yml:9:1: invalid YAML: mapping key "model-paths" already defined at line 6; remove one of the two "model-paths" entries (lines 6 and 9)`
	if !strings.Contains(errs, want) {
		t.Errorf("errors do not hold %q:\n%s", want, errs)
	}
	if strings.Contains(errs, "no name") || strings.Contains(errs, "must be letters") || strings.Count(errs, "\n") != 0 {
		t.Errorf("want the one duplicate key error, got:\n%s", errs)
	}
	// Nested: the key's column, in a schema file.
	_, errs = load(t, map[string]string{"dbt_project.yml": "name: shop\n", "models/a.sql": "select 1 as x\n",
		"models/p.yml": "models:\n  - name: a\n    description: x\n    description: y\n"})
	if want := `models/p.yml:4:5: invalid YAML: mapping key "description" already defined at line 3; remove one of the two "description" entries (lines 3 and 4)`; !strings.Contains(errs, want) {
		t.Errorf("errors do not hold %q:\n%s", want, errs)
	}
}

// A key written twice below models:, seeds:, snapshots: or tests: in
// dbt_project.yml (kept as YAML nodes, which yaml.v3 does not check), in a
// test's arguments, a source's freshness or a unit test's row, is the same
// error as a key twice elsewhere, at the second key, each once: not the
// last value kept without a word. A key three times is two errors; one
// inside a config's value (+meta) is said once.
func TestDuplicateKeyNested(t *testing.T) {
	project := `name: shop
models:
  shop:
    +materialized: table
    staging:
      +materialized: view
      +materialized: ephemeral
    staging:
      +schema: stg
    +meta: {owner: a, owner: b}
seeds:
  shop:
    +schema: raw
    +schema: seeds
    +schema: other
snapshots:
  shop:
    +target_schema: snaps
    +target_schema: snapshots
tests:
  shop:
    +severity: warn
    +severity: error
`
	props := `version: 2
models:
  - name: a
    data_tests:
      - accepted_values:
          values: [1]
          values: [2]
sources:
  - name: raw
    freshness:
      warn_after: {count: 1, period: day}
      warn_after: {count: 2, period: day}
    tables: [{name: t}]
unit_tests:
  - name: u
    model: a
    given: []
    expect:
      rows:
        - {x: 1, x: 2}
`
	_, errs := load(t, map[string]string{"dbt_project.yml": project, "models/a.sql": "select 1 as x\n", "models/p.yml": props})
	want := []string{
		`dbt_project.yml:7:7: invalid YAML: mapping key "+materialized" already defined at line 6; remove one of the two "+materialized" entries (lines 6 and 7); dbt 1.10 warns and keeps the last, kiln refuses to guess`,
		`dbt_project.yml:8:5: invalid YAML: mapping key "staging" already defined at line 5`,
		`dbt_project.yml:10:23: invalid YAML: mapping key "owner" already defined at line 10; remove one of the two "owner" entries (both on line 10)`,
		`dbt_project.yml:14:5: invalid YAML: mapping key "+schema" already defined at line 13`,
		`dbt_project.yml:15:5: invalid YAML: mapping key "+schema" already defined at line 13`,
		`dbt_project.yml:19:5: invalid YAML: mapping key "+target_schema" already defined at line 18`,
		`dbt_project.yml:23:5: invalid YAML: mapping key "+severity" already defined at line 22`,
		`models/p.yml:7:11: invalid YAML: mapping key "values" already defined at line 6`,
		`models/p.yml:12:7: invalid YAML: mapping key "warn_after" already defined at line 11`,
		`models/p.yml:20:18: invalid YAML: mapping key "x" already defined at line 20`,
	}
	for _, w := range want {
		if !strings.Contains(errs, w) {
			t.Errorf("errors do not hold %s", w)
		}
	}
	if n := strings.Count(errs, "already defined"); n != len(want) {
		t.Errorf("%d duplicate key errors, want %d:\n%s", n, len(want), errs)
	}
}

// duplicateKeys finds the same keys in a small mapping (compared key by
// key) and in a large one (through a map): each later occurrence of a key,
// against its first.
func TestDuplicateKeysLargeMapping(t *testing.T) {
	for _, size := range []int{4, 40} {
		var b strings.Builder
		for i := 0; i < size; i++ {
			fmt.Fprintf(&b, "k%d: %d\n", i, i)
		}
		b.WriteString("k2: again\nk2: thrice\n")
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(b.String()), &root); err != nil {
			t.Fatal(err)
		}
		var l diag.List
		duplicateKeys("f.yml", &root, &l)
		want := fmt.Sprintf("f.yml:%d:1: invalid YAML: mapping key \"k2\" already defined at line 3; remove one of the two \"k2\" entries (lines 3 and %d); dbt 1.10 warns and keeps the last, kiln refuses to guess\n"+
			"f.yml:%d:1: invalid YAML: mapping key \"k2\" already defined at line 3; remove one of the two \"k2\" entries (lines 3 and %d); dbt 1.10 warns and keeps the last, kiln refuses to guess",
			size+1, size+1, size+2, size+2)
		if got := l.Error(); got != want {
			t.Errorf("%d keys:\n got %s\nwant %s", size, got, want)
		}
	}
}
