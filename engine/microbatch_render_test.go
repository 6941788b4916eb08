package engine_test

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const batchCols = `select cast(date_trunc('day', ts) as timestamp) as d, count(*) as n,
  '{{ model.batch.id }}' as batch_id,
  '{{ model.batch.event_time_start }}' as bstart,
  '{{ model.batch.event_time_end }}' as bend,
  '{{ model.batch.event_time_start.strftime("%Y/%m/%d") }}' as bday
from {{ source('raw', 'events') }} group by 1`

// A microbatch model renders once per batch, as dbt does: model.batch is
// the batch (its id, event_time_start and event_time_end),
// is_incremental() false for the first batch of a new table and true
// after, execute true with the database (a run_query of this sees the
// batches built before). The interval state still builds only the
// batches that need it, and the run's compiled_code is the SQL of the
// last batch built.
func TestMicrobatchRendersEachBatch(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml": eventsSource,
		"models/daily.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='day', begin='2024-01-01', lookback=0) }}\n" +
			batchCols,
		"models/hourly.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='h', batch_size='hour', begin='2024-01-03') }}\n" +
			"select cast(date_trunc('hour', ts) as timestamp) as h, id, '{{ model.batch.id }}' as batch_id from {{ source('raw', 'events') }}",
	})
	m.events("(1, 10, '2024-01-01 05:00'), (2, 20, '2024-01-02 06:00'), (3, 5, '2024-01-02 07:00'), (4, 7, '2024-01-03 05:30')")
	res := m.build(buildOpts{clock: at(2024, 1, 3)})
	wantOK(t, res)
	if r := result(t, res, "daily"); !strings.Contains(r.Message, "3 of 3 batches built (3 full)") {
		t.Errorf("first run: %q", r.Message)
	}
	daily := "select cast(d as varchar), n, batch_id, bstart, bend, bday from main.daily order by d"
	want := [][]any{
		{"2024-01-01 00:00:00", int64(1), "20240101", "2024-01-01 00:00:00+00:00", "2024-01-02 00:00:00+00:00", "2024/01/01"},
		{"2024-01-02 00:00:00", int64(2), "20240102", "2024-01-02 00:00:00+00:00", "2024-01-03 00:00:00+00:00", "2024/01/02"},
		{"2024-01-03 00:00:00", int64(1), "20240103", "2024-01-03 00:00:00+00:00", "2024-01-04 00:00:00+00:00", "2024/01/03"},
	}
	if got := m.rows(daily); !reflect.DeepEqual(got, want) {
		t.Errorf("daily, each row with its batch:\n got %v\nwant %v", got, want)
	}
	if got := m.rows("select cast(h as varchar), id, batch_id from main.hourly order by h"); !reflect.DeepEqual(got, [][]any{{"2024-01-03 05:00:00", int64(4), "20240103T05"}}) {
		t.Errorf("hourly: %v", got)
	}
	// The SQL of the last batch built, its input filtered.
	if code := result(t, res, "daily").CompiledCode; !strings.Contains(code, "'20240103' as batch_id") || !strings.Contains(code, "timestamp '2024-01-03 00:00:00'") {
		t.Errorf("daily's compiled_code is not its last batch's SQL:\n%s", code)
	}

	// Nothing changed: the batches' digests hold, only the current batch
	// (lookback 0) is built again, with its own batch.
	res = m.build(buildOpts{clock: at(2024, 1, 3)})
	wantOK(t, res)
	if r := result(t, res, "daily"); !strings.Contains(r.Message, "1 of 3 batches built (1 lookback)") {
		t.Errorf("unchanged: %q", r.Message)
	}
	if got := m.rows(daily); !reflect.DeepEqual(got, want) {
		t.Errorf("daily after an unchanged run:\n got %v\nwant %v", got, want)
	}

	// A new day: its batch renders with its own bounds.
	m.events("(1, 10, '2024-01-01 05:00'), (2, 20, '2024-01-02 06:00'), (3, 5, '2024-01-02 07:00'), (4, 7, '2024-01-03 05:30'), (5, 1, '2024-01-04 09:00')")
	res = m.build(buildOpts{clock: at(2024, 1, 4)})
	wantOK(t, res)
	if r := result(t, res, "daily"); !strings.Contains(r.Message, "1 of 4 batches built (1 missing)") {
		t.Errorf("new day: %q", r.Message)
	}
	want = append(want, []any{"2024-01-04 00:00:00", int64(1), "20240104", "2024-01-04 00:00:00+00:00", "2024-01-05 00:00:00+00:00", "2024/01/04"})
	if got := m.rows(daily); !reflect.DeepEqual(got, want) {
		t.Errorf("daily after a new day:\n got %v\nwant %v", got, want)
	}
}

