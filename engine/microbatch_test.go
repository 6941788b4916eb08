package engine_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/run"
)

const eventsSource = `sources:
  - name: raw
    schema: raw
    tables:
      - name: events
        config: {event_time: ts}
`

const monthlySQL = `select cast(date_trunc('month', ts) as timestamp) as month_start, count(*) as n, sum(amount) as amount
from {{ source('raw', 'events') }} group by 1`

// events replaces the raw events (id, amount, ts).
func (m *mini) events(rows string) {
	m.exec("create schema if not exists raw",
		"create or replace table raw.events as select id, amount, cast(ts as timestamp) as ts from (values "+rows+") as t(id, amount, ts)")
}

func at(y int, mo time.Month, d int) time.Time { return time.Date(y, mo, d, 12, 0, 0, 0, time.UTC) }

// A microbatch model builds one batch per month from begin to the run's
// month; later runs build the batches that are missing (a gap is filled),
// whose inputs changed, or that lookback names, and the table always
// equals a full build of the same SQL.
func TestMicrobatchIntervals(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml":     eventsSource,
		"models/monthly.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='month_start', batch_size='month', begin='2024-01-01', lookback=0) }}\n" + monthlySQL,
		"models/whole.sql":   "{{ config(materialized='table') }}\n" + monthlySQL,
	})
	same := func(when string) {
		t.Helper()
		got := m.rows("select * from main.monthly order by all")
		want := m.rows("select * from main.whole where month_start < (select max(month_start) + interval 1 month from main.monthly) order by all")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: monthly differs from a full build:\n got %v\nwant %v", when, got, want)
		}
	}
	m.events("(1, 10, '2024-01-05'), (2, 20, '2024-01-31 23:59:59'), (3, 5, '2024-02-10'), (4, 7, '2024-03-01 00:00:00'), (5, 100, '2024-04-02')")
	res := m.build(buildOpts{clock: at(2024, 3, 15)})
	wantOK(t, res)
	if r := result(t, res, "monthly"); !strings.Contains(r.Message, "microbatch: 3 of 3 batches built (3 full)") {
		t.Errorf("first run: %q", r.Message)
	}
	// April's event is after the run's clock: not built yet.
	if got := m.rows("select cast(month_start as varchar), n, cast(amount as bigint) from main.monthly order by 1"); !reflect.DeepEqual(got, [][]any{
		{"2024-01-01 00:00:00", int64(2), int64(30)}, {"2024-02-01 00:00:00", int64(1), int64(5)}, {"2024-03-01 00:00:00", int64(1), int64(7)}}) {
		t.Errorf("first run: %v", got)
	}
	same("first run")
	// Nothing changed: only the current batch (lookback 0).
	res = m.build(buildOpts{clock: at(2024, 3, 16)})
	wantOK(t, res)
	if r := result(t, res, "monthly"); !strings.Contains(r.Message, "1 of 3 batches built (1 lookback)") {
		t.Errorf("unchanged: %q", r.Message)
	}
	// January's input changes: January is rebuilt.
	m.events("(1, 11, '2024-01-05'), (2, 20, '2024-01-31 23:59:59'), (3, 5, '2024-02-10'), (4, 7, '2024-03-01 00:00:00'), (5, 100, '2024-04-02')")
	res = m.build(buildOpts{clock: at(2024, 3, 16)})
	wantOK(t, res)
	if r := result(t, res, "monthly"); !strings.Contains(r.Message, "2 of 3 batches built (1 changed inputs, 1 lookback)") {
		t.Errorf("changed January: %q", r.Message)
	}
	same("changed January")
	// A gap (February's rows and record gone): filled, not skipped.
	m.exec("delete from main.monthly where month_start = timestamp '2024-02-01'",
		"delete from kiln_history.intervals where batch_start = timestamp '2024-02-01'")
	res = m.build(buildOpts{clock: at(2024, 5, 2)})
	wantOK(t, res)
	if r := result(t, res, "monthly"); !strings.Contains(r.Message, "3 of 5 batches built (3 missing)") {
		t.Errorf("gap and new months: %q", r.Message)
	}
	same("gap and new months")
	if got := m.rows("select count(*) from kiln_history.intervals"); got[0][0] != int64(5) {
		t.Errorf("the interval state holds %v batches, want 5", got[0][0])
	}
	// --event-time-start/--event-time-end limit the batches considered.
	m.events("(1, 11, '2024-01-05'), (2, 20, '2024-01-31 23:59:59'), (3, 6, '2024-02-10'), (4, 7, '2024-03-01 00:00:00'), (5, 101, '2024-04-02')")
	res = m.build(buildOpts{clock: at(2024, 5, 2), eventStart: at(2024, 2, 1), eventEnd: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)})
	wantOK(t, res)
	if r := result(t, res, "monthly"); !strings.Contains(r.Message, "1 of 1 batch built (1 changed inputs)") {
		t.Errorf("event time range: %q", r.Message)
	}
	if got := m.rows("select n, cast(amount as bigint) from main.monthly where month_start = timestamp '2024-04-01'"); !reflect.DeepEqual(got, [][]any{{int64(1), int64(100)}}) {
		t.Errorf("April was rebuilt outside the event time range: %v", got)
	}
	// --full-refresh rebuilds every batch.
	res = m.build(buildOpts{clock: at(2024, 5, 2), fullRefresh: true})
	wantOK(t, res)
	if r := result(t, res, "monthly"); !strings.Contains(r.Message, "5 of 5 batches built (5 full)") {
		t.Errorf("full refresh: %q", r.Message)
	}
	same("full refresh")
}

