//go:build unix

package crashcheck

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/failpoint"
)

// The incremental crash test kills a build that changes tables in place,
// a step at a time: incremental models by merge, delete+insert and
// append, a microbatch model (whose journal keeps only the rows of the
// batches it replaces), and a snapshot, each followed by a model that
// reads it. Every node's steps are killed (node.prepared: its previous
// version or rows kept aside; node.built: its statements run, not
// committed; node.committed), and so are the run's commit and a failing
// run's rollback. After the recovery the tables must be exactly those
// before the run or after it, and a build must then reach exactly the
// state after it: a microbatch model whose interval state outlived the
// restored rows would keep them (its batch would look built from the
// new inputs).

const incrDB = "incr.duckdb"

// incrEnd is the --event-time-end of every build: the batches do not
// depend on the day the test runs. The snapshot uses the timestamp
// strategy and ignores deletions, so nothing written depends on the
// run's clock either, and two builds of the same inputs give the same
// tables.
var incrArgs = []string{"--event-time-end", "2024-07-01", "--threads", "1"}

var incrFiles = map[string]string{
	"project.yml": `name: incr
version: "1.0.0"
model-paths: [models]
snapshot-paths: [snapshots]
target-path: target
database-path: target/incr.duckdb
`,
	"models/src.yml": `version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: orders
      - name: wide
      - name: events
        config: {event_time: ts}
`,
	"models/orders_merge.sql": `{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id') }}
select id, status, amount, updated_at from {{ source('raw', 'orders') }}
{% if is_incremental() %}where updated_at > (select max(updated_at) from {{ this }}){% endif %}
`,
	"models/orders_di.sql": `{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['id']) }}
select id, status, amount, updated_at from {{ source('raw', 'orders') }}
{% if is_incremental() %}where updated_at > (select max(updated_at) from {{ this }}){% endif %}
`,
	"models/orders_append.sql": `{{ config(materialized='incremental', incremental_strategy='append') }}
select id, status, updated_at from {{ source('raw', 'orders') }}
{% if is_incremental() %}where updated_at > (select max(updated_at) from {{ this }}){% endif %}
`,
	"models/events_monthly.sql": `{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='month_start',
          batch_size='month', begin='2024-01-01', lookback=0) }}
select cast(date_trunc('month', ts) as timestamp) as month_start, count(*) as n, sum(amount) as amount
from {{ source('raw', 'events') }} group by 1
`,
	// An incremental model with an enforced contract and constraints: its
	// journal keeps its rows (a copy of the table would lose them).
	"models/orders_strict.sql": `{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='id') }}
select id, status, amount, updated_at from {{ source('raw', 'orders') }}
{% if is_incremental() %}where updated_at > (select max(updated_at) from {{ this }}){% endif %}
`,
	"models/orders_strict.yml": `models:
  - name: orders_strict
    config: {contract: {enforced: true}}
    constraints:
      - {type: check, columns: [amount], expression: "amount >= 0"}
    columns:
      - {name: id, data_type: integer, constraints: [{type: primary_key}]}
      - {name: status, data_type: varchar}
      - {name: amount, data_type: integer}
      - {name: updated_at, data_type: timestamp}
`,
	// Its source drops a column in B: sync_all_columns drops it, so a
	// rollback creates the table again from its saved definition.
	"models/wide_sync.sql": `{{ config(materialized='incremental', unique_key='id', on_schema_change='sync_all_columns') }}
select * from {{ source('raw', 'wide') }}
`,
	// Its source gains a column in B, and its table an index made by
	// hand, which forbids dropping the column again: a rollback creates
	// the table again from its saved definition, index included.
	"snapshots/wide_snap.yml": `snapshots:
  - name: wide_snap
    relation: source('raw', 'wide')
    config: {unique_key: id, strategy: timestamp, updated_at: updated_at}
`,
	"snapshots/orders_snap.yml": `snapshots:
  - name: orders_snap
    relation: source('raw', 'orders')
    config:
      schema: history
      unique_key: id
      strategy: timestamp
      updated_at: updated_at
`,
	"models/summary.sql": `{{ config(materialized='table') }}
select (select count(*) from {{ ref('orders_merge') }}) as merged,
    (select sum(amount) from {{ ref('orders_di') }}) as di_amount,
    (select sum(amount) from {{ ref('orders_strict') }}) as strict_amount,
    (select count(*) from {{ ref('orders_append') }}) as appended,
    (select sum(amount) from {{ ref('events_monthly') }}) as events_amount,
    (select count(*) from {{ ref('orders_snap') }}) as versions,
    case when {{ var('fail', 0) }} = 1 then error('summary fails') end as failed
`,
}

