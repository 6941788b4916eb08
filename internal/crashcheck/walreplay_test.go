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
	"github.com/kiln-build/kiln/internal/failpoint"
)

// The function-constraint crash test kills, a step at a time, a build
// that changes the columns of tables a user made by hand with a CHECK
// that calls a function and a DEFAULT of nextval: DuckDB 1.5.6 cannot
// replay from its write-ahead log an ALTER TABLE of such a table
// (duckdb/duckdb#18259, #20543), so a kill after such a change committed
// and before the next checkpoint left a database no command opened. The
// tables are an incremental model whose source gains a column (append_new_columns),
// one whose source also loses one (sync_all_columns), and a snapshot of
// that source. After every kill the database must open and hold exactly
// the state before or after the run, with the user's constraints.
//
// The user's tables are made by hand before the first build, which
// finds them (a table that on-run-start creates is not seen by the
// nodes of that run: they create theirs over it).

const fnDB = "fn.duckdb"

var fnArgs = []string{"--threads", "1"}

var fnFiles = map[string]string{
	"project.yml": `name: fn
version: "1.0.0"
model-paths: [models]
snapshot-paths: [snapshots]
target-path: target
database-path: target/fn.duckdb
`,
	"models/src.yml": `version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: people
`,
	"models/people_inc.sql": `{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='id', on_schema_change='append_new_columns') }}
select * from {{ source('raw', 'people') }}
`,
	"models/people_sync.sql": `{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='id', on_schema_change='sync_all_columns') }}
select * from {{ source('raw', 'people') }}
`,
	"snapshots/people_snap.yml": `snapshots:
  - name: people_snap
    relation: source('raw', 'people')
    config: {unique_key: id, strategy: timestamp, updated_at: updated_at}
`,
	"models/summary.sql": `{{ config(materialized='table') }}
select (select count(*) from {{ ref('people_inc') }}) as inc,
    (select count(*) from {{ ref('people_sync') }}) as sync,
    (select count(*) from {{ ref('people_snap') }}) as versions,
    case when {{ var('fail', 0) }} = 1 then error('summary fails') end as failed
`,
}

var (
	fnInputsA = []string{
		"create schema raw",
		// The user's tables, made by hand before the first build (a
		// table on-run-start creates is not seen by that run's nodes).
		"create sequence main.people_seq",
		"create table main.people_inc (id integer default nextval('people_seq'), name varchar check (length(name) > 0), note varchar, updated_at timestamp)",
		"create table main.people_sync (id integer default nextval('people_seq'), name varchar check (length(name) > 0), note varchar, updated_at timestamp)",
		"create table main.people_snap (id integer, name varchar check (length(name) > 0), note varchar, updated_at timestamp, dbt_scd_id varchar, dbt_updated_at timestamp, dbt_valid_from timestamp, dbt_valid_to timestamp, seen varchar default upper('x'))",
		`create table raw.people as select * from (values (1, 'ann', 'a', timestamp '2024-01-01'), (2, 'bob', 'b', timestamp '2024-01-01'))
			as t(id, name, note, updated_at)`,
	}
	// B: the source loses note and gains city; a row changes, one is new.
	fnInputsB = []string{
		"alter table raw.people drop column note",
		"alter table raw.people add column city varchar default 'paris'",
		"update raw.people set name = 'bobby', updated_at = timestamp '2024-01-02' where id = 2",
		"insert into raw.people values (3, 'cid', timestamp '2024-01-02', 'lyon')",
	}
)

// fnDefinitionQuery reads the hand's constraints and defaults of the
// three tables.
const fnDefinitionQuery = `select string_agg(d, '; ' order by d) from (
	select table_name || ': ' || constraint_text as d from duckdb_constraints()
	where table_name in ('people_inc', 'people_sync', 'people_snap') and constraint_type = 'CHECK'
	union all
	select table_name || '.' || column_name || ' default ' || column_default from duckdb_columns()
	where table_name in ('people_inc', 'people_sync', 'people_snap') and column_default is not null)`

type fnWorld struct {
	bin, base     string
	before, after *Snapshot
	counts        map[failpoint.Point]int
}