// A batch whose rows are dated outside it is an error, before anything is
// written; a failed run leaves the table and the interval state as they
// were.
func TestMicrobatchRowsOutsideBatch(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml": eventsSource,
		"models/bad.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='day', begin='2024-01-01') }}\n" +
			"select {% if var('shift', 0) == 1 %}timestamp '2023-12-31'{% else %}cast(date_trunc('day', ts) as timestamp){% endif %} as d, id from {{ source('raw', 'events') }}",
	})
	m.events("(1, 10, '2024-01-01 05:00'), (2, 20, '2024-01-02 06:00')")
	wantOK(t, m.build(buildOpts{clock: at(2024, 1, 2)}))
	before := m.rows("select * from main.bad order by all")
	state := m.rows("select batch_start, digest from kiln_history.intervals order by all")
	res := m.build(buildOpts{clock: at(2024, 1, 3), vars: map[string]any{"shift": 1}})
	if r := result(t, res, "bad"); r.Status != run.Error || !strings.Contains(r.Message, "have an event_time (d) outside the batch") || !strings.Contains(r.Message, "batch 2024-01-") {
		t.Errorf("rows outside the batch: %s %q", r.Status, r.Message)
	}
	if got := m.rows("select * from main.bad order by all"); !reflect.DeepEqual(got, before) {
		t.Errorf("the failed run changed the table: %v", got)
	}
	if got := m.rows("select batch_start, digest from kiln_history.intervals order by all"); !reflect.DeepEqual(got, state) {
		t.Errorf("the failed run changed the interval state: %v", got)
	}
}

// TestMicrobatchEqualsFullBuild is the property of the interval state: for
// random rounds of changes to the events (inserts, updates and deletes in
// any month, the clock moving on or not, a batch's rows or record lost),
// the microbatch table equals a full build of the same SQL up to the run's
// month, row for row.
func TestMicrobatchEqualsFullBuild(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 77))
			m := newMini(t, map[string]string{
				"models/src.yml":     eventsSource,
				"models/monthly.sql": fmt.Sprintf("{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='month_start', batch_size='month', begin='2024-01-01', lookback=%d) }}\n", rng.IntN(2)) + monthlySQL,
				"models/whole.sql":   "{{ config(materialized='table') }}\n" + monthlySQL,
				// A microbatch model over monthly, with the same batches: its
				// batches' inputs are compared by monthly's interval state.
				"models/rollup.sql": fmt.Sprintf("{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='month_start', batch_size='month', begin='2024-01-01', lookback=%d) }}\n", rng.IntN(2)) +
					"select month_start, sum(n) * 2 as n2, sum(amount) + 1 as amount1 from {{ ref('monthly') }} group by 1",
			})
			type event struct {
				amount int
				ts     time.Time
			}
			evs := map[int]event{}
			next := 1
			clock := at(2024, 2, 10)
			for round := 0; round < 6; round++ {
				for k := rng.IntN(5); k > 0; k-- {
					evs[next] = event{rng.IntN(100), time.Date(2024, time.Month(1+rng.IntN(6)), 1+rng.IntN(28), rng.IntN(24), 0, 0, 0, time.UTC)}
					next++
				}
				for id, e := range evs {
					switch rng.IntN(8) {
					case 0:
						e.amount++
						evs[id] = e
					case 1:
						delete(evs, id)
					}
				}
				if rng.IntN(2) == 0 {
					clock = clock.AddDate(0, 1, 0)
				}
				vals := []string{"(0, 0, '2023-12-31 23:00')"}
				for id, e := range evs {
					vals = append(vals, fmt.Sprintf("(%d, %d, '%s')", id, e.amount, e.ts.Format(time.DateTime)))
				}
				m.events(strings.Join(vals, ", "))
				if round > 1 && rng.IntN(3) == 0 {
					month := fmt.Sprintf("timestamp '2024-%02d-01'", 1+rng.IntN(2))
					m.exec("delete from main.monthly where month_start = "+month, "delete from kiln_history.intervals where batch_start = "+month)
				}
				wantOK(t, m.build(buildOpts{clock: clock}))
				end := time.Date(clock.Year(), clock.Month()+1, 1, 0, 0, 0, 0, time.UTC)
				got := m.rows("select * from main.monthly order by all")
				want := m.rows("select * from main.whole where month_start >= timestamp '2024-01-01' and month_start < timestamp '" + end.Format(time.DateTime) + "' order by all")
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("round %d (clock %s): monthly differs from a full build:\n got %v\nwant %v", round, clock.Format(time.DateOnly), got, want)
				}
				got = m.rows("select * from main.rollup order by all")
				want = m.rows("select month_start, sum(n) * 2, sum(amount) + 1 from main.monthly group by 1 order by all")
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("round %d (clock %s): rollup differs from a full build over monthly:\n got %v\nwant %v", round, clock.Format(time.DateOnly), got, want)
				}
			}
		})
	}
}

