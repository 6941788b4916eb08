package engine

import (
	"errors"
	"fmt"

	"github.com/kiln-build/kiln/adapter"
)

// lockHolder is the run that holds the database, as a run that waits for
// it names it: ok is false when the holder is not a kiln run known by
// its start record or its copy of the history (kiln show, the DuckDB CLI,
// a run too early or too late to have either).
type lockHolder struct {
	rec startRecord
	ok  bool
}

// holderOf returns the run of PID pid: its start record read before this
// run wrote its own over it (before), else the current run of the
// history's copy when that process wrote it.
func (p *Project) holderOf(pid int, before startRecord, beforeOK bool) lockHolder {
	if pid == 0 {
		return lockHolder{}
	}
	if beforeOK && before.PID == pid {
		return lockHolder{rec: before, ok: true}
	}
	path := RunsFilePath(p.DBPath)
	if path == "" {
		return lockHolder{}
	}
	f, err := readRunsFile(path)
	if err != nil || f.PID != pid || f.Current == "" {
		return lockHolder{}
	}
	for _, r := range f.Runs {
		if r.ID == f.Current {
			return lockHolder{rec: startRecord{PID: pid, ID: r.ID, Command: r.Command, Started: r.Started}, ok: true}
		}
	}
	return lockHolder{}
}

// waitingMessage is the line a run prints, once, when it starts to wait
// for the database that le's process holds: which run (its command, PID
// and start, local time to the second) or process, and the database.
func waitingMessage(le *adapter.LockError, h lockHolder, database string) string {
	if h.ok {
		cmd := h.rec.Command
		if cmd == "" {
			cmd = "run"
		}
		return fmt.Sprintf("waiting for the %s of PID %d (started %s, `kiln runs` shows it) to release %s",
			cmd, h.rec.PID, h.rec.Started.Local().Format("15:04:05"), database)
	}
	return fmt.Sprintf("waiting for %s to release %s", holderName(le), database)
}

// announceWait wraps open so that the first *adapter.LockError it returns
// prints waitingMessage (holder gives the holder's run), at once, before
// the run waits.
func (p *Project) announceWait(open func() (adapter.Adapter, error), holder func(pid int) lockHolder) func() (adapter.Adapter, error) {
	said := false
	return func() (adapter.Adapter, error) {
		db, err := open()
		var le *adapter.LockError
		if !said && errors.As(err, &le) {
			said = true
			p.printf(Warn, "%s", waitingMessage(le, holder(le.PID), p.DatabaseName()))
		}
		return db, err
	}
}
