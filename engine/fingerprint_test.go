package engine

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
)

// propProject is a small project where every kind of edit has a target:
// a file-backed source, a seed, a macro, a var, models in a chain and one
// apart, YAML configs and tests.
var propProject = map[string]string{
	"project.yml":       "name: prop\nvars:\n  factor: 2\n",
	"macros/times.sql":  "{% macro times(col) %}({{ col }} * 3){% endmacro %}\n",
	"models/base.sql":   "select id, amount from {{ source('raw', 'orders') }}\n",
	"models/scaled.sql": "select id, {{ times('amount') }} as amount from {{ ref('base') }}\n",
	"models/joined.sql": "select s.id, s.amount, c.name from {{ ref('scaled') }} s join {{ ref('countries') }} c on c.id = s.id % 2\n",
	"models/report.sql": "select count(*) as n, {{ var('factor') }} as f from {{ ref('joined') }}\n",
	"models/other.sql":  "select 1 as x\n",
	"models/schema.yml": `sources:
  - name: raw
    tables:
      - name: orders
        external:
          location: data/orders.csv
models:
  - name: base
    config: {tags: [t0]}
    columns:
      - name: id
        data_tests: [not_null]
  - name: scaled
    config: {tags: [t0]}
  - name: joined
    config: {tags: [t0]}
  - name: report
    config: {tags: [t0]}
    columns:
      - name: n
        data_tests: [unique]
  - name: other
    config: {tags: [t0]}
`,
	"seeds/countries.csv": "id,name\n0,a\n1,b\n",
	"data/orders.csv":     "id,amount\n1,10\n2,20\n",
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// edit is one kind of change a user makes between two runs.
type edit struct {
	kind  string
	apply func(r *rand.Rand, files map[string]string, vars map[string]any, n int)
}

var models = []string{"base", "scaled", "joined", "report", "other"}

var edits = []edit{
	{"model", func(r *rand.Rand, f map[string]string, _ map[string]any, n int) {
		m := "models/" + models[r.IntN(len(models))] + ".sql"
		f[m] = strings.TrimSuffix(f[m], "\n") + fmt.Sprintf(" -- edit %d\n", n)
	}},
	{"macro", func(_ *rand.Rand, f map[string]string, _ map[string]any, n int) {
		f["macros/times.sql"] = fmt.Sprintf("{%% macro times(col) %%}({{ col }} * %d){%% endmacro %%}\n", 3+n)
	}},
	{"yaml config", func(r *rand.Rand, f map[string]string, _ map[string]any, n int) {
		m := models[r.IntN(len(models))]
		lines := strings.Split(f["models/schema.yml"], "\n")
		for i, l := range lines {
			if l == "  - name: "+m {
				// meta, not tags alone: dbt's state:modified leaves tags
				// out of the configs it compares (so does kiln's), while
				// the up-to-date check rebuilds a node whose tags changed.
				lines[i+1] = fmt.Sprintf("    config: {tags: [t%d], meta: {edit: %d}}", n, n)
			}
		}
		f["models/schema.yml"] = strings.Join(lines, "\n")
	}},
	{"var", func(_ *rand.Rand, _ map[string]string, v map[string]any, n int) { v["factor"] = 2 + n }},
	{"seed", func(_ *rand.Rand, f map[string]string, _ map[string]any, n int) {
		f["seeds/countries.csv"] += fmt.Sprintf("%d,c%d\n", 10+n, n)
	}},
	{"input file", func(_ *rand.Rand, f map[string]string, _ map[string]any, n int) {
		f["data/orders.csv"] += fmt.Sprintf("%d,%d\n", 100+n, n)
	}},
}

// Property (issue 12, "two systems that disagree"): after random edits of
// a model, a macro, a YAML config, a var, a seed or an input file, the
// nodes that the up-to-date check would run are exactly those that
// "state:modified+" selects against the previous manifest.
func TestUpToDateAgreesWithStateModified(t *testing.T) {
	dir := t.TempDir()
	stateDir := t.TempDir()
	files := map[string]string{}
	for k, v := range propProject {
		files[k] = v
	}
	writeFiles(t, dir, files)
	vars := map[string]any{}
	load := func() *Project {
		t.Helper()
		v := map[string]any{}
		for k, x := range vars {
			v[k] = x
		}
		p, err := Load(Config{Dir: dir, Vars: v, Listener: func(ev Event) {
			if d, ok := ev.(Diagnostics); ok {
				t.Log(d.List)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	prev := load()
	r := rand.New(rand.NewPCG(12, 13))
	seen := map[string]bool{}
	for trial := 1; trial <= 60; trial++ {
		if err := artifact.WriteManifest(stateDir, prev.Manifest, artifact.Metadata{Inputs: prev.Inputs()}); err != nil {
			t.Fatal(err)
		}
		before := prev.chained(nil)
		var kinds []string
		for range 1 + r.IntN(2) {
			e := edits[r.IntN(len(edits))]
			e.apply(r, files, vars, trial)
			kinds = append(kinds, e.kind)
			seen[e.kind] = true
		}
		writeFiles(t, dir, files)
		cur := load()
		ids, err := cur.Select(Selection{Select: []string{"state:modified+"}, StateDir: stateDir})
		if err != nil {
			t.Fatal(err)
		}
		modified := map[graph.ID]bool{}
		for _, id := range ids {
			modified[id] = true
		}
		after := cur.chained(nil)
		var disagree []string
		for _, id := range cur.Plan(cur.Graph().Order()).Nodes() {
			rebuild := after[id] == "" || after[id] != before[id]
			if rebuild != modified[id] {
				disagree = append(disagree, fmt.Sprintf("%s (rebuilt %v, state:modified+ %v)", id, rebuild, modified[id]))
			}
		}
		if len(disagree) > 0 {
			t.Fatalf("trial %d, after %v: the up-to-date check and state:modified+ disagree on:\n%s", trial, kinds, strings.Join(disagree, "\n"))
		}
		if len(ids) == 0 {
			t.Fatalf("trial %d: the edits %v modified nothing", trial, kinds)
		}
		prev = cur
	}
	for _, e := range edits {
		if !seen[e.kind] {
			t.Errorf("no %s edit was tried", e.kind)
		}
	}
}