// A run that fails after a microbatch model replaced a batch puts the
// batch's rows back (the journal kept those rows, not the table) and
// forgets the batch in the interval state: the next run builds it again
// from the inputs as they are then, and equals a full build. Without the
// forgetting, the state would say the batch was built from the changed
// inputs and the next run would keep the restored, stale rows.
func TestMicrobatchRollback(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml":     eventsSource,
		"models/monthly.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='month_start', batch_size='month', begin='2024-01-01', lookback=0) }}\n" + monthlySQL,
		"models/whole.sql":   "{{ config(materialized='table') }}\n" + monthlySQL,
		"models/later.sql":   "{{ config(materialized='table') }}\nselect case when {{ var('fail', 0) }} = 1 then error('boom') end as x from {{ ref('monthly') }}",
	})
	end := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	m.events("(1, 10, '2024-01-05'), (2, 20, '2024-02-03'), (3, 5, '2024-02-10'), (4, 7, '2024-03-01')")
	wantOK(t, m.build(buildOpts{clock: at(2024, 6, 1), eventEnd: end}))
	before := m.rows("select * from main.monthly order by all")
	// February changes; the run replaces February's batch, then fails.
	m.events("(1, 10, '2024-01-05'), (2, 21, '2024-02-03'), (4, 7, '2024-03-01')")
	res := m.build(buildOpts{clock: at(2024, 6, 1), eventEnd: end, vars: map[string]any{"fail": 1}})
	if r := result(t, res, "monthly"); r.Status != run.Success || r.Metrics["batches"] != 1 {
		t.Fatalf("monthly: %s %q, %v batches built", r.Status, r.Message, r.Metrics["batches"])
	}
	if !res.Failed || !res.RolledBack {
		t.Fatalf("the run did not fail and roll back: %+v", res)
	}
	if got := m.rows("select * from main.monthly order by all"); !reflect.DeepEqual(got, before) {
		t.Errorf("after the rollback monthly = %v, want %v", got, before)
	}
	if got := m.rows("select count(*) from information_schema.tables where table_name like '%kiln%'"); got[0][0] != int64(0) {
		t.Errorf("the rollback left %v kiln tables behind", got[0][0])
	}
	if got := m.rows("select cast(batch_start as varchar) from kiln_history.intervals order by 1"); !reflect.DeepEqual(got, [][]any{{"2024-01-01 00:00:00"}, {"2024-03-01 00:00:00"}}) {
		t.Errorf("after the rollback the interval state holds %v, want January and March (February forgotten)", got)
	}
	res = m.build(buildOpts{clock: at(2024, 6, 1), eventEnd: end})
	wantOK(t, res)
	if r := result(t, res, "monthly"); !strings.Contains(r.Message, "1 of 3 batches built (1 missing)") {
		t.Errorf("the next run: %q", r.Message)
	}
	got := m.rows("select * from main.monthly order by all")
	if want := m.rows("select * from main.whole order by all"); !reflect.DeepEqual(got, want) {
		t.Errorf("the next run: monthly = %v, want a full build's %v", got, want)
	}
}
