// Package failpoint names the instants at which kiln can be killed to
// test its crash safety, as SQLite tests its journal: every step boundary
// of a run, of its publication (database commit, export renames, state
// and history), of a flow transaction's commit and rollback, and of the
// recovery that the next start makes. A test sets
//
//	KILN_FAILPOINT=name        kill the process at the first hit of name
//	KILN_FAILPOINT=name:count  kill it at the count-th hit (count >= 1)
//
// and kiln, on reaching that point, sends itself SIGKILL: no deferred
// function runs, no file is closed, no buffer flushed, exactly as when
// the machine's owner kills it. A third part chooses another signal:
//
//	KILN_FAILPOINT=name:count:interrupt  send SIGINT (Ctrl-C) and go on
//	KILN_FAILPOINT=name:count:terminate  send SIGTERM and go on
//	KILN_FAILPOINT=name:count:stop       send SIGSTOP: the process stays
//	                                     stopped there until SIGCONT
//
// so that a test can interrupt kiln at an exact instant, or look at what
// other commands see while kiln is at that instant (a parent learns that
// it stopped from wait4 with WUNTRACED, without polling). With
// KILN_FAILPOINT_LOG=path, the name of every point reached is appended to
// path, one per line, so a test can see which points a command reaches
// and how often.
//
// Both variables are read once, when the package is initialised; without
// them Hit is one load of a package variable and a branch.
package failpoint

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Point is the name of a failpoint.
type Point string

// The failpoints, in the order a run, a flow transaction's commit and
// rollback, and the recovery meet them. Engine/COMMIT.md says what is
// durable at each.
const (
	// RunStarting: a run wrote its start record (kiln runs shows it as
	// starting); it has not opened the database.
	RunStarting Point = "run.starting"
	// RunRecovered: a run has recovered what killed runs left and recorded
	// itself as running; no node has run.
	RunRecovered Point = "run.recovered"
	// NodePrepared: inside a node's transaction, the previous relation is
	// moved (or copied) aside and the journal entry written, before the
	// node's statements.
	NodePrepared Point = "node.prepared"
	// NodeBuilt: inside a node's transaction, its statements ran; before
	// COMMIT.
	NodeBuilt Point = "node.built"
	// NodeCommitted: a node's transaction committed (relation and journal
	// entry together).
	NodeCommitted Point = "node.committed"
	// ExportStaged: an export was written, fsynced, to its staged file.
	ExportStaged Point = "export.staged"
	// PublishStart: every node finished; the run is about to commit or
	// roll back.
	PublishStart Point = "publish.start"
	// PublishBackupsDropped: inside the commit transaction, the previous
	// versions are dropped.
	PublishBackupsDropped Point = "publish.backups-dropped"
	// PublishRecorded: inside the commit transaction, the state, the
	// history and the exports to rename are written; before COMMIT.
	PublishRecorded Point = "publish.recorded"
	// PublishCommitted: the commit transaction committed (the point of no
	// return); no export renamed yet.
	PublishCommitted Point = "publish.committed"
	// ExportRenamed: one staged export was renamed into place.
	ExportRenamed Point = "export.renamed"
	// PublishDone: every export renamed and the record of the renames
	// removed.
	PublishDone Point = "publish.done"
	// RollbackFilesDiscarded: a failed run removed its staged exports;
	// before its rollback transaction.
	RollbackFilesDiscarded Point = "rollback.files-discarded"
	// RollbackUndone: inside the rollback transaction, the previous
	// versions are back; before COMMIT.
	RollbackUndone Point = "rollback.undone"
	// RollbackCommitted: the rollback transaction committed.
	RollbackCommitted Point = "rollback.committed"
	// RunRecorded: run_results.json is written; the run is over.
	RunRecorded Point = "run.recorded"
	// RunClosing: a run that seals the database stamped it (its pending
	// seal, engine/seal.go) and is about to close it (DuckDB's
	// checkpoint) and write the seal.
	RunClosing Point = "run.closing"
	// RunClosed: a run that seals the database closed it (DuckDB's
	// checkpoint ran and removed the WAL file); the final seal is not
	// written.
	RunClosed Point = "run.closed"
	// TxnCommitRecorded: inside kiln transaction commit's transaction,
	// backups dropped, state merged, exports marked to publish; before
	// COMMIT.
	TxnCommitRecorded Point = "txn.commit.recorded"
	// TxnCommitCommitted: the flow transaction's commit committed (its
	// point of no return); no export renamed yet.
	TxnCommitCommitted Point = "txn.commit.committed"
	// TxnCommitDone: every export of the flow transaction renamed.
	TxnCommitDone Point = "txn.commit.done"
	// TxnRollbackUndone: inside kiln transaction rollback's transaction,
	// the relations are restored; before COMMIT.
	TxnRollbackUndone Point = "txn.rollback.undone"
	// TxnRollbackCommitted: the flow transaction's rollback committed; its
	// staged exports are not removed yet.
	TxnRollbackCommitted Point = "txn.rollback.committed"
	// FileRemoved: one staged export of a rolled-back flow transaction (or
	// of a killed run) was removed.
	FileRemoved Point = "file.removed"
	// RecoverUndone: inside the recovery's transaction, the relations of
	// killed runs are restored; before COMMIT.
	RecoverUndone Point = "recover.undone"
)

