package testenv

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// announce prints line on the go command's standard error, once per
// `go test` run and key, so that a skip is seen.
//
// go test runs each package's test binary as its child and, listing
// packages (go test ./...), shows nothing of a passing package but its "ok"
// line unless -v is given: a t.Skip message goes unseen. So the test binary
// writes the line to its parent's standard error (/proc/PPID/fd/2) when
// that parent is the go command, -v is off (with -v or -json the skip
// message itself shows), and that standard error is a terminal or a pipe
// (into a regular file, the go command's own writes at its offset could
// overwrite the line). A marker file in the temporary directory, named
// after the go command's pid and start time, keeps the line to one when
// several packages skip for the same program; the markers of finished runs
// are removed. Elsewhere than on Linux (no /proc), nothing is printed.
//
// A package that announced is not cached by go test (the files it read
// under /proc/PPID are gone at the next run), so the line shows at every
// run until the program is installed.
func announce(key, line string) {
	if testing.Verbose() {
		return
	}
	ppid := os.Getppid()
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return
	}
	start, ok := processStart(ppid)
	if !ok || !firstInRun(os.TempDir(), ppid, start, key) {
		return
	}
	w, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", ppid), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	defer w.Close()
	if fi, err := w.Stat(); err != nil || fi.Mode()&(fs.ModeCharDevice|fs.ModeNamedPipe) == 0 {
		return
	}
	fmt.Fprintln(w, line)
}

// markerPrefix starts the names of the marker files of announce.
const markerPrefix = "kiln-testenv-"

// firstInRun reports whether this is the first call for key in the run of
// process pid started at start (a /proc start time), by creating the marker
// file dir/kiln-testenv-PID-START-KEY, which only one process can create.
// The first call of a run also removes the markers of processes that are
// gone.
func firstInRun(dir string, pid int, start, key string) bool {
	var slug strings.Builder
	for _, r := range strings.ToLower(key) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			slug.WriteRune(r)
		}
	}
	name := fmt.Sprintf("%s%d-%s-%s", markerPrefix, pid, start, slug.String())
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return false
	}
	f.Close()
	old, _ := filepath.Glob(filepath.Join(dir, markerPrefix+"*"))
	for _, p := range old {
		var opid int
		var ostart string
		parts := strings.SplitN(strings.TrimPrefix(filepath.Base(p), markerPrefix), "-", 3)
		if len(parts) != 3 {
			continue
		}
		if _, err := fmt.Sscan(parts[0], &opid); err != nil {
			continue
		}
		ostart = parts[1]
		if s, ok := processStart(opid); !ok || s != ostart {
			os.Remove(p)
		}
	}
	return true
}

// processStart returns the start time of process pid, in clock ticks after
// boot (field 22 of /proc/PID/stat, proc(5)): with the pid, it names one
// process for good, as pids are reused.
func processStart(pid int) (string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", false
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return "", false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 { // f[0] is field 3
		return "", false
	}
	return f[19], true
}
