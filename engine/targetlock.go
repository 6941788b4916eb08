package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// TargetLockFile is the lock of a target folder, in it: a run holds it
// from start to end, so that the artifacts and exports it writes are its
// own; kiln compile and kiln clean take it too, and refuse to write while
// a run holds it. It holds the holder's PID and command.
const TargetLockFile = ".kiln.lock"

// TargetBusyError is returned by LockTarget when a run holds the target
// folder.
type TargetBusyError struct {
	Dir     string // the target folder
	Command string // what wanted it
	Holder  string // the holder's PID and command, as it wrote them ("" when unknown)
}

func (e *TargetBusyError) Error() string {
	holder := "another kiln process"
	if e.Holder != "" {
		holder = "kiln " + e.Holder
	}
	what := "would change the artifacts and exports it writes there"
	switch e.Command {
	case "compile":
		what = "would overwrite its manifest.json and compiled SQL"
	case "clean":
		what = "would delete its artifacts and exports"
	}
	return fmt.Sprintf("%s is running in this project and writes %s: kiln %s %s; wait for it to finish, or use another folder with --target-path DIR",
		holder, e.Dir, e.Command, what)
}

// LockTarget takes the lock of target folder dir (created when missing)
// for command, without waiting, and returns its release. It returns
// *TargetBusyError when a run (or another command) holds it. On systems
// without flock(2) there is no lock.
func LockTarget(dir, command string) (release func(), err error) {
	release, holder, err := tryLock(dir, command)
	if err != nil {
		return nil, err
	}
	if release == nil {
		return nil, &TargetBusyError{Dir: dir, Command: command, Holder: holder}
	}
	return release, nil
}

// lockTarget takes the target folder's lock for a run, waiting while a
// short command (kiln compile, kiln clean) holds it; the wait ends with
// ctx (ErrInterrupted).
func (p *Project) lockTarget(ctx context.Context, command string) (func(), error) {
	rel := Rel(p.Dir, p.Target)
	for {
		release, _, err := tryLock(p.Target, command)
		if err != nil {
			return nil, fmt.Errorf("cannot lock the target folder %s: %w", rel, err)
		}
		if release != nil {
			return release, nil
		}
		select {
		case <-ctx.Done():
			return nil, ErrInterrupted
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func lockPath(dir string) string { return filepath.Join(dir, TargetLockFile) }
