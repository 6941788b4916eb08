//go:build unix

package engine

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A start record is read while its writer holds its lock, and not once it
// lets go (as when the process ends); a run already listed is not listed
// twice; a run other than the database's holder is queued; a file that is
// not a record is never shown; a record replaced by another run's while
// this one waited is written again once this one holds the database.
func TestRunStartRecord(t *testing.T) {
	dir := t.TempDir()
	path := RunStartPath(filepath.Join(dir, "db.duckdb"))
	started := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	s := &runStart{path: path, rec: startRecord{PID: os.Getpid(), ID: "run-2", Command: "build", Selection: "--select a", Started: started, Total: 9}}
	s.write()
	older := []RunSummary{{ID: "run-1", Command: "build", Status: "success", Nodes: 9}}

	runs, ok := withStarting(older, path, 0)
	if !ok || len(runs) != 2 || runs[1].ID != "run-1" {
		t.Fatalf("with a live start record: %+v (%v)", runs, ok)
	}
	want := RunSummary{ID: "run-2", Command: "build", Selection: "--select a", Started: started, Status: "starting", Total: 9}
	if runs[0] != want {
		t.Errorf("the starting run is listed as %+v, want %+v", runs[0], want)
	}
	if runs, _ := withStarting(older, path, os.Getpid()); runs[0].Status != "starting" {
		t.Errorf("the run holding the database is %s, want starting", runs[0].Status)
	}
	if runs, _ := withStarting(older, path, os.Getpid()+1); runs[0].Status != "queued" {
		t.Errorf("a run while another process holds the database is %s, want queued", runs[0].Status)
	}
	if runs, ok := withStarting(append(older, RunSummary{ID: "run-2", Status: "running"}), path, 0); ok || len(runs) != 2 {
		t.Errorf("a run already listed is listed again: %+v", runs)
	}

	// Another run's record renamed over this one's (it waited for the
	// database meanwhile): reclaim writes this one's again.
	other := &runStart{path: path, rec: startRecord{PID: os.Getpid(), ID: "run-3", Command: "seed", Started: started, Total: 1}}
	other.write()
	if rec, _ := readRunStart(path); rec.ID != "run-3" {
		t.Fatalf("read %q, want the later record run-3", rec.ID)
	}
	other.release()
	s.reclaim()
	if rec, ok := readRunStart(path); !ok || rec.ID != "run-2" {
		t.Errorf("after reclaim, read %q (%v), want run-2", rec.ID, ok)
	}
	before, _ := os.ReadFile(path)
	s.reclaim() // still its own: not rewritten
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("reclaim rewrote a record that was still the run's own")
	}

	// The run lets go (or dies): not listed, though the file stays.
	s.release()
	if runs, ok := withStarting(older, path, 0); ok || len(runs) != 1 {
		t.Errorf("a released start record is listed: %+v", runs)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the start record's file: %v", err)
	}

	// A locked file that is not a record (cut short, or of another
	// program) is not shown.
	for _, garbage := range []string{`{"pid": 7, "invocation_id": "r`, `{}`, "\x00\x00"} {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(garbage)
		if !lockStart(f) {
			t.Fatal("cannot lock the file")
		}
		if rec, ok := readRunStart(path); ok {
			t.Errorf("%q read as a record %+v", garbage, rec)
		}
		f.Close()
	}
	if _, ok := readRunStart(RunStartPath(filepath.Join(dir, "none.duckdb"))); ok {
		t.Error("a missing record was read")
	}
	if RunStartPath(":memory:") != "" || RunStartPath("") != "" {
		t.Error("an in-memory database has a start record's path")
	}
}
