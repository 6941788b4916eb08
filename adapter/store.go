package adapter

import (
	"context"
	"time"
)

// HistorySchema is the schema holding kiln's records in the database.
const HistorySchema = "kiln_history"

// Store keeps kiln's own records in the database, in HistorySchema, so
// they share the database's transactions with the relations they
// describe: the run history (one row per run, one per node of each run,
// with the metrics the deviation tests compare), the up-to-date state,
// the cache of the input files' hashes, the journal of the relations that
// a flow transaction's runs replaced, and the flow transactions with
// their staged exports. A Store works on one Conn: its writes join the
// Conn's transaction when one is open (Conn.Tx), so a caller can make
// several of them, and its own statements, one atomic step. Methods
// create the schema's tables when missing.
type Store interface {
	// StartRun records run r with status "running".
	StartRun(ctx context.Context, r RunRecord) error
	// FinishRun replaces the record of run r with its outcome and records
	// its nodes, in one transaction. A node's observations are stored
	// accepted only when r.Status is "success" and the node passed or
	// warned: a run that did not succeed accepts none.
	FinishRun(ctx context.Context, r RunRecord, nodes []NodeRecord) error
	// MarkKilled sets the runs still "running", other than current, to
	// "killed" at at, and returns their ids, sorted.
	MarkKilled(ctx context.Context, current string, at time.Time) ([]string, error)
	// MarkRolledBack sets the status of the runs of flow transaction txn
	// to "rolled_back" (their metrics are no baseline) and their
	// observations to not accepted, in one transaction.
	MarkRolledBack(ctx context.Context, txn string) error
	// RecentRuns returns the last limit runs, newest first; none when the
	// database has no history.
	RecentRuns(ctx context.Context, limit int) ([]RunRecord, error)
	// BuiltBy returns, for each of the nodes ids that has an up-to-date
	// state, the run that built it (RunRecord without counts).
	BuiltBy(ctx context.Context, ids []string) (map[string]RunRecord, error)
	// LastMetric returns metric (letters, digits and underscores) of node
	// id, or of any node when id is "", in the most recent run with status
	// success in which the node passed, warned or succeeded.
	LastMetric(ctx context.Context, id, metric string) (Baseline, error)
	// Observations returns the accepted observations of a deviation gate's
	// series (see Observation), oldest first, with RunID and At set: those
	// of runs with status success in which the gate's node passed or
	// warned. None when the database has no history.
	Observations(ctx context.Context, series string) ([]Observation, error)

	// LoadState returns the fingerprint of every node at its last
	// successful build; with txn, the pending builds of that flow
	// transaction count too.
	LoadState(ctx context.Context, txn string) (map[string]string, error)
	// SaveState records the fingerprints built by run runID and forgets
	// the nodes in forget; in flow transaction txn, the fingerprints are
	// pending until CommitTxn.
	SaveState(ctx context.Context, runID, txn string, built map[string]string, forget []string) error

	// LoadHashes returns the cached sha256 of input files, by absolute
	// path.
	LoadHashes(ctx context.Context) (map[string]FileHash, error)
	// SaveHashes caches the hashes of files, by absolute path.
	SaveHashes(ctx context.Context, files map[string]FileHash) error

	// Journal returns every entry of the journal: the entries of runs in
	// progress (or killed) and those kept for open flow transactions,
	// newest first (by the time they were recorded, then by Seq).
	Journal(ctx context.Context) ([]JournalEntry, error)
	// AddJournal records entries; a node writes its entry in the
	// transaction that makes the change, so the entry exists exactly when
	// the change was committed.
	AddJournal(ctx context.Context, entries []JournalEntry) error
	// RemoveJournal forgets entries (by RunID and Seq).
	RemoveJournal(ctx context.Context, entries []JournalEntry) error
	// RemoveRunJournal forgets every entry of run runID that is not Done:
	// what a run's commit or rollback removes at its end, in one statement
	// whatever their number.
	RemoveRunJournal(ctx context.Context, runID string) error
	// KeepJournal marks the entries of run runID Done: the run succeeded
	// and its flow transaction keeps them until it commits or rolls back.
	KeepJournal(ctx context.Context, runID string) error

	// TxnStatus returns "open", "committed", "rolled_back", or "" for an
	// unknown flow transaction.
	TxnStatus(ctx context.Context, id string) (string, error)
	// OpenTxnID returns the flow transaction that is open, or "".
	OpenTxnID(ctx context.Context) (string, error)
	// OpenTxn records flow transaction id as open since at.
	OpenTxn(ctx context.Context, id string, at time.Time) error
	// CloseTxn ends flow transaction id: committed, its pending state
	// becomes the state; rolled back, it is forgotten. Its journal is
	// forgotten either way; its staged files are the caller's (see
	// SetStagedFiles).
	CloseTxn(ctx context.Context, id string, committed bool) error
	// StagedFiles returns the staged exports recorded for flow
	// transaction txn, or every one when txn is "", ordered by Staged.
	StagedFiles(ctx context.Context, txn string) ([]StagedFile, error)
	// AddStagedFiles records staged exports.
	AddStagedFiles(ctx context.Context, files []StagedFile) error
	// SetStagedFiles sets the Action of the staged exports of flow
	// transaction txn.
	SetStagedFiles(ctx context.Context, txn string, action FileAction) error
	// RemoveStagedFiles forgets the staged exports whose Staged path is in
	// staged.
	RemoveStagedFiles(ctx context.Context, staged []string) error

	// Intervals returns the batches recorded for microbatch model id, by
	// start (kiln's interval state, as SQLMesh keeps it).
	Intervals(ctx context.Context, id string) ([]Interval, error)
	// SaveIntervals records the batches of model id that run runID built,
	// replacing the records with the same start.
	SaveIntervals(ctx context.Context, id, runID string, ivs []Interval) error
	// ForgetIntervals forgets the batches of model id (a full refresh).
	ForgetIntervals(ctx context.Context, id string) error
	// ForgetRunIntervals forgets the batches that the runs runIDs built,
	// and, when txn is not "", those that any run of flow transaction txn
	// built: their tables were restored (a rollback), so those batches
	// are missing again and the next run builds them.
	ForgetRunIntervals(ctx context.Context, runIDs []string, txn string) error
}

