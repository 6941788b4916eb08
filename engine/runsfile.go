package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/run"
)

// DuckDB lets one process write a database file, and no other process
// open it meanwhile, not even to read. So that kiln runs can show the
// history during a build, a run keeps a copy of the recent history beside
// the database, <database>.runs.json, written atomically (a temporary
// file renamed over it) when the run starts, after each node, and when it
// is recorded. The database stays the record; the file is its readable
// copy while the database is held.

// historyCopyRuns is how many recent runs the copy holds.
const historyCopyRuns = 50

// RunsFilePath returns the file of the history's copy of the database at
// dbPath: dbPath + ".runs.json"; "" for an in-memory database.
func RunsFilePath(dbPath string) string {
	if dbPath == "" || dbPath == ":memory:" {
		return ""
	}
	return dbPath + ".runs.json"
}

// RunSummary is one run of the history as kiln runs lists it.
type RunSummary struct {
	ID        string    `json:"id"`
	Command   string    `json:"command"`
	Selection string    `json:"selection"`
	Started   time.Time `json:"started"`
	Finished  time.Time `json:"finished"`
	// Status is running, success, error, interrupted, killed or
	// rolled_back.
	Status   string `json:"status"`
	Nodes    int    `json:"nodes"`
	Errors   int    `json:"errors"`
	Warnings int    `json:"warnings"`
	Skipped  int    `json:"skipped"`
	// Done and Total are, for a run in progress, the nodes finished so
	// far and the nodes planned.
	Done  int `json:"done,omitempty"`
	Total int `json:"total,omitempty"`
}

func summary(r adapter.RunRecord) RunSummary {
	return RunSummary{ID: r.ID, Command: r.Command, Selection: r.Selection, Started: r.Started, Finished: r.Finished,
		Status: r.Status, Nodes: r.Nodes, Errors: r.Errors, Warnings: r.Warnings, Skipped: r.Skipped}
}

// runsFile is the content of <database>.runs.json.
type runsFile struct {
	Database  string       `json:"database"`
	WrittenAt time.Time    `json:"written_at"`
	PID       int          `json:"pid"`
	Current   string       `json:"current_run,omitempty"` // the run in progress, "" after it was recorded
	Runs      []RunSummary `json:"runs"`                  // newest first
}

// historyCopy is a run's copy of the history, rewritten as it goes.
type historyCopy struct {
	mu   sync.Mutex
	path string
	file runsFile
	warn func(error) // reports the first failure to write, once
}

// startHistoryCopy reads the recent runs (the current one included, as
// running) and writes the copy; nil for an in-memory database.
func (r *runner) startHistoryCopy(ctx context.Context) *historyCopy {
	path := RunsFilePath(r.p.DBPath)
	if path == "" {
		return nil
	}
	var once sync.Once
	h := &historyCopy{path: path, file: runsFile{Database: r.p.DBPath, PID: os.Getpid(), Current: r.p.InvocationID()},
		warn: func(err error) {
			once.Do(func() {
				r.p.printf(Warn, "warning: cannot write %s (kiln runs reads it during a build): %v", Rel(r.p.Dir, path), err)
			})
		}}
	h.reload(ctx, r.ex.Conn(0).Store(), func(s *RunSummary) {
		if s.ID == r.p.InvocationID() {
			s.Total = len(r.plan.IDs())
		}
	})
	return h
}

// reload reads the recent runs from store, applies edit to each, and
// writes the copy.
func (h *historyCopy) reload(ctx context.Context, store adapter.Store, edit func(*RunSummary)) {
	if h == nil {
		return
	}
	recs, err := store.RecentRuns(context.WithoutCancel(ctx), historyCopyRuns)
	if err != nil {
		h.warn(err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.file.Runs = make([]RunSummary, len(recs))
	for i, rec := range recs {
		h.file.Runs[i] = summary(rec)
		if edit != nil {
			edit(&h.file.Runs[i])
		}
	}
	h.write()
}

// progress records that res finished, done of the run's nodes so far.
func (h *historyCopy) progress(res run.Result, done int) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.file.Runs {
		s := &h.file.Runs[i]
		if s.ID != h.file.Current {
			continue
		}
		s.Done = done
		switch res.Status {
		case run.Error, run.Fail:
			s.Errors++
		case run.Warn:
			s.Warnings++
		case run.Skipped:
			s.Skipped++
		}
	}
	h.write()
}

// finish writes the copy of the history once the run is recorded.
func (h *historyCopy) finish(ctx context.Context, store adapter.Store) {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.file.Current = ""
	h.mu.Unlock()
	h.reload(ctx, store, nil)
}

// write replaces the file with the copy; call it with h.mu held.
func (h *historyCopy) write() {
	h.file.WrittenAt = time.Now().UTC()
	b, err := json.MarshalIndent(h.file, "", "  ")
	if err == nil {
		err = writeAtomic(h.path, append(b, '\n'))
	}
	if err != nil {
		h.warn(err)
	}
}

// writeAtomic writes data to path through a temporary file in the same
// folder renamed over it: a reader sees the old file or the new one.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".runs-*.tmp")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// History is the run history as kiln runs lists it.
type History struct {
	Runs []RunSummary // newest first
	// Held is set when another process holds the database: Runs are then
	// the copy that the build holding it keeps beside it (see
	// RunsFilePath), as of WrittenAt; Holder says who holds the database.
	Held      bool
	Holder    string
	File      string
	WrittenAt time.Time
	// Current is the run in progress in the copy ("" when none).
	Current string
	// CopyByHolder says the copy was written by the process holding the
	// database (its PID matches), so its current run is really running.
	CopyByHolder bool
}

// History returns the last limit runs: from the database, or, while
// another process holds it, from the copy a build keeps beside it. It
// returns the lock error when the database is held and there is no copy.
func (p *Project) History(ctx context.Context, limit int) (*History, error) {
	db, err := p.OpenDatabase(ctx)
	if err == nil {
		defer db.Close()
		recs, err := db.Runs(ctx, limit)
		if err != nil {
			return nil, err
		}
		h := &History{}
		for _, r := range recs {
			h.Runs = append(h.Runs, summary(r))
		}
		return h, nil
	}
	var le *adapter.LockError
	if !errors.As(err, &le) {
		return nil, err
	}
	path := RunsFilePath(p.DBPath)
	data, rerr := os.ReadFile(path)
	if rerr != nil {
		return nil, fmt.Errorf("%w; no copy of the run history beside it (%s): a kiln build of this version writes one", err, Rel(p.Dir, path))
	}
	var f runsFile
	if jerr := json.Unmarshal(data, &f); jerr != nil {
		return nil, fmt.Errorf("%w; its copy %s cannot be read: %v", err, Rel(p.Dir, path), jerr)
	}
	runs := f.Runs
	if limit >= 0 && len(runs) > limit {
		runs = runs[:limit]
	}
	holder := "another process"
	if le.Program != "" {
		holder = filepath.Base(le.Program)
	}
	if le.PID != 0 {
		holder += fmt.Sprintf(" (PID %d)", le.PID)
	}
	return &History{Runs: runs, Held: true, Holder: holder, File: path, WrittenAt: f.WrittenAt,
		Current: f.Current, CopyByHolder: le.PID != 0 && le.PID == f.PID}, nil
}
