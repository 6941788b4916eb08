package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// runStartedProject writes a dbt project whose two models, a post-hook,
// on-run-start and on-run-end render run_started_at, a model that does
// not, and a macro that logs it twice.
func runStartedProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"dbt_project.yml": `name: rsa
profile: rsa
models:
  rsa:
    +materialized: table
on-run-start:
  - "create or replace table main.run_start as select '{{ run_started_at }}' as t"
on-run-end:
  - "create or replace table main.run_end as select '{{ run_started_at }}' as t"
`,
		"profiles.yml": `rsa:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: rsa.duckdb
`,
		"models/first.sql":  "{{ config(post_hook=\"create or replace table main.hooked as select '{{ run_started_at }}' as t\") }}\nselect '{{ run_started_at }}' as t\n",
		"models/second.sql": "select '{{ run_started_at }}' as t, '{{ run_started_at.isoformat() }}' as iso\n",
		"models/plain.sql":  "select 1 as x\n",
		"macros/say.sql":    "{% macro say() %}{% do log('started=' ~ run_started_at ~ ' again=' ~ run_started_at, info=True) %}{% endmacro %}\n",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(dir, name), body)
	}
	return dir
}

// pyDatetime parses run_started_at as a template renders it (Python's
// str of an aware datetime: microseconds left out when zero).
func pyDatetime(t *testing.T, what, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04:05.999999-07:00", s)
	if err != nil || !strings.HasSuffix(s, "+00:00") {
		t.Fatalf("%s = %q, want a datetime in UTC as str(run_started_at) gives (%v)", what, s, err)
	}
	return v
}

// runStart returns the start of the run of invocation inv as the run
// history records it (kiln_history.runs.started_at, UTC).
func runStart(t *testing.T, db, inv string) time.Time {
	t.Helper()
	s := queryDB(t, db, "select strftime(started_at, '%Y-%m-%d %H:%M:%S.%f') from kiln_history.runs where run_id = '"+inv+"'")
	v, err := time.ParseInLocation("2006-01-02 15:04:05.999999", s, time.UTC)
	if err != nil {
		t.Fatalf("run %s's started_at %q: %v", inv, s, err)
	}
	return v
}

// TestRunStartedAtConstant: run_started_at is one instant for the whole
// invocation, the run's recorded start (the run history's started_at,
// from which run_results.json's elapsed_time counts), in two models, a
// post-hook, on-run-start and on-run-end, and in kiln run-operation, as
// dbt's (https://docs.getdbt.com/reference/dbt-jinja-functions/run_started_at:
// the timestamp the run started, a UTC datetime). A second build renders
// its own start; a model that renders it is not state:modified against
// the first build's manifest, and runs at every build while the model
// that does not render it is up to date.
func TestRunStartedAtConstant(t *testing.T) {
	dir := runStartedProject(t)
	db := filepath.Join(dir, "rsa.duckdb")
	tables := []string{"main.first", "main.second", "main.hooked", "main.run_start", "main.run_end"}

	check := func(build string) (time.Time, map[string]string) {
		t.Helper()
		inv, status := runStartedResults(t, dir)
		start := runStart(t, db, inv)
		for _, tab := range tables {
			if got := pyDatetime(t, tab+".t", queryDB(t, db, "select t from "+tab)); !got.Equal(start) {
				t.Errorf("%s build: %s.t = %s, want the run's start %s", build, tab, got.Format(time.RFC3339Nano), start.Format(time.RFC3339Nano))
			}
		}
		iso := queryDB(t, db, "select iso from main.second")
		if want := strings.Replace(queryDB(t, db, "select t from main.second"), " ", "T", 1); iso != want {
			t.Errorf("%s build: run_started_at.isoformat() = %q, want %q", build, iso, want)
		}
		return start, status
	}
	mustKiln(t, 0, dir, "build")
	start1, _ := check("first")

	// The first build's manifest, as --state.
	state := t.TempDir()
	writeFile(t, filepath.Join(state, "manifest.json"), string(readFile(t, filepath.Join(dir, "target", "manifest.json"))))

	mustKiln(t, 0, dir, "build")
	start2, status := check("second")
	if !start2.After(start1) {
		t.Errorf("second build's run_started_at %s, want after the first's %s", start2, start1)
	}
	for id, want := range map[string]string{"model.rsa.first": "success", "model.rsa.second": "success", "model.rsa.plain": "no-op"} {
		if status[id] != want {
			t.Errorf("second build: %s is %q, want %q (all: %v)", id, status[id], want, status)
		}
	}
	code, out, errOut := kiln(t, dir, "ls", "-s", "state:modified", "--state", state)
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Errorf("ls -s state:modified after a new invocation: exit %d, want nothing modified:\n%s%s", code, out, errOut)
	}

	out = mustKiln(t, 0, dir, "run-operation", "say")
	m := regexp.MustCompile(`started=(\S+ \S+) again=(\S+ \S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("run-operation: want started=<datetime> again=<datetime> in the output:\n%s", out)
	}
	if a, b := pyDatetime(t, "started", m[1]), pyDatetime(t, "again", m[2]); !a.Equal(b) || !a.After(start2) {
		t.Errorf("run-operation: run_started_at read twice gave %s and %s, want one instant after the last build's %s", m[1], m[2], start2)
	}
}

// runStartedResults reads target/run_results.json's metadata.invocation_id and
// each result's status by unique_id.
func runStartedResults(t *testing.T, dir string) (string, map[string]string) {
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
