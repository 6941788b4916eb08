package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/run"
)

// The seal: a node is up to date only if its relation holds what its last
// build left, and another process (a BI tool, the duckdb CLI, psql, kiln
// run-operation) may have written it since. So a run that records the
// up-to-date state, and wrote no relation but its nodes' own, seals the
// database when it ends:
//
//   - DuckDB: the identity of the database file after kiln closed it (its
//     size, modification and status-change times in ns, inode, and the
//     WAL file's, when there is one), in <database>.seal.json beside it.
//     Opening, reading and closing a DuckDB file leaves its identity as it
//     was (kiln runs, show, ls, docs, a run-operation that only reads);
//     any write changes it. A build whose database is not as sealed runs
//     every node.
//   - PostgreSQL: see sealpg.go (per relation, from the server's
//     statistics).
//
// The file seal is written after the database is closed (its checkpoint
// changes the file), so a run killed after its commit, before it closed
// the database, would leave the previous run's seal, and the next build
// would run every node. So a run that seals also stamps the file while it
// holds it open, as a pending seal: after its commit transaction
// (execute.Journal.OnWritten), after the record of its renamed exports,
// and just before it closes the database. A pending seal vouches for the
// database when its WAL file is exactly as stamped and the database file
// is the same file, unchanged or modified since (the run's close may have
// been checkpointing it when it was killed), its WAL the stamped bytes
// (their sha256), followed by nothing or by a checkpoint's entries only:
// every write to a DuckDB database goes through its WAL, and opening it
// read-write replays and rewrites or removes the WAL, so no other process
// wrote. A pending seal without a WAL vouches for the identical file only.
//
// The close's checkpoint ends by removing the WAL: a run killed after that
// and before the final seal would leave a database that no stamp
// describes. So the pending seal keeps a hard link to the WAL file beside
// the database (<database>.seal.wal, the same inode), and records the
// checkpoint iteration of the database file's header
// (duckdb.CheckpointIteration). With the WAL gone, the pending seal
// vouches for the database when the linked WAL holds the stamped bytes
// followed by a checkpoint's entries only and the header counts exactly
// one checkpoint more: DuckDB appends every write to the WAL it finds
// (opening a database replays its WAL and keeps appending to the same
// file), so a program that opened the database before the close's
// checkpoint and wrote left its entries in the linked file, and one that
// wrote after it made a WAL of its own, whose checkpoint counts a second
// one. The final seal removes the link.
//
// A run that may have written another relation than its nodes' own (a
// hook, on-run-start, on-run-end or run_query statement that is not known
// to be harmless, see stmtWrites) seals all the same when each such
// statement names the relation it writes, recording the relations of
// nodes written (sealwritten.go): the next build runs those nodes. One
// that may write a relation it does not name does not seal: the next
// build runs every node (DuckDB) or the nodes whose relations changed
// (PostgreSQL).

// SealFilePath returns the seal of the DuckDB database at dbPath:
// dbPath + ".seal.json"; "" for an in-memory database.
func SealFilePath(dbPath string) string { return besideDB(dbPath, ".seal.json") }

// fileSeal is the content of <database>.seal.json.
type fileSeal struct {
	RunID    string             `json:"run_id"`
	Command  string             `json:"command"`
	SealedAt time.Time          `json:"sealed_at"`
	Database adapter.FileStamp  `json:"database"`
	WAL      *adapter.FileStamp `json:"wal,omitempty"`
	// Unsealed, when set, says why the run did not seal the database: a
	// statement of its own may have written another node's relation.
	Unsealed string `json:"unsealed,omitempty"`
	// Pending says the stamps were taken with the database open, after
	// the run committed and before it closed it (see above); WALSHA256 is
	// then the sha256 (hex) of the WAL file's bytes.
	Pending   bool   `json:"pending,omitempty"`
	WALSHA256 string `json:"wal_sha256,omitempty"`
	// Iteration is, in a pending seal with a WAL, the checkpoint
	// iteration of the database file's header then: its close's
	// checkpoint makes it one more.
	Iteration *uint64 `json:"iteration,omitempty"`
	// Txn, when set, is the flow transaction (kiln build --transaction)
	// the run was a task of: a flow's runs do not seal, since kiln
	// transaction commit publishes their state later. The next build says
	// so, rather than blaming another program.
	Txn string `json:"txn,omitempty"`
	// Written are the relations ("schema.name") of nodes that a
	// statement of a run (a hook, on-run-start, on-run-end, run_query) or
	// a run-operation wrote since their nodes' last build, each with what
	// wrote it: the seal vouches for every other relation, and the next
	// build runs their nodes (sealwritten.go).
	Written map[string]string `json:"written,omitempty"`
}

