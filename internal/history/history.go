// Package history keeps kiln's run history in the project's DuckDB file, in
// its own schema (kiln_history), so it survives rebuilds and full refreshes
// of the models: one row per run (id, command, selection, start, end,
// status) and one row per node of each run (status, duration, rows written,
// and the metrics that tests computed, as JSON). Tests such as
// volume_change compare against the metrics of the last successful run.
// The schema also holds the journal of the relations a running build has
// replaced (see package execute), so a killed build can be undone.
package history

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/run"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Schema is the DuckDB schema holding the history.
const Schema = "kiln_history"

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
    execution_time_s double,
    rows_written     bigint,
    failures         bigint,
    message          varchar,
    metrics          varchar, -- JSON object: metric name -> number
    primary key (run_id, unique_id)
);
create table if not exists kiln_history.state (
    unique_id   varchar primary key,
    fingerprint varchar not null,  -- see package state
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
alter table kiln_history.journal add column if not exists txn varchar;          -- the flow transaction, if any
alter table kiln_history.journal add column if not exists done boolean default false; -- the run finished well
alter table kiln_history.journal add column if not exists recorded_at timestamp; -- when, to order entries across runs
alter table kiln_history.runs add column if not exists txn varchar;
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
);`

// Ensure creates the history schema and tables when they are missing,
// once per connection (the script takes about 3.5 ms, and a run calls
// Ensure from each function of this package it uses).
func Ensure(ctx context.Context, c *duck.Conn) error {
	return c.Once("history.ddl", func() error {
		_, err := c.Exec(ctx, ddl)
		return err
	})
}

// Run is one invocation of kiln, as recorded.
type Run struct {
	ID        string
	Command   string
	Selection string
	Started   time.Time
	Finished  time.Time
	Status    string // success, error (a node errored or failed), interrupted, killed, rolled_back
	Txn       string // the flow transaction the run belongs to, if any
	Nodes     int
	Errors    int
	Warnings  int
	Skipped   int
}

// Status returns the run's status from its results: "interrupted" when
// interrupted is set, "error" when a node errored or a test failed, else
// "success" (warnings allowed).
func Status(results []run.Result, interrupted bool) string {
	if interrupted {
		return "interrupted"
	}
	for _, r := range results {
		if r.Status == run.Error || r.Status == run.Fail {
			return "error"
		}
	}
	return "success"
}

// Start records that run r has started, with status "running" until
// Record replaces it: a run killed before its end stays "running" until
// MarkKilled finds it.
func Start(ctx context.Context, c *duck.Conn, r Run) error {
	if err := Ensure(ctx, c); err != nil {
		return err
	}
	var txn any
	if r.Txn != "" {
		txn = r.Txn
	}
	_, err := c.Exec(ctx, `insert or replace into kiln_history.runs (run_id, command, selection, started_at, finished_at, status, txn)
        values (?, ?, ?, ?, ?, 'running', ?)`, r.ID, r.Command, r.Selection, r.Started.UTC(), r.Started.UTC(), txn)
	return err
}

// MarkKilled sets the runs still "running" but current (the run that
// holds the database now, so no other one can be running) to "killed",
// finished at, and returns their ids, sorted.
func MarkKilled(ctx context.Context, c *duck.Conn, current string, at time.Time) ([]string, error) {
	if err := Ensure(ctx, c); err != nil {
		return nil, err
	}
	_, rows, err := c.QueryRows(ctx, `update kiln_history.runs set status = 'killed', finished_at = ?
        where status = 'running' and run_id <> ? returning run_id`, at.UTC(), current)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, fmt.Sprint(r[0]))
	}
	sort.Strings(ids)
	return ids, nil
}

// Record writes the run and its node results in one transaction,
// replacing the row Start wrote.
func Record(ctx context.Context, c *duck.Conn, r Run, results []run.Result) error {
	if err := Ensure(ctx, c); err != nil {
		return err
	}
	for _, res := range results {
		switch res.Status {
		case run.Error, run.Fail:
			r.Errors++
		case run.Warn:
			r.Warnings++
		case run.Skipped:
			r.Skipped++
		}
	}
	r.Nodes = len(results)
	return c.Tx(ctx, func() error {
		var txn any
		if r.Txn != "" {
			txn = r.Txn
		}
		_, err := c.Exec(ctx, `insert or replace into kiln_history.runs (run_id, command, selection, started_at, finished_at, status, nodes, errors, warnings, skipped, txn)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Command, r.Selection, r.Started.UTC(), r.Finished.UTC(), r.Status, r.Nodes, r.Errors, r.Warnings, r.Skipped, txn)
		if err != nil {
			return err
		}
		app, err := c.Appender(Schema, "node_results")
		if err != nil {
			return err
		}
		for _, res := range results {
			var started any
			if !res.Started.IsZero() {
				started = res.Started.UTC()
			}
			var metrics any
			if len(res.Metrics) > 0 {
				b, err := json.Marshal(res.Metrics)
				if err != nil {
					app.Close()
					return err
				}
				metrics = string(b)
			}
			var rows, failures any
			if res.Rows >= 0 && res.Status != run.Skipped {
				rows = res.Rows
			}
			if res.Status == run.Pass || res.Status == run.Warn || res.Status == run.Fail {
				failures = res.Failures
			}
			if err := app.AppendRow(r.ID, string(res.ID), string(res.Status), started, res.Duration().Seconds(), rows, failures, res.Message, metrics); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
}

