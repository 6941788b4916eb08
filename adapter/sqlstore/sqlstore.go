// Package sqlstore implements adapter.Store in standard SQL on any
// adapter.Conn whose database speaks it (DuckDB and PostgreSQL do): the
// tables of schema kiln_history, their creation, and the statements that
// read and write them. Values are written as literals (no placeholders, so
// the SQL is the same for drivers that spell them ? or $1); node results
// go through the adapter's bulk writer.
//
// The tables (created when missing, extended in place when an older kiln
// made them):
//
//	runs           one row per run: id, command, selection, start, end, status, counts, flow transaction, --vars
//	node_results   one row per node of a run: status, start, duration, rows, failures, message, metrics (JSON)
//	state          the fingerprint of each node at its last successful build
//	pending_state  the fingerprints a flow transaction's runs built, until it commits
//	journal        the relations runs replaced, changed or created, and their previous versions' names:
//	               a node's entry is written in its transaction; entries stay while the run is in
//	               progress (or was killed) and while its flow transaction is open
//	transactions   the flow transactions: open, committed or rolled_back
//	staged_files   exports written aside: held for an open flow transaction, or to publish (rename)
//	               or discard once their run or flow transaction committed or rolled back
//	file_hashes    the input files' sha256 by path, with the stamp they had
//	intervals      the batches of each microbatch model, with the digest of what each was built from (intervals.go)
//	observations   the values the deviation gates saw, by series, segment and month (observations.go)
package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// Schema is the schema of kiln's records.
const Schema = adapter.HistorySchema

const ddl = `create schema if not exists kiln_history;
create table if not exists kiln_history.runs (
    run_id      varchar primary key,
    command     varchar not null,
    selection   varchar,
    started_at  timestamp not null,
    finished_at timestamp not null,
    status      varchar not null,
    nodes       integer,
    errors      integer,
    warnings    integer,
    skipped     integer
);
create table if not exists kiln_history.node_results (
    run_id           varchar not null,
    unique_id        varchar not null,
    status           varchar not null,
    started_at       timestamp,
    execution_time_s double precision,
    rows_written     bigint,
    failures         bigint,
    message          varchar,
    metrics          varchar, -- JSON object: metric name -> number
    primary key (run_id, unique_id)
);
create table if not exists kiln_history.state (
    unique_id   varchar primary key,
    fingerprint varchar not null,
    run_id      varchar not null,
    built_at    timestamp not null
);
create table if not exists kiln_history.journal (
    run_id      varchar not null,
    seq         bigint not null,
    schema_name varchar not null,
    name        varchar not null,
    backup      varchar,          -- the previous relation, renamed; null when there was none
    backup_kind varchar,          -- table or view
    primary key (run_id, seq)
);
alter table kiln_history.journal add column if not exists txn varchar;
alter table kiln_history.journal add column if not exists done boolean default false;
alter table kiln_history.journal add column if not exists recorded_at timestamp;
alter table kiln_history.journal add column if not exists op varchar;
alter table kiln_history.journal add column if not exists rows_where varchar; -- op rows: the condition of the rows kept
alter table kiln_history.journal add column if not exists definition varchar; -- JSON array: the statements creating the table as it was
alter table kiln_history.runs add column if not exists txn varchar;
alter table kiln_history.runs add column if not exists vars varchar;          -- the run's --vars, as JSON
create table if not exists kiln_history.transactions (
    id        varchar primary key,
    opened_at timestamp not null,
    status    varchar not null    -- open, committed, rolled_back
);
create table if not exists kiln_history.staged_files (
    txn    varchar not null,
    staged varchar not null,
    final  varchar not null
);
alter table kiln_history.staged_files add column if not exists run_id varchar;
alter table kiln_history.staged_files add column if not exists action varchar default 'hold';
create table if not exists kiln_history.file_hashes (
    path      varchar primary key,
    size      bigint not null,
    mod_ns    bigint not null,
    change_ns bigint not null,
    inode     bigint not null,
    sha256    varchar not null
);
create table if not exists kiln_history.pending_state (
    txn         varchar not null,
    unique_id   varchar not null,
    fingerprint varchar not null,
    run_id      varchar not null
);
create table if not exists kiln_history.intervals (
    unique_id   varchar not null,
    batch_start timestamp not null, -- UTC
    batch_end   timestamp not null, -- UTC, exclusive
    digest      varchar not null,   -- the batch's SQL and its inputs' rows
    run_id      varchar not null,
    built_at    timestamp not null,
    primary key (unique_id, batch_start)
);
create table if not exists kiln_history.observations (
    run_id    varchar not null,
    unique_id varchar not null,          -- the gate's test node
    series    varchar not null,
    segment   varchar not null,
    month     integer not null,          -- year*12 + month-1
    value     double precision not null,
    detail    varchar,                   -- JSON: columns, an input file
    accepted  boolean not null
)`