// Interval is one batch of a microbatch model as the interval state
// records it: [Start, End) in UTC, and the digest of what it was built
// from (its SQL and the rows of its event-time inputs in the batch).
type Interval struct {
	Start, End time.Time
	Digest     string
	RunID      string
	Built      time.Time
}

// RunRecord is one invocation of kiln, as the history records it.
type RunRecord struct {
	ID        string
	Command   string
	Selection string // the selection and options as flags
	Started   time.Time
	Finished  time.Time
	// Status is running, success, error (a node errored or failed),
	// interrupted, killed, rolled_back or refused (on-run-start failed,
	// or a planned input file cannot be read: no node ran, nothing was
	// kept).
	Status string
	Txn    string // the flow transaction of the run, if any
	// Vars are the --vars the run was given, as a JSON object with sorted
	// keys; "" when none.
	Vars     string
	Nodes    int
	Errors   int
	Warnings int
	Skipped  int
}

// NodeRecord is one node of a run, as the history records it.
type NodeRecord struct {
	UniqueID string
	Status   string
	Started  time.Time // zero when the node did not run
	Seconds  float64
	Rows     *int64 // rows written, nil when unknown
	Failures *int64 // a test's failing rows, nil for other nodes
	Message  string
	Metrics  map[string]float64
	// Observations are what a deviation gate saw (package anomaly).
	Observations []Observation
}

// Observation is one value a deviation gate saw in a run: of one segment
// of one series, for one month, and whether it may train the gate.
type Observation struct {
	// Series keys the gate's history: the same across runs for the same
	// gate on the same data stream (see execute.SeriesKey).
	Series string
	// Segment is the part of the series: a dimension's values, a column
	// metric's name; "" for a gate of one series.
	Segment string
	// Month is the month the value stands for, counted as anomaly.Month
	// (year*12 + month-1).
	Month int
	Value float64
	// Detail is what the gate keeps besides a number, as JSON: the columns
	// of a relation (schema_changes), an input file (input_freshness).
	Detail string
	// Accepted says whether the value joins the history the gate learns
	// from: it passed, or its deviation was accepted (--accept-deviations).
	Accepted bool
	// RunID and At are the run that recorded it, set when read back.
	RunID string
	At    time.Time
}