// Recent returns the last limit runs, newest first. A database without
// history gives none.
func Recent(ctx context.Context, c *duck.Conn, limit int) ([]Run, error) {
	kind, err := c.RelationKind(ctx, Schema, "runs")
	if err != nil || kind == "" {
		return nil, err
	}
	rows, err := c.Query(ctx, `select run_id, command, coalesce(selection, ''), started_at, finished_at, status,
        coalesce(nodes, 0), coalesce(errors, 0), coalesce(warnings, 0), coalesce(skipped, 0) from kiln_history.runs order by started_at desc, run_id desc limit ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		if err := rows.Scan(&r.ID, &r.Command, &r.Selection, &r.Started, &r.Finished, &r.Status, &r.Nodes, &r.Errors, &r.Warnings, &r.Skipped); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Baseline is a metric's value in an earlier run.
type Baseline struct {
	Value  float64
	RunID  string
	At     time.Time
	Exists bool
}

// LastSuccessful returns the metric named metric (letters, digits and
// underscores) of node id, or of any node when id is "", in the most recent
// run whose status was success and in which the node passed or warned.
// Exists is false when there is none (the first run, or no history yet).
func LastSuccessful(ctx context.Context, c *duck.Conn, id graph.ID, metric string) (Baseline, error) {
	kind, err := c.RelationKind(ctx, Schema, "node_results")
	if err != nil || kind == "" {
		return Baseline{}, err
	}
	_, rows, err := c.QueryRows(ctx, `select cast(json_extract(n.metrics, '$.' || ?) as double), r.run_id, r.started_at
        from kiln_history.node_results n join kiln_history.runs r using (run_id)
        where (? = '' or n.unique_id = ?) and r.status = 'success' and n.status in ('pass', 'warn', 'success')
          and json_extract(n.metrics, '$.' || ?) is not null
        order by r.started_at desc, r.run_id desc limit 1`, metric, string(id), string(id), metric)
	if err != nil {
		return Baseline{}, err
	}
	if len(rows) == 0 {
		return Baseline{}, nil
	}
	v, ok := rows[0][0].(float64)
	if !ok {
		return Baseline{}, fmt.Errorf("history: metric %q of %s is not a number", metric, id)
	}
	at, _ := rows[0][2].(time.Time)
	return Baseline{Value: v, RunID: fmt.Sprint(rows[0][1]), At: at, Exists: true}, nil
}

// LoadState returns the fingerprint of every node at its last successful
// build; with txn, the builds of that open flow transaction count too.
func LoadState(ctx context.Context, c *duck.Conn, txn string) (map[graph.ID]string, error) {
	if err := Ensure(ctx, c); err != nil {
		return nil, err
	}
	_, rows, err := c.QueryRows(ctx, `select unique_id, fingerprint from kiln_history.state
        where unique_id not in (select unique_id from kiln_history.pending_state where txn = ?)
        union all select unique_id, fingerprint from kiln_history.pending_state where txn = ?`, txn, txn)
	if err != nil {
		return nil, err
	}
	out := make(map[graph.ID]string, len(rows))
	for _, r := range rows {
		out[graph.ID(fmt.Sprint(r[0]))] = fmt.Sprint(r[1])
	}
	return out, nil
}

// SaveState records the fingerprints of the nodes built successfully by
// run runID and forgets those of the nodes in forget (which must run next
// time), in one transaction. In flow transaction txn, the fingerprints are
// pending until the flow commits.
func SaveState(ctx context.Context, c *duck.Conn, runID, txn string, built map[graph.ID]string, forget []graph.ID) error {
	if len(built)+len(forget) == 0 {
		return nil
	}
	if err := Ensure(ctx, c); err != nil {
		return err
	}
	now := sqlq.Literal(time.Now().UTC().Format("2006-01-02 15:04:05.999999")) + "::timestamp"
	ids := make([]graph.ID, 0, len(built))
	for id := range built {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return c.Tx(ctx, func() error {
		// Batched statements: one round trip per 500 nodes.
		for start := 0; start < len(ids); start += 500 {
			end := min(start+500, len(ids))
			var b strings.Builder
			if txn == "" {
				b.WriteString("insert or replace into kiln_history.state values ")
			} else {
				b.WriteString("insert into kiln_history.pending_state values ")
			}
			for i, id := range ids[start:end] {
				if i > 0 {
					b.WriteString(", ")
				}
				if txn == "" {
					fmt.Fprintf(&b, "(%s, %s, %s, %s)", sqlq.Literal(string(id)), sqlq.Literal(built[id]), sqlq.Literal(runID), now)
				} else {
					fmt.Fprintf(&b, "(%s, %s, %s, %s)", sqlq.Literal(txn), sqlq.Literal(string(id)), sqlq.Literal(built[id]), sqlq.Literal(runID))
				}
			}
			if _, err := c.Exec(ctx, b.String()); err != nil {
				return err
			}
		}
		if len(forget) > 0 {
			quoted := make([]string, len(forget))
			for i, id := range forget {
				quoted[i] = sqlq.Literal(string(id))
			}
			if _, err := c.Exec(ctx, "delete from kiln_history.state where unique_id in ("+strings.Join(quoted, ", ")+")"); err != nil {
				return err
			}
		}
		return nil
	})
}