// The inputs of the first build (state A) and the changes before the
// killed one (state B): an order updated, one added; March's events
// changed and one added in May.
var (
	incrInputsA = []string{
		"create schema raw",
		`create table raw.orders as select * from (values
			(1, 'new', 10, timestamp '2024-01-01 10:00'), (2, 'new', 20, timestamp '2024-01-01 11:00'),
			(3, 'paid', 30, timestamp '2024-01-02 09:00'), (4, 'new', 40, timestamp '2024-01-02 10:00'))
			as t(id, status, amount, updated_at)`,
		`create table raw.events as select * from (values
			(1, 5, timestamp '2024-01-10'), (2, 7, timestamp '2024-02-03'), (3, 9, timestamp '2024-03-04'),
			(4, 11, timestamp '2024-03-20'), (5, 13, timestamp '2024-04-01'), (6, 17, timestamp '2024-06-30 23:00'))
			as t(id, amount, ts)`,
		`create table raw.wide as select * from (values (1, 'x', 'y', timestamp '2024-01-01'), (2, 'z', 'w', timestamp '2024-01-01'))
			as t(id, a, b, updated_at)`,
	}
	incrInputsB = []string{
		"update raw.orders set status = 'paid', amount = 21, updated_at = timestamp '2024-01-03 08:00' where id = 2",
		"insert into raw.orders values (5, 'new', 50, timestamp '2024-01-03 09:00')",
		"update raw.events set amount = amount + 100 where ts >= timestamp '2024-03-01' and ts < timestamp '2024-04-01'",
		"insert into raw.events values (7, 19, timestamp '2024-05-15')",
		// What a user adds to the tables kiln changes in place, outside
		// the models' config: a recovery gives them back with it.
		"alter table main.orders_merge add primary key (id)",
		"alter table main.orders_merge alter column status set default 'new'",
		"alter table main.orders_append alter column status set not null",
		"alter table history.orders_snap alter column amount set default 0",
		"alter table raw.wide drop column b",
		"alter table raw.wide add column c integer default 3",
		"update raw.wide set a = 'v', updated_at = timestamp '2024-01-02' where id = 2",
		"alter table main.wide_sync alter column a set not null",
		"alter table main.wide_sync alter column a set default 'dflt'",
		"comment on table main.wide_snap is 'kept'",
		"create index wide_snap_a on main.wide_snap (a)",
	}
)

// definitionQuery reads the definitions incrInputsB adds (and the
// others of the tables changed in place): each column's default and
// nullability, and the constraints.
const definitionQuery = `select string_agg(d, '; ' order by d) from (
	select table_name || '.' || column_name || ' default ' || coalesce(column_default, '-') || ' nullable ' || is_nullable as d
	from information_schema.columns where table_name in ('orders_merge', 'orders_append', 'orders_snap')
	union all
	select table_name || ': ' || constraint_text from duckdb_constraints() where table_name in ('orders_merge', 'orders_append', 'orders_snap', 'wide_sync')
	union all
	select table_name || '.' || column_name || ' default ' || coalesce(column_default, '-') || ' nullable ' || is_nullable
	from information_schema.columns where table_name = 'wide_sync' and column_name = 'a'
	union all
	select sql from duckdb_indexes() where table_name = 'wide_snap'
	union all
	select table_name || ' comment ' || comment from duckdb_tables() where table_name = 'wide_snap')`

// incrWorld is the incremental test's starting point: the project built
// on A with B's inputs in place (before), and the state after building B.
type incrWorld struct {
	bin, base     string
	before, after *Snapshot
	// definition is definitionQuery's value before the killed build.
	definition string
	counts     map[failpoint.Point]int
}

