package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestJinjaNumberConfigs: a whole-number config written as Jinja in the
// project file or a property file renders to its number, as dbt's native
// rendering gives it, not to its text: manifest.json's config has
// lookback 3, retries 2, limit 5 and a freshness count of 12 as numbers
// (kiln wrote "3", and a retries of "2" was no retry at all), and the
// target's threads from env_var runs the build with that many threads (an
// error before). Jinja that gives no number is an error at the value.
func TestJinjaNumberConfigs(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"project.yml": "name: numj\nmodel-paths: [models]\nseed-paths: [seeds]\n" +
			"target:\n  type: duckdb\n  path: target/kiln.duckdb\n  threads: \"{{ env_var('NUMJ_THREADS', '2') }}\"\n" +
			"models:\n  numj:\n    +lookback: \"{{ var('lookback', 3) }}\"\n    +retries: \"{{ 1 + 1 }}\"\n",
		"seeds/events.csv": "d,id\n2024-01-01 00:00:00,1\n",
		"seeds/_seeds.yml": "version: 2\nseeds:\n  - name: events\n    config:\n      event_time: d\n      column_types: {d: timestamp}\n",
		"models/mb.sql":    "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='year', begin='2024-01-01') }}\nselect d, id from {{ ref('events') }}\n",
		"models/props.yml": "version: 2\nmodels:\n  - name: mb\n    columns:\n      - name: id\n        data_tests:\n          - not_null:\n              config:\n                limit: \"{{ var('limit', 5) }}\"\n" +
			"sources:\n  - name: raw\n    schema: main\n    freshness:\n      warn_after: {count: \"{{ var('hours', 12) }}\", period: hour}\n    loaded_at_field: d\n    tables:\n      - name: events\n",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body)
	}
	out := mustKiln(t, 0, dir, "build")
	if !strings.Contains(out, "with 2 threads") {
		t.Errorf("threads from env_var: want a build with 2 threads in:\n%s", out)
	}
	var man struct {
		Nodes map[string]struct {
			Config map[string]any `json:"config"`
		} `json:"nodes"`
		Sources map[string]struct {
			Freshness struct {
				WarnAfter struct {
					Count any `json:"count"`
				} `json:"warn_after"`
			} `json:"freshness"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &man); err != nil {
		t.Fatal(err)
	}
	mb := man.Nodes["model.numj.mb"].Config
	if mb["lookback"] != float64(3) || mb["retries"] != float64(2) {
		t.Errorf("mb's config: lookback %#v, retries %#v, want the numbers 3 and 2", mb["lookback"], mb["retries"])
	}
	for id, n := range man.Nodes {
		if strings.HasPrefix(id, "test.numj.not_null_mb_id") && n.Config["limit"] != float64(5) {
			t.Errorf("%s: limit %#v, want the number 5", id, n.Config["limit"])
		}
	}
	if got := man.Sources["source.numj.raw.events"].Freshness.WarnAfter.Count; got != float64(12) {
		t.Errorf("the source's warn_after count: %#v, want the number 12", got)
	}

	writeFile(t, filepath.Join(dir, "project.yml"), strings.Replace(files["project.yml"], "var('lookback', 3)", "var('lookback', 'three')", 1))
	out = mustKiln(t, 2, dir, "build")
	want := `project.yml:10:16: config "lookback" must be a whole number: "{{ var('lookback', 'three') }}" renders to "three"`
	if !strings.Contains(out, want) {
		t.Errorf("want %q in:\n%s", want, out)
	}
}