// Store is adapter.Store on one connection.
type Store struct {
	c adapter.Conn
	d adapter.Dialect
}

var _ adapter.Store = (*Store)(nil)

// New returns the store of the database c is connected to; d quotes
// literals.
func New(c adapter.Conn, d adapter.Dialect) *Store { return &Store{c: c, d: d} }

// ensure creates the schema and tables when they are missing, once per
// connection (the script takes about 3.5 ms in DuckDB, and a run reaches
// the store from many places).
//
// The script leaves out the columns the tables have already: ALTER TABLE
// takes an exclusive lock on its table until the transaction ends, even
// when the column exists, and a node's transaction reaches the store
// first; on PostgreSQL that lock on the journal would make every other
// node wait for that node's end (threads running one at a time).
func (s *Store) ensure(ctx context.Context) error {
	return s.c.Once(ensureKey, func() error {
		// This database's columns only: a run with --defer has the state's
		// database attached, whose kiln_history has every column already.
		_, rows, err := s.c.QueryRows(ctx, "select table_name, column_name from information_schema.columns where table_schema = "+s.lit(Schema)+" and table_catalog = current_database()")
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, r := range rows {
			have[str(r[0])+"."+str(r[1])] = true
		}
		script := addColumn.ReplaceAllStringFunc(ddl, func(stmt string) string {
			m := addColumn.FindStringSubmatch(stmt)
			if have[m[1]+"."+m[2]] {
				return ""
			}
			return stmt
		})
		if sw, ok := s.c.(adapter.SoleWriter); !ok || !sw.SoleWriter() {
			_, err = s.c.Exec(ctx, script)
			return err
		}
		// Where no other process writes (DuckDB), one transaction: one
		// commit, one WAL sync, for the twenty-odd statements that make a
		// new database's schema.
		return s.c.Tx(ctx, func() error {
			_, err := s.c.Exec(ctx, script)
			return err
		})
	})
}

// addColumn matches one "alter table kiln_history.T add column if not
// exists C ...;" line of ddl, with T and C.
var addColumn = regexp.MustCompile(`(?m)^alter table kiln_history\.(\w+) add column if not exists (\w+)[^;]*;.*$`)

// exists reports whether table name of the schema exists, so that reading
// commands do not create the schema in a database kiln never built in.
// A table of ddl exists once ensure succeeded (a run's start ensured it):
// the catalog is not asked again.
func (s *Store) exists(ctx context.Context, name string) (bool, error) {
	if ddlTables[name] && s.ensured() {
		return true, nil
	}
	k, err := s.c.RelationKind(ctx, adapter.Relation{Schema: Schema, Name: name})
	return k != "", err
}

// ensured reports whether ensure succeeded earlier (outside a transaction)
// on this connection, or on DuckDB on any connection of the database:
// Once then does not call the function given, which would fail.
func (s *Store) ensured() bool {
	return s.c.Once(ensureKey, func() error { return errNotEnsured }) == nil
}

var errNotEnsured = errors.New("sqlstore: the history tables are not ensured")

// ensureKey is the key of ensure's Once.
const ensureKey = "sqlstore.ddl"

// ddlTables holds the names of the tables ddl creates.
var ddlTables = func() map[string]bool {
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`create table if not exists kiln_history\.(\w+)`).FindAllStringSubmatch(ddl, -1) {
		out[m[1]] = true
	}
	return out
}()

func (s *Store) lit(v string) string { return s.d.Literal(v) }

func (s *Store) nullable(v string) string {
	if v == "" {
		return "null"
	}
	return s.d.Literal(v)
}

// ts returns t, in UTC, as a timestamp literal with microseconds.
func (s *Store) ts(t time.Time) string {
	return "cast(" + s.d.Literal(t.UTC().Format("2006-01-02 15:04:05.999999")) + " as timestamp)"
}

