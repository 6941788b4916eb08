package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// invocationProject writes a dbt project whose model, post-hook,
// on-run-start and on-run-end render invocation_id, a model that does
// not, and a macro that logs it.
func invocationProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"dbt_project.yml": `name: inv
profile: inv
models:
  inv:
    +materialized: table
on-run-start:
  - "create or replace table main.run_start as select '{{ invocation_id }}' as inv"
on-run-end:
  - "create or replace table main.run_end as select '{{ invocation_id }}' as inv"
`,
		"profiles.yml": `inv:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: inv.duckdb
`,
		"models/stamped.sql": "{{ config(post_hook=\"create or replace table main.hooked as select '{{ invocation_id }}' as inv\") }}\nselect '{{ invocation_id }}' as inv\n",
		"models/via_eph.sql": "select inv from {{ ref('eph') }}\n",
		"models/eph.sql":     "{{ config(materialized='ephemeral') }}\nselect '{{ invocation_id }}' as inv\n",
		"models/plain.sql":   "select 1 as x\n",
		"macros/say.sql":     "{% macro say() %}{% do log('invocation=' ~ invocation_id, info=True) %}{% endmacro %}\n",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body)
	}
	return dir
}

// runResults reads target/run_results.json's metadata.invocation_id and
// each result's status by unique_id.
func runResults(t *testing.T, dir string) (string, map[string]string) {
	t.Helper()
	var rr struct {
		Metadata struct {
			InvocationID string `json:"invocation_id"`
		} `json:"metadata"`
		Results []struct {
			UniqueID string `json:"unique_id"`
			Status   string `json:"status"`
		} `json:"results"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "run_results.json")), &rr); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, r := range rr.Results {
		status[r.UniqueID] = r.Status
	}
	return rr.Metadata.InvocationID, status
}

var uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestInvocationIDRendered: invocation_id renders as the invocation's
// UUID, the one of run_results.json's and manifest.json's metadata, in a
// model (and through an ephemeral one), a post-hook, on-run-start and
// on-run-end; in kiln run-operation and kiln show --inline too (dbt's
// invocation_id: https://docs.getdbt.com/reference/dbt-jinja-functions/invocation_id).
// A model that renders it runs at every build, as one calling now()
// (its result changes with the invocation), while the id does not make
// it state:modified nor the other models run.
func TestInvocationIDRendered(t *testing.T) {
	dir := invocationProject(t)
	db := filepath.Join(dir, "inv.duckdb")
	mustKiln(t, 0, dir, "build")
	inv, _ := runResults(t, dir)
	if !uuidRe.MatchString(inv) {
		t.Fatalf("run_results.json's invocation_id %q is not a UUID", inv)
	}
	var man struct {
		Metadata struct {
			InvocationID string `json:"invocation_id"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "target", "manifest.json")), &man); err != nil || man.Metadata.InvocationID != inv {
		t.Fatalf("manifest.json's invocation_id %q (%v), want run_results.json's %q", man.Metadata.InvocationID, err, inv)
	}
	for _, tab := range []string{"main.stamped", "main.via_eph", "main.hooked", "main.run_start", "main.run_end"} {
		if got := queryDB(t, db, "select inv from "+tab); got != inv {
			t.Errorf("%s.inv = %q, want the invocation's id %q", tab, got, inv)
		}
	}

	// The previous build's manifest, as --state.
	state := t.TempDir()
	writeFile(t, filepath.Join(state, "manifest.json"), string(readFile(t, filepath.Join(dir, "target", "manifest.json"))))

	mustKiln(t, 0, dir, "build")
	inv2, status := runResults(t, dir)
	if inv2 == inv || !uuidRe.MatchString(inv2) {
		t.Fatalf("second build's invocation_id %q, want a new UUID (first %q)", inv2, inv)
	}
	for _, tab := range []string{"main.stamped", "main.via_eph", "main.hooked", "main.run_start", "main.run_end"} {
		if got := queryDB(t, db, "select inv from "+tab); got != inv2 {
			t.Errorf("after the second build, %s.inv = %q, want its id %q", tab, got, inv2)
		}
	}
	for id, want := range map[string]string{"model.inv.stamped": "success", "model.inv.via_eph": "success", "model.inv.plain": "no-op"} {
		if status[id] != want {
			t.Errorf("second build: %s is %q, want %q (all: %v)", id, status[id], want, status)
		}
	}
	code, out, errOut := kiln(t, dir, "ls", "-s", "state:modified", "--state", state)
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Errorf("ls -s state:modified after a new invocation: exit %d, want nothing modified:\n%s%s", code, out, errOut)
	}

	out = mustKiln(t, 0, dir, "run-operation", "say")
	if m := regexp.MustCompile(`invocation=(\S*)`).FindStringSubmatch(out); m == nil || !uuidRe.MatchString(m[1]) {
		t.Errorf("run-operation: want invocation=<a UUID> in the output:\n%s", out)
	}
	code, out, errOut = kiln(t, dir, "show", "--inline", "select '{{ invocation_id }}' as i")
	if code != 0 || !uuidRe.MatchString(out) {
		t.Errorf("show --inline: exit %d, want a UUID in the output:\n%s%s", code, out, errOut)
	}
}
