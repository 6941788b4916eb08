package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/run"
)

// The copy's progress record, rewritten in place after each node, is read
// back with the exact counts, and the file stays one JSON document.
func TestHistoryCopyProgressInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.duckdb.runs.json")
	started := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	h := &historyCopy{path: path, cur: progress{total: 7},
		file: runsFile{Database: "db.duckdb", PID: 42, Current: "run-2",
			Runs: []RunSummary{
				{ID: "run-2", Command: "build", Selection: `--select "a" {"progress": "x"}`, Started: started, Status: "running"},
				{ID: "run-1", Command: "build", Started: started.Add(-time.Hour), Status: "success", Nodes: 7, Errors: 1},
			}},
		warn: func(err error) { t.Fatalf("writing the copy: %v", err) }}
	h.writeWhole()
	check := func(done, errs, warns, skipped int) {
		t.Helper()
		f, err := readRunsFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cur, prev := f.Runs[0], f.Runs[1]
		if cur.Done != done || cur.Total != 7 || cur.Errors != errs || cur.Warnings != warns || cur.Skipped != skipped {
			t.Errorf("current run read as done %d/%d, %d errors, %d warnings, %d skipped; want %d/7, %d, %d, %d",
				cur.Done, cur.Total, cur.Errors, cur.Warnings, cur.Skipped, done, errs, warns, skipped)
		}
		if prev.Done != 0 || prev.Errors != 1 || prev.Nodes != 7 {
			t.Errorf("the previous run changed: %+v", prev)
		}
		if cur.Selection != `--select "a" {"progress": "x"}` {
			t.Errorf("selection read as %q", cur.Selection)
		}
		if f.WrittenAt.Before(started) || time.Since(f.WrittenAt) > time.Hour {
			t.Errorf("written_at read as %s", f.WrittenAt)
		}
		data, _ := os.ReadFile(path)
		if !json.Valid(data) {
			t.Fatalf("the copy is not JSON after the rewrite:\n%s", data)
		}
	}
	check(0, 0, 0, 0)
	h.progress(run.Result{Status: run.Success}, 1)
	check(1, 0, 0, 0)
	h.progress(run.Result{Status: run.Error}, 2)
	h.progress(run.Result{Status: run.Warn}, 3)
	h.progress(run.Result{Status: run.Skipped}, 4)
	h.progress(run.Result{Status: run.Fail}, 5)
	check(5, 2, 1, 1)

	// Written whole again (as when the run is recorded): the record goes
	// with the run in progress.
	h.file.Current = ""
	h.writeWhole()
	if h.out != nil {
		t.Error("the file is kept open with no record to rewrite")
	}
	f, err := readRunsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Progress != "" || f.Current != "" || f.Runs[0].Done != 0 {
		t.Errorf("after the run, the copy still has a progress record %q (current %q, done %d)", f.Progress, f.Current, f.Runs[0].Done)
	}
}

// A record torn by a concurrent rewrite, or altered, fails its checksum:
// the reader reports it, never a wrong count.
func TestProgressRecordChecksum(t *testing.T) {
	p := progress{done: 1234, total: 2500, errors: 3, warnings: 2, skipped: 1, at: time.UnixMilli(1_796_000_000_123).UTC()}
	rec := p.record()
	if len(rec) != progressLen {
		t.Fatalf("record %q is %d bytes, want %d", rec, len(rec), progressLen)
	}
	got, ok := parseProgress(rec)
	if !ok || got != p {
		t.Fatalf("record %q read as %+v (ok %v), want %+v", rec, got, ok, p)
	}
	for i := range rec {
		for _, c := range []byte("0123456789abcdef ") {
			if c == rec[i] {
				continue
			}
			torn := rec[:i] + string(c) + rec[i+1:]
			if q, ok := parseProgress(torn); ok {
				t.Fatalf("altered record %q (byte %d) read as %+v", torn, i, q)
			}
		}
	}
	if huge := (progress{done: 1 << 40}).record(); len(huge) != progressLen {
		t.Errorf("a count beyond 10 digits makes a record of %d bytes", len(huge))
	}

	path := filepath.Join(t.TempDir(), "db.duckdb.runs.json")
	bad := strings.Replace(rec, "1234", "1239", 1)
	data, _ := json.Marshal(runsFile{Current: "r", Progress: bad, Runs: []RunSummary{{ID: "r", Status: "running"}}})
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if f, err := readRunsFile(path); err == nil {
		t.Errorf("a copy with a bad record was read as done %d", f.Runs[0].Done)
	}
}

// The holder of the database is named by its program when DuckDB could
// read it, never "." (a process exiting leaves no name to read).
func TestHolderName(t *testing.T) {
	for _, c := range []struct {
		prog string
		pid  int
		want string
	}{
		{"/usr/local/bin/kiln", 31700, "kiln (PID 31700)"},
		{"", 31700, "another process (PID 31700)"},
		{".", 31700, "another process (PID 31700)"},
		{"/", 31700, "another process (PID 31700)"},
		{" ", 0, "another process"},
		{"kiln", 0, "kiln"},
	} {
		if got := holderName(&adapter.LockError{Program: c.prog, PID: c.pid}); got != c.want {
			t.Errorf("holderName(%q, %d) = %q, want %q", c.prog, c.pid, got, c.want)
		}
	}
}

// The files kiln keeps beside a DuckDB database; none for an in-memory one.
func TestFilesBesideTheDatabase(t *testing.T) {
	for _, c := range []struct{ db, runs, start string }{
		{"target/w.duckdb", "target/w.duckdb.runs.json", "target/w.duckdb.runs.start.json"},
		{":memory:", "", ""},
		{"", "", ""},
	} {
		if got := RunsFilePath(c.db); got != c.runs {
			t.Errorf("RunsFilePath(%q) = %q, want %q", c.db, got, c.runs)
		}
		if got := RunStartPath(c.db); got != c.start {
			t.Errorf("RunStartPath(%q) = %q, want %q", c.db, got, c.start)
		}
	}
}