// Baseline is a metric's value in an earlier run.
type Baseline struct {
	Value  float64
	RunID  string
	At     time.Time
	Exists bool
}

// FileStamp recognises a file's content without reading it, as git's
// index does: its size and modification time in nanoseconds and, where
// the platform has them, its inode and status-change time.
type FileStamp struct {
	Size, ModNs, ChangeNs, Inode int64
}

// FileHash is a file's sha256 (hex) when it had Stamp.
type FileHash struct {
	Stamp  FileStamp
	SHA256 string
}

// JournalOp is how a node kept the previous version of a relation it
// changed.
type JournalOp string

// The journal's operations.
const (
	// Moved: the previous relation was renamed to Backup; the node built
	// a new one under the name.
	Moved JournalOp = "moved"
	// Copied: the previous table was copied to Backup; the node changed
	// it in place and dropped a column (an incremental model's
	// on_schema_change: sync_all_columns); undoing it creates the table
	// again from Definition with the copy's rows, or, without one,
	// renames the copy back, without the table's constraints, defaults
	// and indexes other than those kiln declares. Other changes in place
	// are RowsCopied of the whole table, which keeps them.
	Copied JournalOp = "copied"
	// Created: there was no previous relation (Backup is "").
	Created JournalOp = "created"
	// RowsCopied: the rows of the table that Where selects were copied to
	// Backup; the node deleted rows Where selects only, and inserted rows
	// Where selects only, changing no column (a microbatch model replacing
	// its batches). Undoing it deletes the rows Where selects and inserts
	// Backup's rows back: the cost is that of the rows changed, not of the
	// table. With Where selecting every row (execute.AllRows, an
	// incremental model or a snapshot changing its table in place), the
	// undo first gives the table the columns of Backup back (it drops those
	// the node added, retypes those it retyped) and, for
	// execute.AllRowsGranted, the privileges granted on Backup: the table
	// itself is kept, with its constraints, defaults and indexes.
	RowsCopied JournalOp = "rows"
)

// JournalEntry is a relation a run replaced, changed or created. Undoing
// it drops Relation and, when Backup is not "", renames Backup back to
// Relation's name: the same for Moved and Copied; for RowsCopied, see it.
type JournalEntry struct {
	RunID      string // the run that made the entry
	Seq        int64  // the entry's number in its run, from 1
	Txn        string // the run's flow transaction, "" when none
	Op         JournalOp
	Relation   Relation
	Backup     string // the previous relation's name, in Relation's schema
	BackupKind Kind
	// Where is the condition (SQL, on Relation's columns) selecting the
	// rows a RowsCopied entry kept in Backup; "" for the other operations.
	Where string
	// Definition holds, for a Copied entry or a RowsCopied entry of every
	// row whose node changes the table's columns, the statements creating the table as it was
	// (TableDefiner.DefinitionStatements), when the dialect reads them:
	// an undo that cannot give the table its columns back in place
	// creates it again from them and inserts Backup's rows, instead of
	// renaming Backup back. Nil when none were kept.
	Definition []string
	// Done says the run succeeded in its flow transaction, which keeps the
	// entry; an entry not Done belongs to a run in progress, or killed.
	Done bool
}

// FileAction says what becomes of a staged export.
type FileAction string

// The actions of staged files.
const (
	// Hold: the export waits for its flow transaction's commit.
	Hold FileAction = "hold"
	// Publish: its run or flow transaction committed; the file is to be
	// renamed over Final (by the committing process, or by the next start
	// after a kill).
	Publish FileAction = "publish"
	// Discard: its flow transaction rolled back; the file is to be removed.
	Discard FileAction = "discard"
)

// StagedFile is an export written aside (Staged) that replaces Final when
// its run, or flow transaction, commits.
type StagedFile struct {
	Staged, Final string
	Txn           string // the flow transaction, "" for a run outside any
	RunID         string // the run that wrote it
	Action        FileAction
}