// SealWALPath returns the hard link to the WAL file that a pending seal
// keeps beside the DuckDB database at dbPath: dbPath + ".seal.wal"; ""
// for an in-memory database.
func SealWALPath(dbPath string) string { return besideDB(dbPath, ".seal.wal") }

// dbIdentity returns the stamps of the database file at path and of its
// WAL file (nil when there is none).
func dbIdentity(path string) (adapter.FileStamp, *adapter.FileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return adapter.FileStamp{}, nil, err
	}
	var wal *adapter.FileStamp
	if wi, err := os.Stat(path + ".wal"); err == nil {
		s := stampOf(wi)
		wal = &s
	}
	return stampOf(fi), wal, nil
}

// pendingCheck is what a run saw of its database's files just before it
// opened it, when the seal is pending: opening a DuckDB database with a
// WAL replays and rewrites the WAL, so the pending seal is checked first.
type pendingCheck struct {
	holds bool              // pendingHolds, before the open
	db    adapter.FileStamp // the database file then
}

// checkPending returns what the database's files say of a pending seal,
// just before the database is opened; nil when the seal is not pending.
func (p *Project) checkPending() *pendingCheck {
	path := SealFilePath(p.DBPath)
	if path == "" || p.OnServer() {
		return nil
	}
	b, err := os.ReadFile(path)
	var s fileSeal
	if err != nil || json.Unmarshal(b, &s) != nil || !s.Pending {
		return nil
	}
	db, wal, err := dbIdentity(p.DBPath)
	if err != nil {
		return &pendingCheck{}
	}
	return &pendingCheck{holds: pendingHolds(p.DBPath, s, db, wal), db: db}
}

// fileOutside returns why the DuckDB database file is not as the last run
// that sealed it left it, "" when it is (or for an in-memory database).
// Called with the database open: kiln holds its lock, no other process
// writes it meanwhile; pre is what checkPending saw just before the open
// (the open rewrites the WAL a pending seal is checked against): the
// database file must still be as it was then.
func (p *Project) fileOutside(pre *pendingCheck) string {
	path := SealFilePath(p.DBPath)
	if path == "" || p.OnServer() {
		return ""
	}
	b, err := os.ReadFile(path)
	var s fileSeal
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	if err != nil {
		return fmt.Sprintf("the database has no seal of its last build (%s), so kiln cannot tell whether it was changed outside kiln", Rel(p.Dir, path))
	}
	if s.Txn != "" {
		return fmt.Sprintf("the last %s at %s (run %s) was a task of the flow transaction %s (open, committed or rolled back since), and a flow's tasks do not seal the database, so kiln cannot tell whether it was changed outside kiln since", s.Command, s.SealedAt.Local().Format("2006-01-02 15:04:05"), s.RunID, s.Txn)
	}
	if s.Unsealed != "" {
		return fmt.Sprintf("the last %s at %s (run %s) may have changed a relation another node built: %s", s.Command, s.SealedAt.Local().Format("2006-01-02 15:04:05"), s.RunID, s.Unsealed)
	}
	db, wal, err := dbIdentity(p.DBPath)
	if err != nil {
		return fmt.Sprintf("cannot read the database file's identity: %v", err)
	}
	if db == s.Database && (wal == nil) == (s.WAL == nil) && (wal == nil || *wal == *s.WAL) {
		return ""
	}
	if s.Pending {
		if pre != nil && pre.holds && db == pre.db {
			return "" // killed after its commit, maybe in its close's checkpoint
		}
		return fmt.Sprintf("the %s run %s committed at %s and was killed before it sealed the database, which is not as that run and its close left it (written since, or its WAL file gone): kiln cannot tell whether it was changed outside kiln", s.Command, s.RunID, s.SealedAt.Local().Format("2006-01-02 15:04:05"))
	}
	return fmt.Sprintf("the database was changed since the last %s at %s (run %s) sealed it, outside a kiln run that finished (another program, kiln run-operation, or a run killed before it finished)", s.Command, s.SealedAt.Local().Format("2006-01-02 15:04:05"), s.RunID)
}