// str returns a value read back as text.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func num(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// StartRun records r with status "running".
func (s *Store) StartRun(ctx context.Context, r adapter.RunRecord) error {
	if err := s.ensure(ctx); err != nil {
		return err
	}
	return s.upsertRun(ctx, r, "running", false)
}

func (s *Store) upsertRun(ctx context.Context, r adapter.RunRecord, status string, counts bool) error {
	finished := r.Finished
	if !counts {
		finished = r.Started
	}
	cols := []string{"run_id", "command", "selection", "started_at", "finished_at", "status", "txn", "vars"}
	vals := []string{s.lit(r.ID), s.lit(r.Command), s.lit(r.Selection), s.ts(r.Started), s.ts(finished), s.lit(status), s.nullable(r.Txn), s.nullable(r.Vars)}
	counted := []string{"null", "null", "null", "null"}
	if counts {
		counted = []string{fmt.Sprint(r.Nodes), fmt.Sprint(r.Errors), fmt.Sprint(r.Warnings), fmt.Sprint(r.Skipped)}
	}
	cols = append(cols, "nodes", "errors", "warnings", "skipped")
	vals = append(vals, counted...)
	// The usual case first, without ON CONFLICT, which costs DuckDB 1.5.6
	// ~40 ms more than a plain insert even on a table of a few rows (a
	// run's start replayed on W1 1,000's database: 33-57 ms against
	// 6-16 ms): a run starts with a new id, and finishes over the row its
	// start wrote. The upsert stays for the other cases.
	id := " where run_id = " + s.lit(r.ID)
	fast := "insert into kiln_history.runs (" + strings.Join(cols, ", ") + ") select " + strings.Join(vals, ", ") +
		" where not exists (select 1 from kiln_history.runs" + id + ")"
	set := make([]string, len(cols)-1)
	for i, c := range cols[1:] {
		set[i] = c + " = " + vals[i+1]
	}
	if counts {
		fast = "update kiln_history.runs set " + strings.Join(set, ", ") + id
	}
	if n, err := s.c.Exec(ctx, fast); err != nil || n == 1 {
		return err
	}
	_, err := s.c.Exec(ctx, "insert into kiln_history.runs ("+strings.Join(cols, ", ")+") values ("+strings.Join(vals, ", ")+
		") on conflict (run_id) do update set "+strings.Join(set, ", "))
	return err
}

// FinishRun replaces the record of run r and records its nodes, in one
// transaction.
func (s *Store) FinishRun(ctx context.Context, r adapter.RunRecord, nodes []adapter.NodeRecord) error {
	if err := s.ensure(ctx); err != nil {
		return err
	}
	observed := hasObservations(nodes) // kiln_history.observations is ensure's
	return s.c.Tx(ctx, func() error {
		if err := s.upsertRun(ctx, r, r.Status, true); err != nil {
			return err
		}
		if len(nodes) == 0 {
			return nil
		}
		if _, err := s.c.Exec(ctx, "delete from kiln_history.node_results where run_id = "+s.lit(r.ID)); err != nil {
			return err
		}
		w, err := s.c.Bulk(ctx, adapter.Relation{Schema: Schema, Name: "node_results"}, nil)
		if err != nil {
			return err
		}
		for _, n := range nodes {
			var started, metrics, rows, failures any
			if !n.Started.IsZero() {
				started = n.Started.UTC()
			}
			if len(n.Metrics) > 0 {
				b, err := json.Marshal(n.Metrics)
				if err != nil {
					w.Close()
					return err
				}
				metrics = string(b)
			}
			if n.Rows != nil {
				rows = *n.Rows
			}
			if n.Failures != nil {
				failures = *n.Failures
			}
			if err := w.Write(r.ID, n.UniqueID, n.Status, started, n.Seconds, rows, failures, n.Message, metrics); err != nil {
				w.Close()
				return err
			}
		}
		if _, err = w.Close(); err != nil || !observed {
			return err
		}
		return s.writeObservations(ctx, r.ID, r.Status == "success", nodes)
	})
}

