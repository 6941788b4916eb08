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
	// its nodes, in one transaction.
	FinishRun(ctx context.Context, r RunRecord, nodes []NodeRecord) error
	// MarkKilled sets the runs still "running", other than current, to
	// "killed" at at, and returns their ids, sorted.
	MarkKilled(ctx context.Context, current string, at time.Time) ([]string, error)
	// MarkRolledBack sets the status of the runs of flow transaction txn
	// to "rolled_back" (their metrics are no baseline).
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

	// Journal returns the journal entries of flow transaction txn, newest
	// first; with txn "", every entry.
	Journal(ctx context.Context, txn string) ([]JournalEntry, error)
	// AddJournal records entries of run runID in flow transaction txn.
	AddJournal(ctx context.Context, runID, txn string, entries []JournalEntry) error

	// TxnStatus returns "open", "committed", "rolled_back", or "" for an
	// unknown flow transaction.
	TxnStatus(ctx context.Context, id string) (string, error)
	// OpenTxnID returns the flow transaction that is open, or "".
	OpenTxnID(ctx context.Context) (string, error)
	// OpenTxn records flow transaction id as open since at.
	OpenTxn(ctx context.Context, id string, at time.Time) error
	// CloseTxn ends flow transaction id: committed, its pending state
	// becomes the state; rolled back, it is forgotten. Its journal and
	// staged files are forgotten either way.
	CloseTxn(ctx context.Context, id string, committed bool) error
	// StagedFiles returns the exports staged by flow transaction txn, or
	// by every transaction when txn is "".
	StagedFiles(ctx context.Context, txn string) ([]StagedFile, error)
	// AddStagedFiles records exports staged by flow transaction txn.
	AddStagedFiles(ctx context.Context, txn string, files []StagedFile) error
}

// RunRecord is one invocation of kiln, as the history records it.
type RunRecord struct {
	ID        string
	Command   string
	Selection string // the selection and options as flags
	Started   time.Time
	Finished  time.Time
	// Status is running, success, error (a node errored or failed),
	// interrupted, killed or rolled_back.
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

// JournalEntry is a relation a run replaced or created: the previous
// version, kept aside under Backup, or "" when there was none.
type JournalEntry struct {
	RunID      string // the run that made the entry
	Relation   Relation
	Backup     string // the previous relation's name, in Relation's schema
	BackupKind Kind
}

// StagedFile is an export written aside (Staged) that replaces Final when
// its run, or flow transaction, commits.
type StagedFile struct {
	Staged, Final string
}
