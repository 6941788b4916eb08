package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/scrub"
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
func RunsFilePath(dbPath string) string { return besideDB(dbPath, ".runs.json") }

// besideDB returns the file dbPath + suffix kept beside a DuckDB
// database, or "" for an in-memory database, which has no folder.
func besideDB(dbPath, suffix string) string {
	if dbPath == "" || dbPath == ":memory:" {
		return ""
	}
	return dbPath + suffix
}

// RunSummary is one run of the history as kiln runs lists it.
type RunSummary struct {
	ID        string    `json:"id"`
	Command   string    `json:"command"`
	Selection string    `json:"selection"`
	Started   time.Time `json:"started"`
	Finished  time.Time `json:"finished"`
	// Status is running, success, error, interrupted, killed,
	// rolled_back or refused (stopped before any node ran: on-run-start
	// failed or a planned input file cannot be read); starting for a run that is opening the database and
	// recovering before it records itself, queued for one that waits for
	// a database another process holds (see RunStartPath).
	Status string `json:"status"`
	// Vars are the --vars the run was given, as a JSON object with sorted
	// keys; "" when none.
	Vars     string `json:"vars,omitempty"`
	Nodes    int    `json:"nodes"`
	Errors   int    `json:"errors"`
	Warnings int    `json:"warnings"`
	Skipped  int    `json:"skipped"`
	// Done and Total are, for a run in progress (or starting, or
	// queued), the nodes finished so far and the nodes planned.
	Done  int `json:"done,omitempty"`
	Total int `json:"total,omitempty"`
}

func summary(r adapter.RunRecord) RunSummary {
	return RunSummary{ID: r.ID, Command: r.Command, Selection: r.Selection, Started: r.Started, Finished: r.Finished,
		Status: r.Status, Vars: r.Vars, Nodes: r.Nodes, Errors: r.Errors, Warnings: r.Warnings, Skipped: r.Skipped}
}

// runsFile is the content of <database>.runs.json.
type runsFile struct {
	Database  string    `json:"database"`
	WrittenAt time.Time `json:"written_at"`
	PID       int       `json:"pid"`
	Current   string    `json:"current_run,omitempty"` // the run in progress, "" after it was recorded
	// Progress is the current run's progress record (see progressRecord),
	// rewritten in place as each node finishes; it overrides the current
	// run's counts in Runs and WrittenAt.
	Progress string       `json:"progress,omitempty"`
	Runs     []RunSummary `json:"runs"` // newest first
}

// The progress record is a fixed-width string of printable ASCII, so
// that it can be rewritten in place (one pwrite, no new file) after each
// node: done, total, errors, warnings and skipped as 10-digit decimals,
// the time it was written as Unix milliseconds in 16 digits, each
// followed by a space, then the CRC-32 (IEEE) of those 66 bytes in 8
// hexadecimal digits. A reader that meets a record torn by a concurrent
// write sees a wrong checksum and reads again.
const (
	progressFields = 5
	progressLen    = progressFields*11 + 17 + 8
)

// progress is what the record holds.
type progress struct {
	done, total, errors, warnings, skipped int
	at                                     time.Time
}

// record returns p as a progress record of progressLen bytes.
func (p progress) record() string {
	b := make([]byte, 0, progressLen)
	for _, v := range [progressFields]int{p.done, p.total, p.errors, p.warnings, p.skipped} {
		b = fmt.Appendf(b, "%010d ", max(0, min(v, 9_999_999_999)))
	}
	b = fmt.Appendf(b, "%016d ", max(0, p.at.UnixMilli()))
	return string(fmt.Appendf(b, "%08x", crc32.ChecksumIEEE(b)))
}

// parseProgress reads a record written by progress.record; ok is false
// for anything else, a torn record included.
func parseProgress(s string) (p progress, ok bool) {
	if len(s) != progressLen {
		return p, false
	}
	body := s[:progressLen-8]
	sum, err := strconv.ParseUint(s[progressLen-8:], 16, 32)
	if err != nil || uint32(sum) != crc32.ChecksumIEEE([]byte(body)) {
		return p, false
	}
	f := strings.Fields(body)
	if len(f) != progressFields+1 {
		return p, false
	}
	var v [progressFields + 1]int64
	for i := range v {
		if v[i], err = strconv.ParseInt(f[i], 10, 64); err != nil {
			return p, false
		}
	}
	return progress{done: int(v[0]), total: int(v[1]), errors: int(v[2]), warnings: int(v[3]), skipped: int(v[4]),
		at: time.UnixMilli(v[5]).UTC()}, true
}

// historyCopy is a run's copy of the history: written whole when the run
// starts and when it is recorded, and its progress record rewritten in
// place after each node (about 10 µs, where a whole new file took 0.4 ms:
// a quarter of kiln's overhead per node on the benchmarks' W1).
type historyCopy struct {
	mu   sync.Mutex
	path string
	file runsFile
	cur  progress // the current run's progress
	// out is the file last renamed into place, kept open for the record's
	// rewrites at off; nil when there is no record to rewrite.
	out  *os.File
	off  int64
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
		cur: progress{total: len(r.plan.IDs())},
		warn: func(err error) {
			once.Do(func() {
				r.p.printf(Warn, "warning: cannot write %s (kiln runs reads it during a build): %v", Rel(r.p.Dir, path), err)
			})
		}}
	h.reload(ctx, r.ex.Conn(0).Store())
	return h
}

// reload reads the recent runs from store and writes the copy whole.
func (h *historyCopy) reload(ctx context.Context, store adapter.Store) {
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
	}
	h.writeWhole()
}