// MarkKilled sets the runs still running, but current, to killed.
func (s *Store) MarkKilled(ctx context.Context, current string, at time.Time) ([]string, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	_, rows, err := s.c.QueryRows(ctx, "update kiln_history.runs set status = 'killed', finished_at = "+s.ts(at)+
		" where status = 'running' and run_id <> "+s.lit(current)+" returning run_id")
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, str(r[0]))
	}
	sort.Strings(ids)
	return ids, nil
}

// MarkRolledBack sets the runs of flow transaction txn to rolled_back.
func (s *Store) MarkRolledBack(ctx context.Context, txn string) error {
	if err := s.ensure(ctx); err != nil {
		return err
	}
	return s.c.Tx(ctx, func() error {
		if _, err := s.c.Exec(ctx, "update kiln_history.runs set status = 'rolled_back' where txn = "+s.lit(txn)); err != nil {
			return err
		}
		return s.unaccept(ctx, "txn = "+s.lit(txn))
	})
}

// RecentRuns returns the last limit runs, newest first.
func (s *Store) RecentRuns(ctx context.Context, limit int) ([]adapter.RunRecord, error) {
	if ok, err := s.exists(ctx, "runs"); !ok || err != nil {
		return nil, err
	}
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	_, rows, err := s.c.QueryRows(ctx, fmt.Sprintf(`select run_id, command, coalesce(selection, ''), started_at, finished_at, status,
        coalesce(nodes, 0), coalesce(errors, 0), coalesce(warnings, 0), coalesce(skipped, 0), coalesce(txn, ''), coalesce(vars, '')
        from kiln_history.runs order by started_at desc, run_id desc limit %d`, limit))
	if err != nil {
		return nil, err
	}
	out := make([]adapter.RunRecord, len(rows))
	for i, r := range rows {
		started, _ := r[3].(time.Time)
		finished, _ := r[4].(time.Time)
		out[i] = adapter.RunRecord{ID: str(r[0]), Command: str(r[1]), Selection: str(r[2]), Started: started, Finished: finished,
			Status: str(r[5]), Nodes: int(num(r[6])), Errors: int(num(r[7])), Warnings: int(num(r[8])), Skipped: int(num(r[9])), Txn: str(r[10]), Vars: str(r[11])}
	}
	return out, nil
}

// BuiltBy returns the runs that built the nodes ids, by node.
func (s *Store) BuiltBy(ctx context.Context, ids []string) (map[string]adapter.RunRecord, error) {
	out := map[string]adapter.RunRecord{}
	if len(ids) == 0 {
		return out, nil
	}
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = s.lit(id)
	}
	_, rows, err := s.c.QueryRows(ctx, `select s.unique_id, r.run_id, r.command, coalesce(r.selection, ''), r.started_at, r.finished_at, r.status,
        coalesce(r.txn, ''), coalesce(r.vars, '')
        from kiln_history.state s join kiln_history.runs r on r.run_id = s.run_id
        where s.unique_id in (`+strings.Join(quoted, ", ")+`)`)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		started, _ := r[4].(time.Time)
		finished, _ := r[5].(time.Time)
		out[str(r[0])] = adapter.RunRecord{ID: str(r[1]), Command: str(r[2]), Selection: str(r[3]), Started: started, Finished: finished,
			Status: str(r[6]), Txn: str(r[7]), Vars: str(r[8])}
	}
	return out, nil
}

// LastMetric returns a metric of the last successful run.
func (s *Store) LastMetric(ctx context.Context, id, metric string) (adapter.Baseline, error) {
	for _, r := range metric {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return adapter.Baseline{}, fmt.Errorf("history: metric name %q: letters, digits and underscores only", metric)
		}
	}
	if ok, err := s.exists(ctx, "node_results"); !ok || err != nil {
		return adapter.Baseline{}, err
	}
	value := "cast(cast(n.metrics as json) ->> " + s.lit(metric) + " as double precision)"
	node := ""
	if id != "" {
		node = " and n.unique_id = " + s.lit(id)
	}
	_, rows, err := s.c.QueryRows(ctx, `select `+value+`, r.run_id, r.started_at
        from kiln_history.node_results n join kiln_history.runs r on r.run_id = n.run_id
        where r.status = 'success' and n.status in ('pass', 'warn', 'success')`+node+` and `+value+` is not null
        order by r.started_at desc, r.run_id desc limit 1`)
	if err != nil || len(rows) == 0 {
		return adapter.Baseline{}, err
	}
	v, ok := rows[0][0].(float64)
	if !ok {
		return adapter.Baseline{}, fmt.Errorf("history: metric %q of %s is not a number", metric, id)
	}
	at, _ := rows[0][2].(time.Time)
	return adapter.Baseline{Value: v, RunID: str(rows[0][1]), At: at, Exists: true}, nil
}