// All lists every failpoint, in the order of the constants.
var All = []Point{
	RunStarting, RunRecovered, NodePrepared, NodeBuilt, NodeCommitted, ExportStaged,
	PublishStart, PublishBackupsDropped, PublishRecorded, PublishCommitted, ExportRenamed, PublishDone,
	RollbackFilesDiscarded, RollbackUndone, RollbackCommitted, RunRecorded, RunClosing, RunClosed,
	TxnCommitRecorded, TxnCommitCommitted, TxnCommitDone,
	TxnRollbackUndone, TxnRollbackCommitted, FileRemoved,
	RecoverUndone,
}

// EnvVar and LogVar are the environment variables read at start.
const (
	EnvVar = "KILN_FAILPOINT"
	LogVar = "KILN_FAILPOINT_LOG"
)

// The actions of a failpoint.
const (
	kill      = "kill"
	interrupt = "interrupt"
	terminate = "terminate"
	stop      = "stop"
)

var (
	on     bool // a failpoint or the log is set
	target Point
	action string
	count  int64
	mu     sync.Mutex
	hits   int64
	logf   *os.File
)

func init() {
	if err := configure(os.Getenv(EnvVar), os.Getenv(LogVar)); err != nil {
		fmt.Fprintf(os.Stderr, "kiln: %v\n", err)
		os.Exit(2)
	}
}

// configure sets the failpoint from spec ("name" or "name:count") and the
// log from path; both "" turn failpoints off.
func configure(spec, path string) error {
	on, target, action, count, hits, logf = false, "", kill, 0, 0, nil
	if spec != "" {
		parts := strings.Split(spec, ":")
		name := parts[0]
		count = 1
		if len(parts) > 1 && parts[1] != "" {
			c, err := strconv.ParseInt(parts[1], 10, 64)
			if err != nil || c < 1 {
				return fmt.Errorf("%s=%s: the count after ':' must be a whole number of 1 or more", EnvVar, spec)
			}
			count = c
		}
		if len(parts) > 2 {
			action = parts[2]
		}
		if action != kill && action != interrupt && action != terminate && action != stop || len(parts) > 3 {
			return fmt.Errorf("%s=%s: write name, name:count or name:count:action, the action kill, interrupt, terminate or stop", EnvVar, spec)
		}
		if !known(Point(name)) {
			return fmt.Errorf("%s=%s: no failpoint is named %q (see package failpoint)", EnvVar, spec, name)
		}
		target, on = Point(name), true
	}
	if path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("%s: %v", LogVar, err)
		}
		logf, on = f, true
	}
	return nil
}

func known(p Point) bool {
	for _, q := range All {
		if q == p {
			return true
		}
	}
	return false
}

// Hit marks that the process reached failpoint p. With KILN_FAILPOINT set
// to p (and this its count-th hit), the process kills itself with SIGKILL
// and Hit does not return, or sends itself SIGINT or SIGTERM and returns;
// with KILN_FAILPOINT_LOG set, p is logged first. Otherwise Hit does
// nothing.
func Hit(p Point) {
	if on {
		hit(p)
	}
}

func hit(p Point) {
	mu.Lock()
	defer mu.Unlock()
	if logf != nil {
		// One write per line, O_APPEND: a line is whole even if the
		// process dies just after.
		logf.WriteString(string(p) + "\n")
	}
	if p != target {
		return
	}
	hits++
	if hits == count {
		raise(action)
	}
}

// On reports that a failpoint or the log is set: code that merges steps a
// failpoint stands between (a database adapter sending a statement with
// the COMMIT after it) keeps them apart then.
func On() bool { return on }