// progress records that res finished, done of the run's nodes so far, and
// rewrites the copy's progress record.
func (h *historyCopy) progress(res run.Result, done int) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cur.done = done
	switch res.Status {
	case run.Error, run.Fail:
		h.cur.errors++
	case run.Warn:
		h.cur.warnings++
	case run.Skipped:
		h.cur.skipped++
	}
	if h.out == nil {
		return
	}
	h.cur.at = time.Now()
	if _, err := h.out.WriteAt([]byte(h.cur.record()), h.off); err != nil {
		h.warn(err)
	}
}

// finish writes the copy of the history once the run is recorded.
func (h *historyCopy) finish(ctx context.Context, store adapter.Store) {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.file.Current = ""
	h.mu.Unlock()
	h.reload(ctx, store)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closeOut()
}

// closeOut closes the file kept for the record's rewrites; call it with
// h.mu held.
func (h *historyCopy) closeOut() {
	if h.out != nil {
		h.out.Close()
		h.out = nil
	}
}

// writeWhole replaces the file with the copy, through a temporary file
// renamed over it (a reader sees the old file or the new one), and keeps
// the new one open when it holds a progress record; call it with h.mu
// held.
func (h *historyCopy) writeWhole() {
	h.closeOut()
	now := time.Now()
	h.file.WrittenAt = now.UTC()
	h.file.Progress = ""
	if h.file.Current != "" {
		h.cur.at = now
		h.file.Progress = h.cur.record()
	}
	b, err := json.MarshalIndent(h.file, "", "  ")
	if err != nil {
		h.warn(err)
		return
	}
	b = scrub.FromEnv().Bytes(b) // before the record's offset is found
	f, err := writeAtomic(h.path, append(b, '\n'))
	if err != nil {
		h.warn(err)
		return
	}
	if h.file.Progress == "" {
		f.Close()
		return
	}
	// The record is the first string with its value: JSON escapes every
	// quote inside the strings before it.
	key := []byte(`"progress": "`)
	h.out, h.off = f, int64(bytes.Index(b, key)+len(key))
}

// writeAtomic writes data to path through a temporary file in the same
// folder renamed over it, and returns the file, open for writing.
func writeAtomic(path string, data []byte) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".runs-*.tmp")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// readRunsFile reads the copy of the history at path, the current run's
// counts and WrittenAt taken from its progress record. A record torn by
// the build rewriting it is read again (up to 100 times); a file whose
// record stays unreadable is an error, never wrong counts.
func readRunsFile(path string) (runsFile, error) {
	for range 100 {
		data, err := os.ReadFile(path)
		if err != nil {
			return runsFile{}, err
		}
		var f runsFile
		if err := json.Unmarshal(data, &f); err != nil {
			return runsFile{}, err
		}
		if f.Progress == "" {
			return f, nil
		}
		p, ok := parseProgress(f.Progress)
		if !ok {
			continue
		}
		f.WrittenAt = p.at
		for i := range f.Runs {
			if s := &f.Runs[i]; s.ID == f.Current {
				s.Done, s.Total, s.Errors, s.Warnings, s.Skipped = p.done, p.total, p.errors, p.warnings, p.skipped
			}
		}
		return f, nil
	}
	return runsFile{}, errors.New("its progress record stays unreadable (not written by this version of kiln?)")
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
	// NoCopy says there is no copy yet (the database's first run is
	// starting): Runs is that run alone, from its start record (File).
	NoCopy bool
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
		// A run that wrote its start record but has not opened the
		// database yet (see runstart.go).
		h.Runs, _ = withStarting(h.Runs, RunStartPath(p.DBPath), 0)
		h.Runs = limitRuns(h.Runs, limit)
		return h, nil
	}
	var le *adapter.LockError
	if !errors.As(err, &le) {
		return nil, err
	}
	holder := holderName(le)
	path := RunsFilePath(p.DBPath)
	f, rerr := readRunsFile(path)
	if errors.Is(rerr, fs.ErrNotExist) {
		// The first run of a database, before it wrote the copy.
		if runs, ok := withStarting(nil, RunStartPath(p.DBPath), le.PID); ok {
			return &History{Runs: limitRuns(runs, limit), Held: true, Holder: holder, File: RunStartPath(p.DBPath), WrittenAt: time.Now().UTC(), NoCopy: true}, nil
		}
		return nil, fmt.Errorf("%w; no copy of the run history beside it (%s): a kiln build of this version writes one", err, Rel(p.Dir, path))
	}
	if rerr != nil {
		return nil, fmt.Errorf("%w; its copy %s cannot be read: %v", err, Rel(p.Dir, path), rerr)
	}
	// A run that holds the database (or waits for it) but has not written
	// the copy yet: opening and recovering come first.
	runs, _ := withStarting(f.Runs, RunStartPath(p.DBPath), le.PID)
	return &History{Runs: limitRuns(runs, limit), Held: true, Holder: holder, File: path, WrittenAt: f.WrittenAt,
		Current: f.Current, CopyByHolder: le.PID != 0 && le.PID == f.PID}, nil
}

// holderName names the process that holds the database for messages:
// its program's base name and PID as DuckDB reports them, "another
// process" when the name is unknown. A process that is exiting may leave
// DuckDB no name to read ("" or a bare "." or "/").
func holderName(le *adapter.LockError) string {
	holder := "another process"
	if prog := filepath.Base(strings.TrimSpace(le.Program)); le.Program != "" && prog != "." && prog != "/" {
		holder = prog
	}
	if le.PID != 0 {
		holder += fmt.Sprintf(" (PID %d)", le.PID)
	}
	return holder
}

// limitRuns returns the first limit of runs (all when limit < 0).
func limitRuns(runs []RunSummary, limit int) []RunSummary {
	if limit >= 0 && len(runs) > limit {
		return runs[:limit]
	}
	return runs
}