var (
	incrOnce   sync.Once
	theIncr    *incrWorld
	theIncrErr error
)

func incrSetup(t *testing.T) *incrWorld {
	t.Helper()
	incrOnce.Do(func() { theIncr, theIncrErr = makeIncrWorld() })
	if theIncrErr != nil {
		t.Fatal(theIncrErr)
	}
	return theIncr
}

func makeIncrWorld() (*incrWorld, error) {
	tmp, err := os.MkdirTemp("", "kiln-crash-incr-")
	if err != nil {
		return nil, err
	}
	worldDirs.add(tmp)
	w := &incrWorld{base: filepath.Join(tmp, "base")}
	if w.bin, err = BuildKiln("../..", tmp); err != nil {
		return nil, err
	}
	for name, text := range incrFiles {
		p := filepath.Join(w.base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	db := filepath.Join(w.base, "target", incrDB)
	if err := os.MkdirAll(filepath.Dir(db), 0o755); err != nil {
		return nil, err
	}
	if err := duckdb.ExecFile(context.Background(), db, incrInputsA); err != nil {
		return nil, err
	}
	k := Kiln{Bin: w.bin, Dir: w.base}
	if err := runOK(k, append([]string{"build"}, incrArgs...)...); err != nil {
		return nil, err
	}
	if err := duckdb.ExecFile(context.Background(), db, incrInputsB); err != nil {
		return nil, err
	}
	if w.before, err = k.Snapshot(incrDB); err != nil {
		return nil, err
	}
	if w.definition, err = queryText(w.base, definitionQuery); err != nil {
		return nil, err
	}
	for _, want := range []string{"PRIMARY KEY(id)", "orders_merge.status default 'new'", "orders_append.status default - nullable NO", "orders_snap.amount default 0",
		"wide_sync.a default 'dflt' nullable NO", "CREATE INDEX wide_snap_a", "wide_snap comment kept"} {
		if !strings.Contains(w.definition, want) {
			return nil, fmt.Errorf("the definitions before the build lack %q:\n%s", want, w.definition)
		}
	}
	k2 := Kiln{Bin: w.bin, Dir: filepath.Join(tmp, "after")}
	if err := CopyTree(w.base, k2.Dir); err != nil {
		return nil, err
	}
	log := filepath.Join(tmp, "points.log")
	k2.Env = []string{failpoint.LogVar + "=" + log}
	r, err := k2.Run("", append([]string{"build"}, incrArgs...)...)
	if err != nil {
		return nil, err
	}
	rr, err := artifact.ReadRunResults(filepath.Join(k2.Dir, "target", "run_results.json"))
	if err != nil {
		return nil, err
	}
	msg := ""
	for _, res := range rr.Results {
		if res.UniqueID == "model.incr.events_monthly" && res.Message != nil {
			msg = *res.Message
		}
	}
	if r.Code != 0 || !strings.Contains(msg, "2 of 6 batches built (2 changed inputs)") {
		return nil, fmt.Errorf("the build of B (exit %d) does not rebuild March and May alone (%q):\n%s", r.Code, msg, r.Output)
	}
	if w.after, err = k2.Snapshot(incrDB); err != nil {
		return nil, err
	}
	if w.counts, err = readLog(log); err != nil {
		return nil, err
	}
	if w.before.Diff(w.after) == "" || len(w.before.Leftovers)+len(w.after.Leftovers) > 0 {
		return nil, fmt.Errorf("the builds of A and B give the same state, or leave leftovers:\n%v\n%v", w.before.Leftovers, w.after.Leftovers)
	}
	return w, nil
}

// worldDirs are the folders the tests' worlds made, removed by TestMain.
var worldDirs dirList

type dirList struct {
	mu   sync.Mutex
	dirs []string
}

func (l *dirList) add(d string) { l.mu.Lock(); l.dirs = append(l.dirs, d); l.mu.Unlock() }

func (l *dirList) removeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range l.dirs {
		os.RemoveAll(d)
	}
}

func TestCrashIncremental(t *testing.T) {
	w := incrSetup(t)
	build := append([]string{"build"}, incrArgs...)
	failing := append([]string{"build", "--vars", "{fail: 1}"}, incrArgs...)
	type incrCase struct {
		name, point string
		cmd         []string
		want        string
	}
	var cases []incrCase
	for _, p := range failpoint.All {
		n := w.counts[p]
		hits := hitsToTry(n)
		switch p {
		case failpoint.NodePrepared, failpoint.NodeBuilt, failpoint.NodeCommitted:
			// Every node, in graph order: each kind of change in place.
			hits = nil
			for c := 1; c <= n; c++ {
				hits = append(hits, c)
			}
		}
		for _, c := range hits {
			cases = append(cases, incrCase{name: "build/" + pointAt(p, c), point: pointAt(p, c), cmd: build})
		}
	}
	for _, p := range []failpoint.Point{failpoint.RollbackUndone, failpoint.RollbackCommitted} {
		cases = append(cases, incrCase{name: "failing build/" + string(p), point: string(p), cmd: failing, want: "before"})
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases: the build reached %v", len(cases), w.counts)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			k := Kiln{Bin: w.bin, Dir: filepath.Join(t.TempDir(), "p")}
			if err := CopyTree(w.base, k.Dir); err != nil {
				t.Fatal(err)
			}
			mustKill(t, k, c.point, c.cmd[0], c.cmd[1:]...)
			// The next build recovers first; stopped once it has.
			mustKill(t, k, string(failpoint.RunRecovered), "build", incrArgs...)
			got, err := k.Snapshot(incrDB)
			if err != nil {
				t.Fatal(err)
			}
			which, err := Which(got, w.before, w.after)
			if err != nil {
				t.Fatalf("after the recovery: %v", err)
			}
			// orders_strict holds its constraints, whichever state, and the
			// tables changed in place the definitions the user gave them.
			if got := strictConstraints(t, k.Dir); got != "CHECK,PRIMARY KEY" {
				t.Fatalf("after the recovery orders_strict's constraints are %q, want CHECK,PRIMARY KEY", got)
			}
			if got := queryOne(t, k.Dir, definitionQuery); got != w.definition {
				t.Fatalf("after the recovery the definitions are\n%s\nwant\n%s", got, w.definition)
			}
			if c.want != "" && which != c.want {
				t.Fatalf("after the recovery the project is as %s the run, want %s", which, c.want)
			}
			// Then a build reaches B's state exactly: the interval state
			// agrees with the restored tables.
			mustRun(t, k, 0, "", "build", incrArgs...)
			final, err := k.Snapshot(incrDB)
			if err != nil {
				t.Fatal(err)
			}
			if d := final.Diff(w.after); d != "" || len(final.Leftovers) > 0 {
				t.Fatalf("the build after the recovery (state %s) does not reach the state after the run:\n%s\n%v", which, d, final.Leftovers)
			}
		})
	}
}

// strictConstraints returns the kinds of constraints of table
// orders_strict in the project at dir, sorted, joined by commas (NOT NULL
// left out).
func strictConstraints(t *testing.T, dir string) string {
	t.Helper()
	return queryOne(t, dir, "select string_agg(distinct constraint_type, ',' order by constraint_type) from duckdb_constraints() where table_name = 'orders_strict' and constraint_type <> 'NOT NULL'")
}

// queryOne returns the value of query q (one row, one column) in the
// database of the project at dir, as text.
func queryOne(t *testing.T, dir, q string) string {
	t.Helper()
	v, err := queryText(dir, q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// queryText is queryOne returning its error.
func queryText(dir, q string) (string, error) {
	ctx := context.Background()
	a, err := duckdb.Open(ctx, filepath.Join(dir, "target", incrDB))
	if err != nil {
		return "", err
	}
	defer a.Close()
	c, err := a.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_, rows, err := c.QueryRows(ctx, q)
	if err != nil {
		return "", fmt.Errorf("%s: %w", q, err)
	}
	return fmt.Sprint(rows[0][0]), nil
}
