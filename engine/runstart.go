package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/kiln-build/kiln/internal/scrub"
)

// A run opens the database and recovers what killed runs left before it
// can record itself in the history and write the history's copy (see
// runsfile.go): a few tenths of a second, longer when it waits for a
// database that another process holds. So that kiln runs shows it
// meanwhile, the run first writes a start record beside the database,
// <database>.runs.start.json (its PID, invocation id, command, selection,
// start and planned nodes), atomically (a temporary file renamed over it),
// and holds an flock(2) on that file until the run returns. The lock, not
// the PID, says the run is alive: the kernel drops it when the process
// ends, killed or not, so a run that dies before it is recorded leaves no
// phantom, and a PID reused by another program is not mistaken for it.
// Once the run is in the history or in the copy under its id, that record
// takes over; the start record is only read for a run found in neither.

// RunStartPath returns the start record's file of the database at
// dbPath: dbPath + ".runs.start.json"; "" for an in-memory database.
func RunStartPath(dbPath string) string { return besideDB(dbPath, ".runs.start.json") }

// startRecord is the content of <database>.runs.start.json.
type startRecord struct {
	PID       int       `json:"pid"`
	ID        string    `json:"invocation_id"`
	Command   string    `json:"command"`
	Selection string    `json:"selection"`
	Started   time.Time `json:"started"`
	Total     int       `json:"planned_nodes"`
	Vars      string    `json:"vars,omitempty"` // as RunSummary.Vars
}

// runStart is a run's start record, written and locked.
type runStart struct {
	path string
	rec  startRecord
	f    *os.File // locked; nil when the record could not be written
}

// announceStart writes the run's start record and locks it (see above);
// nil for an in-memory database. A failure to write it is not an error:
// kiln runs only shows the run later.
func (r *runner) announceStart() *runStart {
	path := RunStartPath(r.p.DBPath)
	if path == "" {
		return nil
	}
	s := &runStart{path: path, rec: startRecord{PID: os.Getpid(), ID: r.p.InvocationID(), Command: r.opts.Command,
		Selection: r.opts.describe(r.p.cfg.VarsText), Started: r.start.UTC(), Total: len(r.plan.IDs()), Vars: varsJSON(r.p.cfg.Vars)}}
	s.write()
	return s
}

// write writes the record through a temporary file, locked before it is
// renamed into place, so that a reader never finds it unlocked while the
// run lives.
func (s *runStart) write() {
	data, err := json.Marshal(s.rec)
	if err != nil {
		return
	}
	data = scrub.FromEnv().Bytes(data)
	// The database's folder, which opening it would create.
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(s.path), ".runs-start-*.tmp")
	if err != nil {
		return
	}
	if _, err := f.Write(append(data, '\n')); err != nil || !lockStart(f) || os.Rename(f.Name(), s.path) != nil {
		f.Close()
		os.Remove(f.Name())
		return
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f = f
}

// reclaim writes the record again when another run's replaced it while
// this one waited for the database (two runs started at once): the run
// that holds the database is the one kiln runs shows as starting.
func (s *runStart) reclaim() {
	if s == nil || s.f == nil {
		return
	}
	mine, err1 := s.f.Stat()
	now, err2 := os.Stat(s.path)
	if err1 == nil && err2 == nil && os.SameFile(mine, now) {
		return
	}
	s.write()
}

// release unlocks the record: the run is recorded (or never started).
// The file stays; an unlocked record is not read.
func (s *runStart) release() {
	if s != nil && s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// readRunStart returns the start record at path when the run that wrote it
// still holds its lock; ok is false when there is none, when its run has
// ended (or died), and when the file cannot be read as a record (never
// a guess).
func readRunStart(path string) (rec startRecord, ok bool) {
	if path == "" {
		return rec, false
	}
	f, err := os.Open(path)
	if err != nil {
		return rec, false
	}
	defer f.Close()
	if !startLocked(f) {
		return rec, false
	}
	// The file is written whole before it is renamed into place: what is
	// read is one record or not one.
	if err := json.NewDecoder(f).Decode(&rec); err != nil || rec.ID == "" || rec.PID == 0 {
		return startRecord{}, false
	}
	return rec, true
}

// startSummary is rec as kiln runs lists it, with status.
func startSummary(rec startRecord, status string) RunSummary {
	return RunSummary{ID: rec.ID, Command: rec.Command, Selection: rec.Selection, Started: rec.Started,
		Status: status, Total: rec.Total, Vars: rec.Vars}
}

// withStarting puts the run of the start record at path first in runs,
// as starting, when its run is alive and not in runs already; when
// holderPID is not 0 (another process holds the database), a run other
// than the holder is queued: it waits for the database.
func withStarting(runs []RunSummary, path string, holderPID int) ([]RunSummary, bool) {
	rec, ok := readRunStart(path)
	if !ok {
		return runs, false
	}
	for _, r := range runs {
		if r.ID == rec.ID {
			return runs, false
		}
	}
	status := "starting"
	if holderPID != 0 && holderPID != rec.PID {
		status = "queued"
	}
	return append([]RunSummary{startSummary(rec, status)}, runs...), true
}

// StartingRun returns the run that is starting on the project's database
// (see RunStartPath) when one is alive: for kiln runs before the
// database's first run has created it.
func (p *Project) StartingRun() (RunSummary, bool) {
	runs, ok := withStarting(nil, RunStartPath(p.DBPath), 0)
	if !ok {
		return RunSummary{}, false
	}
	return runs[0], true
}
