//go:build linux

package crashcheck

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/failpoint"
)

// upToDate reads the number of UP-TO-DATE nodes of a build's summary.
var upToDate = regexp.MustCompile(`\bUP-TO-DATE=(\d+)`)

func upToDateOf(out string) string {
	if m := upToDate.FindStringSubmatch(out); m != nil {
		return m[1]
	}
	return "0"
}

// A build killed at any instant after its commit (the renames of its
// exports, the record of them, run_results.json written, the database
// stamped and about to be closed) leaves a database that the next build
// of the same month takes as up to date, as after that build had
// finished (the same nodes UP-TO-DATE; the gates run every build), and
// the project exactly as after the build. It used to find the previous
// run's seal and run every node ("the database was changed since the
// last build"), and, killed once its close had checkpointed the database
// and removed the WAL file (run.closed), blamed another program ("then the
// database was written").
func TestKillAfterCommitKeepsUpToDate(t *testing.T) {
	w := setup(t)
	ref := copyBase(t, w)
	mustRun(t, ref, 0, "", "build", m2...)
	want := upToDateOf(mustRun(t, ref, 0, "", "build", m2...).Output)
	if want == "0" {
		t.Fatal("a build again of the same month finds no node up to date")
	}
	points := []string{string(failpoint.PublishCommitted), pointAt(failpoint.ExportRenamed, w.counts[failpoint.ExportRenamed]),
		string(failpoint.PublishDone), string(failpoint.RunClosing), string(failpoint.RunClosed)}
	for _, point := range points {
		t.Run(point, func(t *testing.T) {
			t.Parallel()
			k := copyBase(t, w)
			mustKill(t, k, point, "build", m2...)
			// Nothing opens the database in between: a program that opens it
			// rewrites its WAL (TestWriteAfterKilledRunRebuilds).
			r := mustRun(t, k, 0, "", "build", m2...)
			if got := upToDateOf(r.Output); got != want || strings.Contains(r.Output, "every node runs") {
				t.Errorf("the build after a kill at %s finds %s nodes up to date, want %s:\n%s", point, got, want, r.Output)
			}
			got, err := k.Snapshot(dbFile)
			if err != nil {
				t.Fatal(err)
			}
			if d := got.Diff(w.after); d != "" || len(got.Leftovers) > 0 {
				t.Errorf("after the kill at %s and a build, the project is not as after the build:\n%s\n%v", point, d, got.Leftovers)
			}
		})
	}
}

// A database written by another program after a run was killed past its
// commit is not taken as up to date: the next build runs every node;
// whether the run was killed before its close (run.closing: the program
// replays the run's WAL and appends to it) or after the close's
// checkpoint removed the WAL (run.closed: the program's own WAL and
// checkpoint).
func TestWriteAfterKilledRunRebuilds(t *testing.T) {
	for _, point := range []failpoint.Point{failpoint.RunClosing, failpoint.RunClosed} {
		t.Run(string(point), func(t *testing.T) { writeAfterKill(t, point) })
	}
}

func writeAfterKill(t *testing.T, point failpoint.Point) {
	w := setup(t)
	k := copyBase(t, w)
	mustKill(t, k, string(point), "build", m2...)
	ctx := context.Background()
	db, err := adapter.Open(ctx, adapter.Target{Type: "duckdb", Path: filepath.Join(k.Dir, "target", dbFile)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Conn(ctx)
	if err == nil {
		_, err = c.Exec(ctx, "update marts.kpi_summary set products = products + 1")
		c.Close()
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, k, 0, "", "build", m2...)
	if !strings.Contains(r.Output, "every node runs") || upToDateOf(r.Output) != "0" {
		t.Errorf("the build after a write outside kiln did not run every node:\n%s", r.Output)
	}
}
