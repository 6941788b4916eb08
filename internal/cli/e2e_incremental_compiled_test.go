package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestIncrementalWritesRenderingThatRan: after an incremental run,
// run_results.json's compiled_code, manifest.json's compiled_code and
// target/compiled hold the rendering that ran, with is_incremental()
// true, as dbt writes them (dbt compiles the node again at run time,
// when the table exists); the first build's hold the full rendering. The
// manifest keeps the parse-time SQL for the fingerprints, so the model is
// not state:modified against it.
func TestIncrementalWritesRenderingThatRan(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"dbt_project.yml": "name: inc\nprofile: inc\n",
		"profiles.yml":    "inc:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: inc.duckdb\n",
		"models/src.sql":  "select * from range(3) t(id)\n",
		"models/grow.sql": "{{ config(materialized='incremental', unique_key='id') }}\nselect id from {{ ref('src') }}\n{% if is_incremental() %}where id > (select coalesce(max(id), -1) from {{ this }}){% endif %}\n",
	} {
		writeFile(t, filepath.Join(dir, name), body)
	}
	const marker = "coalesce(max(id), -1)"
	written := func() (rr, man, file string) {
		t.Helper()
		var r struct {
			Results []struct {
				UniqueID     string `json:"unique_id"`
				CompiledCode string `json:"compiled_code"`
			} `json:"results"`
		}
		if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "run_results.json")), &r); err != nil {
			t.Fatal(err)
		}
		for _, x := range r.Results {
			if x.UniqueID == "model.inc.grow" {
				rr = x.CompiledCode
			}
		}
		var m struct {
			Nodes map[string]struct {
				CompiledCode string `json:"compiled_code"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &m); err != nil {
			t.Fatal(err)
		}
		return rr, m.Nodes["model.inc.grow"].CompiledCode, string(readFile(t, filepath.Join(dir, "target", "compiled", "inc", "models", "grow.sql")))
	}
	mustKiln(t, 0, dir, "build")
	rr, man, file := written()
	if strings.Contains(rr+man+file, marker) || !strings.Contains(rr, "select id from") {
		t.Errorf("first build (table built whole): want the full rendering everywhere:\nrun_results: %s\nmanifest: %s\ncompiled: %s", rr, man, file)
	}
	state := t.TempDir()
	writeFile(t, filepath.Join(dir, "models/src.sql"), "select * from range(5) t(id)\n")
	mustKiln(t, 0, dir, "build")
	if got := queryDB(t, filepath.Join(dir, "inc.duckdb"), "select count(*) || '/' || max(id) from main.grow"); got != "5/4" {
		t.Fatalf("grow after the incremental run: %s, want 5/4", got)
	}
	rr, man, file = written()
	for what, sql := range map[string]string{"run_results.json": rr, "manifest.json": man, "target/compiled/inc/models/grow.sql": file} {
		if !strings.Contains(sql, marker) {
			t.Errorf("after the incremental run, %s's compiled_code lacks the is_incremental() branch that ran:\n%s", what, sql)
		}
	}
	writeFile(t, filepath.Join(state, "manifest.json"), string(readFile(t, filepath.Join(dir, "target", "manifest.json"))))
	code, out, errOut := kiln(t, dir, "ls", "-s", "state:modified", "--state", state)
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Errorf("ls -s state:modified against the incremental run's manifest: exit %d, want nothing modified:\n%s%s", code, out, errOut)
	}
}