// LoadState returns the fingerprints of the last successful builds.
func (s *Store) LoadState(ctx context.Context, txn string) (map[string]string, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	t := s.lit(txn)
	_, rows, err := s.c.QueryRows(ctx, `select unique_id, fingerprint from kiln_history.state
        where unique_id not in (select unique_id from kiln_history.pending_state where txn = `+t+`)
        union all select unique_id, fingerprint from kiln_history.pending_state where txn = `+t+` and fingerprint <> ''`)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[str(r[0])] = str(r[1])
	}
	return out, nil
}

// SaveState records built fingerprints and forgets others, in one
// transaction, 500 rows a statement. In a flow transaction both are
// pending: a forgotten node is a pending row with an empty fingerprint,
// and a node's pending row replaces the one an earlier run of the flow
// wrote.
func (s *Store) SaveState(ctx context.Context, runID, txn string, built map[string]string, forget []string) error {
	if len(built)+len(forget) == 0 {
		return nil
	}
	if err := s.ensure(ctx); err != nil {
		return err
	}
	ids := make([]string, 0, len(built))
	for id := range built {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if txn != "" {
		for _, id := range forget {
			if _, ok := built[id]; !ok {
				ids = append(ids, id)
			}
		}
	}
	return s.c.Tx(ctx, func() error {
		if len(ids) > 0 {
			if err := s.saveStateBulk(ctx, runID, txn, ids, built); err != nil {
				return err
			}
		}
		if len(forget) > 0 && txn == "" {
			if _, err := s.c.Exec(ctx, "delete from kiln_history.state where unique_id in ("+s.list(forget)+")"); err != nil {
				return err
			}
		}
		return nil
	})
}

// list returns vs as a comma-separated list of literals.
func (s *Store) list(vs []string) string {
	quoted := make([]string, len(vs))
	for i, v := range vs {
		quoted[i] = s.lit(v)
	}
	return strings.Join(quoted, ", ")
}

// LoadHashes returns the cached hashes of input files.
func (s *Store) LoadHashes(ctx context.Context) (map[string]adapter.FileHash, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	_, rows, err := s.c.QueryRows(ctx, "select path, size, mod_ns, change_ns, inode, sha256 from kiln_history.file_hashes")
	if err != nil {
		return nil, err
	}
	out := make(map[string]adapter.FileHash, len(rows))
	for _, r := range rows {
		var h adapter.FileHash
		for i, dst := range []*int64{&h.Stamp.Size, &h.Stamp.ModNs, &h.Stamp.ChangeNs, &h.Stamp.Inode} {
			v, ok := r[i+1].(int64)
			if !ok {
				return nil, fmt.Errorf("history: file_hashes: column %d of %v is %T", i+1, r[0], r[i+1])
			}
			*dst = v
		}
		h.SHA256 = str(r[5])
		out[str(r[0])] = h
	}
	return out, nil
}

// SaveHashes caches the hashes of files.
func (s *Store) SaveHashes(ctx context.Context, files map[string]adapter.FileHash) error {
	if len(files) == 0 {
		return nil
	}
	if err := s.ensure(ctx); err != nil {
		return err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	b.WriteString("insert into kiln_history.file_hashes (path, size, mod_ns, change_ns, inode, sha256) values ")
	for i, p := range paths {
		if i > 0 {
			b.WriteString(", ")
		}
		h := files[p]
		fmt.Fprintf(&b, "(%s, %d, %d, %d, %d, %s)", s.lit(p), h.Stamp.Size, h.Stamp.ModNs, h.Stamp.ChangeNs, h.Stamp.Inode, s.lit(h.SHA256))
	}
	b.WriteString(" on conflict (path) do update set size = excluded.size, mod_ns = excluded.mod_ns, change_ns = excluded.change_ns, inode = excluded.inode, sha256 = excluded.sha256")
	_, err := s.c.Exec(ctx, b.String())
	return err
}
