//go:build linux

package crashcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/failpoint"
)

// An interrupt (SIGINT, as Ctrl-C sends, or SIGTERM, as an orchestrator
// sends) that arrives at any step boundary of a build, of its commit or
// rollback, or of a flow transaction's commit or rollback: kiln exits
// with 130, leaves the project exactly as before the command or exactly
// as after it, with nothing left over and no recovery needed, and its
// message says which (issue 11, failures 3 and 9). The failpoint sends
// the signal to kiln itself, at that instant.
func TestInterruptAtEveryFailpoint(t *testing.T) {
	w := setup(t)
	type interruptCase struct {
		name    string
		prepare []string
		cmd     []string
		point   string
	}
	var cases []interruptCase
	build := append([]string{"build"}, m2...)
	signal := "interrupt"
	for _, p := range failpoint.All {
		for _, c := range hitsToTry(w.counts[p]) {
			cases = append(cases, interruptCase{name: "build/" + pointAt(p, c) + "/" + signal, cmd: build, point: pointAt(p, c)})
			if signal == "interrupt" { // SIGINT and SIGTERM in turn
				signal = "terminate"
			} else {
				signal = "interrupt"
			}
		}
	}
	failing := append([]string{"build"}, m2Fails...)
	for _, p := range []failpoint.Point{failpoint.RollbackFilesDiscarded, failpoint.RollbackUndone, failpoint.RollbackCommitted} {
		cases = append(cases, interruptCase{name: "failing build/" + string(p), cmd: failing, point: string(p)})
	}
	txn := append([]string{"build", "--transaction", "flow-1"}, m2...)
	for _, p := range []failpoint.Point{failpoint.TxnCommitRecorded, failpoint.TxnCommitCommitted, failpoint.ExportRenamed, failpoint.TxnCommitDone} {
		cases = append(cases, interruptCase{name: "flow commit/" + string(p), prepare: txn, cmd: []string{"transaction", "commit", "flow-1"}, point: string(p)})
	}
	for _, p := range []failpoint.Point{failpoint.TxnRollbackUndone, failpoint.TxnRollbackCommitted, failpoint.FileRemoved} {
		cases = append(cases, interruptCase{name: "flow rollback/" + string(p), prepare: txn, cmd: []string{"transaction", "rollback", "flow-1"}, point: string(p)})
	}
	for i, c := range cases {
		action := "interrupt"
		if strings.HasSuffix(c.name, "/terminate") || i%2 == 1 && !strings.HasPrefix(c.name, "build/") {
			action = "terminate"
		}
		point := c.point
		if !strings.Contains(point, ":") {
			point += ":1"
		}
		point += ":" + action
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			k := Kiln{Bin: w.bin, Dir: filepath.Join(t.TempDir(), "p")}
			if err := CopyTree(w.base, k.Dir); err != nil {
				t.Fatal(err)
			}
			if c.prepare != nil {
				mustRun(t, k, 0, "", c.prepare[0], c.prepare[1:]...)
			}
			r, err := k.Run(point, c.cmd...)
			if err != nil {
				t.Fatal(err)
			}
			if r.Killed || r.Code != 130 {
				t.Fatalf("kiln %s interrupted at %s: exit %d (killed %v), want 130\n%s", c.cmd[0], point, r.Code, r.Killed, r.Output)
			}
			got, err := k.Snapshot(dbFile)
			if err != nil {
				t.Fatal(err)
			}
			which, err := Which(got, w.before, w.after)
			if err != nil {
				t.Fatalf("after the interrupt, with no recovery: %v\n%s", err, r.Output)
			}
			checkMessage(t, which, r.Output)
		})
	}
}

// checkMessage fails when what kiln said does not match the state it
// left.
func checkMessage(t *testing.T, which, out string) {
	t.Helper()
	if strings.Contains(out, "context canceled") {
		t.Errorf("the message speaks of a cancelled context:\n%s", out)
	}
	restored := strings.Contains(out, "as they were") || strings.Contains(out, "changed nothing")
	published := strings.Contains(out, "committed") || strings.Contains(out, "had finished")
	switch {
	case which == "before" && (!restored || strings.Contains(out, "had committed")):
		t.Errorf("the project is as before the run, but the message does not say so:\n%s", out)
	case which == "after" && (!published || restored):
		t.Errorf("the project is as after the run, but the message does not say so:\n%s", out)
	}
}

// A SIGINT or SIGTERM at any instant from the first instruction of kiln
// (while DuckDB's initialisers run, while Go initialises its packages,
// while the project loads, while the database opens) ends kiln with 130
// and a true message, never with 2 ("context canceled") or 143 (issue 11,
// failure 9). Before kiln's first instruction (while the kernel and the
// dynamic loader start the process) no program can catch a signal: the
// test waits until the process catches SIGINT and SIGTERM (SigCgt in
// /proc/PID/status), then signals it at once, and at later instants; the
// exit code is asserted at every instant alike.
func TestEarlyInterrupt(t *testing.T) {
	w := setup(t)
	k := Kiln{Bin: w.bin, Dir: filepath.Join(t.TempDir(), "p")}
	if err := CopyTree(w.base, k.Dir); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 24; i++ {
		sig := syscall.SIGINT
		if i%2 == 1 {
			sig = syscall.SIGTERM
		}
		delay := time.Duration(i/2) * 3 * time.Millisecond
		p, err := k.Start(append([]string{"build"}, m2...)...)
		if err != nil {
			t.Fatal(err)
		}
		if err := waitCatching(p.PID()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay) // when to send the signal, not a wait for a result
		if err := p.Signal(sig); err != nil {
			t.Fatal(err)
		}
		r, err := p.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if r.Code != 130 {
			t.Fatalf("%s %s after kiln caught the signals: exit %d (killed %v), want 130\n%s", sig, delay, r.Code, r.Killed, r.Output)
		}
		got, err := k.Snapshot(dbFile)
		if err != nil {
			t.Fatal(err)
		}
		which, err := Which(got, w.before, w.after)
		if err != nil {
			t.Fatalf("%s %s after the start: %v\n%s", sig, delay, err, r.Output)
		}
		checkMessage(t, which, r.Output)
		if which == "after" {
			return // the build finished before the signal: the start is covered
		}
	}
}

// waitCatching waits until process pid catches SIGINT and SIGTERM (bits
// 2 and 15 of SigCgt in /proc/PID/status).
func waitCatching(pid int) error {
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
				m, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
				if err != nil {
					return err
				}
				if m&(1<<(2-1)) != 0 && m&(1<<(15-1)) != 0 {
					return nil
				}
			}
		}
		runtime.Gosched()
	}
}