// pendingHolds reports whether the DuckDB database at path, whose files
// have the stamps db and wal, holds what the run of the pending seal s
// committed, written since by that run's close only: the same database
// file, unchanged or written since (the checkpoint), and its WAL as
// stamped, or the stamped bytes followed by a checkpoint's entries only
// (duckdb.CheckpointTail). A WAL that another process opened to write is
// rewritten or removed.
//
// Without a WAL file, the close's checkpoint ended (see above): the WAL
// linked beside the database must be the stamped one followed by a
// checkpoint's entries only, and the file's header must count exactly one
// checkpoint more than when stamped.
func pendingHolds(path string, s fileSeal, db adapter.FileStamp, wal *adapter.FileStamp) bool {
	if s.WAL == nil || db.Inode != s.Database.Inode || db.ModNs < s.Database.ModNs {
		return false
	}
	if wal == nil {
		return checkpointedHolds(path, s)
	}
	if wal.Inode != s.WAL.Inode {
		return false
	}
	if *wal == *s.WAL {
		return true
	}
	return walExtends(path+".wal", s, *wal)
}

// checkpointedHolds reports whether the database at path, its WAL file
// gone, is as the close of the run of the pending seal s left it: the
// WAL linked beside it (SealWALPath) is the stamped one, followed by a
// checkpoint's entries only, and the header counts one checkpoint more.
func checkpointedHolds(path string, s fileSeal) bool {
	if s.Iteration == nil {
		return false
	}
	link := SealWALPath(path)
	fi, err := os.Stat(link)
	if err != nil {
		return false
	}
	ls := stampOf(fi)
	if ls.Inode != s.WAL.Inode {
		return false
	}
	n, err := duckdb.CheckpointIteration(path)
	if err != nil || n != *s.Iteration+1 {
		return false
	}
	return walExtends(link, s, ls)
}

// walExtends reports whether the WAL file at path, stamped now as st,
// holds the bytes the pending seal s stamped followed by a checkpoint's
// entries only (duckdb.CheckpointTail).
func walExtends(path string, s fileSeal, st adapter.FileStamp) bool {
	if st.Size <= s.WAL.Size || s.WALSHA256 == "" {
		return false
	}
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) != st.Size {
		return false
	}
	sum := sha256.Sum256(b[:s.WAL.Size])
	return hex.EncodeToString(sum[:]) == s.WALSHA256 && duckdb.CheckpointTail(b[s.WAL.Size:])
}

// writeFileSeal records the identity of the DuckDB database file, closed,
// as run runID of command left it, or (unsealed not "") why that run
// does not seal it; txn is the flow transaction the run was a task of
// ("" for none), which does not seal either;
// written are the relations the seal does not vouch for (fileSeal.Written).
func (p *Project) writeFileSeal(runID, command, unsealed, txn string, written map[string]string) error {
	return p.writeSeal(fileSeal{RunID: runID, Command: command, Unsealed: unsealed, Txn: txn, Written: written}, nil)
}