var (
	fnOnce   sync.Once
	theFn    *fnWorld
	theFnErr error
)

func makeFnWorld() (*fnWorld, error) {
	tmp, err := os.MkdirTemp("", "kiln-crash-fn-")
	if err != nil {
		return nil, err
	}
	worldDirs.add(tmp)
	w := &fnWorld{base: filepath.Join(tmp, "base")}
	if w.bin, err = BuildKiln("../..", tmp); err != nil {
		return nil, err
	}
	for name, text := range fnFiles {
		p := filepath.Join(w.base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	db := filepath.Join(w.base, "target", fnDB)
	if err := os.MkdirAll(filepath.Dir(db), 0o755); err != nil {
		return nil, err
	}
	if err := duckdb.ExecFile(context.Background(), db, fnInputsA); err != nil {
		return nil, err
	}
	k := Kiln{Bin: w.bin, Dir: w.base}
	if err := runOK(k, append([]string{"build"}, fnArgs...)...); err != nil {
		return nil, err
	}
	if err := duckdb.ExecFile(context.Background(), db, fnInputsB); err != nil {
		return nil, err
	}
	if w.before, err = k.Snapshot(fnDB); err != nil {
		return nil, err
	}
	k2 := Kiln{Bin: w.bin, Dir: filepath.Join(tmp, "after")}
	if err := CopyTree(w.base, k2.Dir); err != nil {
		return nil, err
	}
	log := filepath.Join(tmp, "points.log")
	k2.Env = []string{failpoint.LogVar + "=" + log}
	r, err := k2.Run("", append([]string{"build"}, fnArgs...)...)
	if err != nil {
		return nil, err
	}
	if r.Code != 0 {
		return nil, fmt.Errorf("the build of B exits %d:\n%s", r.Code, r.Output)
	}
	if w.after, err = k2.Snapshot(fnDB); err != nil {
		return nil, err
	}
	if w.counts, err = readLog(log); err != nil {
		return nil, err
	}
	// The build of B changed the three tables' columns and kept the
	// hand's constraints.
	cols, err := fnText(k2.Dir, "select string_agg(table_name || '.' || column_name, ',' order by table_name, column_index) from duckdb_columns() where table_name in ('people_inc', 'people_sync', 'people_snap')")
	if err != nil {
		return nil, err
	}
	want := "people_inc.id,people_inc.name,people_inc.note,people_inc.updated_at,people_inc.city," +
		"people_snap.id,people_snap.name,people_snap.note,people_snap.updated_at,people_snap.dbt_scd_id,people_snap.dbt_updated_at,people_snap.dbt_valid_from,people_snap.dbt_valid_to,people_snap.seen,people_snap.city," +
		"people_sync.id,people_sync.name,people_sync.updated_at,people_sync.city"
	if cols != want {
		return nil, fmt.Errorf("after the build of B the columns are\n%s\nwant\n%s", cols, want)
	}
	// Every row and version is there: those kept from A (the closed
	// version of bob, ann's row the sync model's rows) and B's.
	rows, err := fnText(k2.Dir, "select (select string_agg(id || ':' || name || ':' || coalesce(city, '-'), ',' order by id) from people_inc) || ' / ' || "+
		"(select string_agg(id || ':' || name || ':' || (dbt_valid_to is null) || ':' || seen, ',' order by id, dbt_valid_from) from people_snap)")
	if err != nil {
		return nil, err
	}
	if want := "1:ann:paris,2:bobby:paris,3:cid:lyon / 1:ann:true:X,2:bob:false:X,2:bobby:true:X,3:cid:true:X"; rows != want {
		return nil, fmt.Errorf("after the build of B the rows are\n%s\nwant\n%s", rows, want)
	}
	for _, dir := range []string{w.base, k2.Dir} {
		def, err := fnText(dir, fnDefinitionQuery)
		if err != nil {
			return nil, err
		}
		if def != fnDefinition {
			return nil, fmt.Errorf("the definitions in %s are\n%s\nwant\n%s", dir, def, fnDefinition)
		}
	}
	if w.before.Diff(w.after) == "" || len(w.before.Leftovers)+len(w.after.Leftovers) > 0 {
		return nil, fmt.Errorf("the builds of A and B give the same state, or leave leftovers:\n%v\n%v", w.before.Leftovers, w.after.Leftovers)
	}
	return w, nil
}

// fnDefinition is fnDefinitionQuery's value, before and after the run.
const fnDefinition = "people_inc.id default nextval('people_seq'); people_inc: CHECK((length(\"name\") > 0)); " +
	"people_snap.seen default upper('x'); people_snap: CHECK((length(\"name\") > 0)); " +
	"people_sync.id default nextval('people_seq'); people_sync: CHECK((length(\"name\") > 0))"

func TestCrashFunctionConstraints(t *testing.T) {
	fnOnce.Do(func() { theFn, theFnErr = makeFnWorld() })
	if theFnErr != nil {
		t.Fatal(theFnErr)
	}
	w := theFn
	build := append([]string{"build"}, fnArgs...)
	failing := append([]string{"build", "--vars", "{fail: 1}"}, fnArgs...)
	type fnCase struct {
		name, point string
		cmd         []string
		want        string
	}
	var cases []fnCase
	for _, p := range failpoint.All {
		n := w.counts[p]
		hits := hitsToTry(n)
		switch p {
		case failpoint.NodePrepared, failpoint.NodeBuilt, failpoint.NodeCommitted:
			hits = nil
			for c := 1; c <= n; c++ {
				hits = append(hits, c)
			}
		}
		for _, c := range hits {
			cases = append(cases, fnCase{name: "build/" + pointAt(p, c), point: pointAt(p, c), cmd: build})
		}
	}
	for _, p := range []failpoint.Point{failpoint.RollbackUndone, failpoint.RollbackCommitted} {
		cases = append(cases, fnCase{name: "failing build/" + string(p), point: string(p), cmd: failing, want: "before"})
	}
	if w.counts[failpoint.NodeCommitted] < 4 {
		t.Fatalf("the build commits %d nodes, want the 4: %v", w.counts[failpoint.NodeCommitted], w.counts)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			k := Kiln{Bin: w.bin, Dir: filepath.Join(t.TempDir(), "p")}
			if err := CopyTree(w.base, k.Dir); err != nil {
				t.Fatal(err)
			}
			mustKill(t, k, c.point, c.cmd[0], c.cmd[1:]...)
			// The database the kill left opens, as it is (the log
			// replayed), before any kiln command recovers it.
			if _, err := fnText(k.Dir, "select 1"); err != nil {
				t.Fatalf("the database the kill left does not open: %v", err)
			}
			mustKill(t, k, string(failpoint.RunRecovered), "build", fnArgs...)
			got, err := k.Snapshot(fnDB)
			if err != nil {
				t.Fatal(err)
			}
			which, err := Which(got, w.before, w.after)
			if err != nil {
				t.Fatalf("after the recovery: %v", err)
			}
			if c.want != "" && which != c.want {
				t.Fatalf("after the recovery the project is as %s the run, want %s", which, c.want)
			}
			def, err := fnText(k.Dir, fnDefinitionQuery)
			if err != nil {
				t.Fatal(err)
			}
			if def != fnDefinition {
				t.Fatalf("after the recovery the definitions are\n%s\nwant\n%s", def, fnDefinition)
			}
			mustRun(t, k, 0, "", "build", fnArgs...)
			final, err := k.Snapshot(fnDB)
			if err != nil {
				t.Fatal(err)
			}
			if d := final.Diff(w.after); d != "" || len(final.Leftovers) > 0 {
				t.Fatalf("the build after the recovery (state %s) does not reach the state after the run:\n%s\n%v", which, d, final.Leftovers)
			}
		})
	}
}

// fnText returns the value of query q (one row, one column) in the
// database of the project at dir, as text.
func fnText(dir, q string) (string, error) {
	ctx := context.Background()
	a, err := duckdb.Open(ctx, filepath.Join(dir, "target", fnDB))
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
	return strings.TrimSpace(fmt.Sprint(rows[0][0])), nil
}