// A microbatch model whose template reads execute renders for each batch
// with execute true and the database, as dbt's batches do: a run_query
// of this under is_incremental() sees the batches built before it (dbt
// 1, 2; kiln built every batch from its parse-time rendering, execute
// false: -1, -1).
func TestMicrobatchExecuteEachBatch(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml": eventsSource,
		"models/prior.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='day', begin='2024-01-01', lookback=0) }}\n" +
			"{% if execute and is_incremental() %}{% set prior = run_query('select count(*) from ' ~ this).columns[0].values()[0] %}{% else %}{% set prior = -1 %}{% endif %}\n" +
			"select cast(date_trunc('day', ts) as timestamp) as d, count(*) as n, {{ prior }} as rows_before,\n" +
			"  {% if is_incremental() %}'incremental'{% else %}'new table'{% endif %} as mode\nfrom {{ source('raw', 'events') }} group by 1",
	})
	m.events("(1, 10, '2024-01-01 05:00'), (2, 20, '2024-01-02 06:00'), (3, 5, '2024-01-02 07:00'), (4, 7, '2024-01-03 05:30')")
	wantOK(t, m.build(buildOpts{clock: at(2024, 1, 3)}))
	prior := "select cast(d as varchar), n, rows_before, mode from main.prior order by d"
	if got := m.rows(prior); !reflect.DeepEqual(got, [][]any{
		{"2024-01-01 00:00:00", int64(1), int64(-1), "new table"},
		{"2024-01-02 00:00:00", int64(2), int64(1), "incremental"},
		{"2024-01-03 00:00:00", int64(1), int64(2), "incremental"},
	}) {
		t.Errorf("prior, rendered for each batch with execute true:\n got %v", got)
	}
	// The next run: the table holds three rows when its batch renders.
	m.events("(1, 10, '2024-01-01 05:00'), (2, 20, '2024-01-02 06:00'), (3, 5, '2024-01-02 07:00'), (4, 7, '2024-01-03 05:30'), (5, 1, '2024-01-04 09:00')")
	res := m.build(buildOpts{clock: at(2024, 1, 4)})
	wantOK(t, res)
	if got := m.rows(prior + " desc limit 1"); !reflect.DeepEqual(got, [][]any{{"2024-01-04 00:00:00", int64(1), int64(3), "incremental"}}) {
		t.Errorf("prior's new day: %v", got)
	}
	if code := result(t, res, "prior").CompiledCode; !strings.Contains(code, "3 as rows_before") {
		t.Errorf("prior's compiled_code is not the SQL that ran:\n%s", code)
	}
}

// A microbatch model with no batch to build (--event-time-end before its
// begin) creates its table empty, with the columns of its first batch's
// SQL: its inputs' markers are no SQL (DuckDB: "Table Function with name
// __kiln_batch does not exist").
func TestMicrobatchNoBatchCreatesEmptyTable(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml":     eventsSource,
		"models/monthly.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='month_start', batch_size='month', begin='2024-01-01') }}\n" + monthlySQL,
		"models/daily.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='d', batch_size='day', begin='2024-01-01') }}\n" +
			batchCols,
	})
	m.events("(1, 10, '2024-01-01 05:00')")
	res := m.build(buildOpts{clock: at(2024, 1, 3), eventEnd: time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC)})
	wantOK(t, res)
	for name, cols := range map[string]int64{"monthly": 3, "daily": 6} {
		if r := result(t, res, name); !strings.Contains(r.Message, "0 of 0 batches built") {
			t.Errorf("%s, no batch: %q", name, r.Message)
		}
		if got := m.rows("select count(*), (select count(*) from information_schema.columns where table_name = '" + name + "') from main." + name); !reflect.DeepEqual(got, [][]any{{int64(0), cols}}) {
			t.Errorf("%s, the empty table (rows, columns): %v", name, got)
		}
	}
}