// writeSeal writes s, stamped now with the database file's identity; a
// pending seal (the database open) reads the checkpoint iteration through
// hdr, the database file opened by the caller, who closes it only after
// the database (see duckdb.Header: a read that opened and closed the file
// here would drop DuckDB's lock on it); without hdr, the pending seal
// records no iteration (checkpointedHolds then vouches for nothing).
func (p *Project) writeSeal(s fileSeal, hdr *duckdb.Header) error {
	path := SealFilePath(p.DBPath)
	if path == "" || p.OnServer() {
		return nil
	}
	link := SealWALPath(p.DBPath)
	if s.Pending {
		// The link first: it changes the WAL file's status-change time,
		// which the stamp records. Without it (a file system without
		// hard links), a kill after the close's checkpoint makes the
		// next build run every node, as before.
		linkWAL(p.DBPath+".wal", link)
	}
	db, wal, err := dbIdentity(p.DBPath)
	if err != nil {
		return err
	}
	s.SealedAt, s.Database, s.WAL = time.Now(), db, wal
	if s.Pending && wal != nil {
		b, err := os.ReadFile(p.DBPath + ".wal")
		if err != nil {
			return err
		}
		if int64(len(b)) != wal.Size {
			return fmt.Errorf("the WAL file changed while it was read")
		}
		sum := sha256.Sum256(b)
		s.WALSHA256 = hex.EncodeToString(sum[:])
		if hdr != nil {
			if n, err := hdr.Iteration(); err == nil {
				s.Iteration = &n // else no checkpointed state holds (checkpointedHolds)
			}
		}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if !s.Pending || wal == nil {
		// The seal no longer needs it (a pending seal without a WAL
		// vouches for the identical file only).
		removeStale(link)
	}
	return nil
}

// linkWAL makes link a hard link to the WAL file wal, replacing an
// earlier link; there is no link when there is no WAL file or the file
// system cannot link it.
func linkWAL(wal, link string) {
	removeStale(link)
	_ = os.Link(wal, link)
}

// removeStale removes the file at path, if there is one; a failure is
// left to the next seal (a leftover link only keeps an old WAL's blocks).
func removeStale(path string) { _ = os.Remove(path) }

// writeWatch classifies the statements of the run's hooks, on-run-start,
// on-run-end and run_query (or of a run-operation) by the relations kiln
// builds that they may write, other than the running node's own: one
// that names such a relation (stmtWrites) is recorded in written, and the
// seal then says to run its node again (sealwritten.go); one that may
// write any relation (why) leaves the database unsealed.
type writeWatch struct {
	mu     sync.Mutex
	byName map[string][]*graph.Node // relation name (lower case) -> nodes
	why    string                   // the first statement that may write any relation
	first  string                   // the first that may write another node's relation
	// written are the relations ("schema.name", as the nodes name them)
	// of the nodes that a statement wrote, each with the first statement's
	// what.
	written map[string]string
}

// newWriteWatch indexes the relations of g's nodes that hold state: models
// (but ephemeral ones), seeds, snapshots and file-backed sources.
func newWriteWatch(g *graph.Graph) *writeWatch {
	w := &writeWatch{byName: map[string][]*graph.Node{}, written: map[string]string{}}
	for _, n := range g.Nodes() {
		switch {
		case n.Relation.IsZero():
			continue
		case n.Kind == graph.Model && n.Config.Materialized == graph.Ephemeral:
			continue
		case n.Kind == graph.Model || n.Kind == graph.Seed || n.Kind == graph.Snapshot:
		case n.Kind == graph.Source && n.Source != nil && n.Source.External != nil:
		default:
			continue
		}
		k := strings.ToLower(n.Relation.Name)
		w.byName[k] = append(w.byName[k], n)
	}
	return w
}

// note classifies sql, run by what (a node's hook: own is the node; nil
// for on-run-start, on-run-end and run-operation).
func (w *writeWatch) note(sql string, own *graph.Node, what string) {
	if w == nil {
		return
	}
	for _, target := range stmtWrites(sql) {
		why, nodes := w.foreign(target, own)
		if why == "" {
			continue
		}
		w.mu.Lock()
		if w.first == "" {
			w.first = what + " " + why
		}
		if target == "" && w.why == "" {
			w.why = what + " " + why
		}
		for _, n := range nodes {
			k := sealKey(n)
			if w.written[k] == "" {
				w.written[k] = what
			}
		}
		w.mu.Unlock()
	}
}

// sealKey is the key of node n's relation in the seals: "schema.name".
func sealKey(n *graph.Node) string { return n.Relation.Schema + "." + n.Relation.Name }

// foreign returns why a write to target (see stmtWrites) may change a
// relation kiln builds other than own's, "" when it cannot, and the nodes
// whose relation it names (none when target is "": any relation).
func (w *writeWatch) foreign(target string, own *graph.Node) (string, []*graph.Node) {
	if target == "" {
		return "runs a statement that may write any relation", nil
	}
	parts := strings.Split(target, ".")
	name := parts[len(parts)-1]
	why := ""
	var nodes []*graph.Node
	for _, n := range w.byName[name] {
		if own != nil && n.ID == own.ID {
			continue
		}
		if len(parts) >= 2 && !strings.EqualFold(parts[len(parts)-2], n.Relation.Schema) {
			continue
		}
		if why == "" {
			why = fmt.Sprintf("writes %s, the relation of %s %s", target, n.Kind, n.DisplayName())
		}
		nodes = append(nodes, n)
	}
	return why, nodes
}

// reason returns the first statement noted that may write any relation
// (the run does not seal), "" when none.
func (w *writeWatch) reason() string {
	if w == nil {
		return ""
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.why
}

// anyReason returns the first statement noted that may write another
// node's relation, named or not, "" when none.
func (w *writeWatch) anyReason() string {
	if w == nil {
		return ""
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.first
}

// wrote returns a copy of the relations the statements noted wrote, with
// what wrote each (see writeWatch.written).
func (w *writeWatch) wrote() map[string]string {
	out := map[string]string{}
	if w == nil {
		return out
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, v := range w.written {
		out[k] = v
	}
	return out
}

// watchedConn is a connection whose statements w classifies.
type watchedConn struct {
	adapter.Conn
	w    *writeWatch
	own  *graph.Node
	what string
}

func (c watchedConn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	c.w.note(query, c.own, c.what)
	return c.Conn.Exec(ctx, query, args...)
}

func (c watchedConn) Run(ctx context.Context, s adapter.Stmt) (int64, error) {
	c.w.note(s.SQL, c.own, c.what)
	return c.Conn.Run(ctx, s)
}

func (c watchedConn) Query(ctx context.Context, query string, args ...any) (adapter.Rows, error) {
	c.w.note(query, c.own, c.what)
	return c.Conn.Query(ctx, query, args...)
}

func (c watchedConn) QueryRows(ctx context.Context, query string, args ...any) ([]string, [][]any, error) {
	c.w.note(query, c.own, c.what)
	return c.Conn.QueryRows(ctx, query, args...)
}

func (c watchedConn) QueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	c.w.note(query, c.own, c.what)
	return c.Conn.QueryInt(ctx, query, args...)
}

// watch returns session s with its statements classified by r's watch.
func (r *runner) watch(s adapter.Session, own *graph.Node, what string) adapter.Session {
	if r.writes == nil {
		return s
	}
	s.Conn = watchedConn{Conn: s.Conn, w: r.writes, own: own, what: what}
	return s
}

// nodeWhat names node n's statements for the seal's log line.
func nodeWhat(n *graph.Node, part string) string {
	return fmt.Sprintf("%s of %s %s", part, n.Kind, n.DisplayName())
}

// watchHooks returns hooks with each node's session watched.
func (r *runner) watchHooks(hooks execute.Hooks) execute.Hooks {
	if hooks == nil {
		return nil
	}
	return func(ctx context.Context, n *graph.Node, phase string, inTx bool, s adapter.Session) error {
		return hooks(ctx, n, phase, inTx, r.watch(s, n, nodeWhat(n, phase+"-hook")))
	}
}

// watchRender returns render with each node's session (its run_query
// and statement calls) watched.
func (r *runner) watchRender(render execute.Renderer) execute.Renderer {
	if render == nil {
		return nil
	}
	return func(ctx context.Context, n *graph.Node, s adapter.Session) (string, bool, error) {
		return render(ctx, n, r.watch(s, n, nodeWhat(n, "run_query")))
	}
}

// sealed decides, as the run is published with results (rolledBack:
// the relations it had changed were restored), whether it seals the
// database (see seal.go): not in a flow transaction (its state is
// published later, by kiln transaction commit, which seals on
// PostgreSQL what the flow's runs left: see sealtxn.go),
// nor when a statement may have written another node's relation, which
// kiln.log then says. A DuckDB database changed outside kiln before the
// run stays unsealed unless every node the state holds as built ran in
// it (ranEverything: a kiln test of a table changed by hand must not make
// the next build take the table as its build left it).
func (r *runner) sealed(ctx context.Context, results []run.Result, rolledBack bool) {
	var restored []adapter.JournalEntry
	if rolledBack {
		// The relations are as before the run: as it found them, changed
		// outside kiln or not. No node counts as rebuilt; the seal takes
		// the relations put back that were as it vouched (sealServer).
		results, restored = nil, r.journal.Restored()
	}
	if r.opts.Transaction != "" {
		// kiln transaction commit seals what the flow's runs built
		// (sealtxn.go): not what a run rolled back put back.
		if r.p.OnServer() && !rolledBack {
			if err := r.flowPrints(ctx, results, r.writes.anyReason()); err != nil {
				r.p.printf(Warn, "warning: flow transaction %s: the seal does not record the relations this run built (%s): kiln transaction commit %s will not seal them, and the next build runs them", r.opts.Transaction, oneLine(err), r.opts.Transaction)
			}
			return
		}
		// DuckDB: the seal names the transaction, so that the next run
		// says a flow wrote the database, not another program.
		r.unsealed = "a task of the flow transaction " + r.opts.Transaction
		return
	}
	if why := r.writes.reason(); why != "" {
		r.p.emit(Log{Text: "the database is not sealed, the next build runs every node whose relation may have changed: " + why, Debug: true})
		r.unsealed = why
		return
	}
	r.written = r.carryWritten(results)
	if why := r.writes.anyReason(); why != "" {
		r.p.emit(Log{Text: "the database is sealed but for the relations written outside their nodes' builds, whose nodes the next build runs: " + why, Debug: true})
	}
	if r.p.OnServer() {
		if err := r.sealServer(ctx, results, restored); err != nil {
			r.p.emit(Log{Text: "the database is not sealed: " + oneLine(err), Debug: true})
		}
		return
	}
	if !r.fileSealable(results) {
		return
	}
	r.seal = true // once the database is closed
}

// fileSealable reports whether the run, published with results and not
// rolled back, seals the DuckDB file: not in a flow transaction, no
// statement that may have written another node's relation, and the
// database not changed outside kiln before the run unless every node the
// state holds as built ran in it.
func (r *runner) fileSealable(results []run.Result) bool {
	return r.opts.Transaction == "" && r.writes.reason() == "" && !r.p.OnServer() &&
		(r.outside == "" || r.ranEverything(results))
}

// stampPending writes the pending seal of the run (see above): the
// database file's identity now, the database open and held by the run,
// which committed. A failure is only logged: the next build then runs
// every node, as without it. It returns the database file it opened to
// read the header, which the caller closes after it closed the database
// (duckdb.Header), nil when it opened none.
func (r *runner) stampPending() *duckdb.Header {
	hdr, err := duckdb.OpenHeader(r.p.DBPath)
	if err != nil {
		hdr = nil
	}
	if err := r.p.writeSeal(fileSeal{RunID: r.p.InvocationID(), Command: r.opts.Command, Pending: true, Written: r.written}, hdr); err != nil {
		r.p.emit(Log{Text: "the pending seal is not written: " + oneLine(err), Debug: true})
	}
	return hdr
}

// ranEverything reports whether every node of the project that the
// state held as built (a stored fingerprint, as the run found it) ran in
// the run (results: neither skipped nor up to date): then no recorded
// node was built from a relation changed outside kiln before the run. A
// full build does; a kiln test after a hand edit, or a build -s, does
// not.
func (r *runner) ranEverything(results []run.Result) bool {
	if r.stored == nil {
		return false // refused before the state was read
	}
	ran := map[graph.ID]bool{}
	for _, x := range results {
		if x.Status != run.Skipped && x.Status != run.UpToDate {
			ran[x.ID] = true
		}
	}
	g := r.p.Graph()
	for id, fp := range r.stored {
		if fp != "" && g.Node(id) != nil && !ran[id] {
			return false
		}
	}
	return true
}
