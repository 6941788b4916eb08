package engine_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/run"
)

const customersSource = `sources:
  - name: raw
    schema: raw
    tables:
      - name: customers
`

// customers creates the raw source table with rows (id, name, tier,
// updated_at).
func (m *mini) customers(rows string) {
	m.exec("create schema if not exists raw",
		"create or replace table raw.customers as select id, name, cast(tier as varchar) as tier, cast(updated_at as timestamp) as updated_at from (values "+rows+") as t(id, name, tier, updated_at)")
}

func day(d int) time.Time { return time.Date(2024, 1, d, 12, 0, 0, 0, time.UTC) }

// A YAML snapshot (dbt 1.9) with the timestamp strategy keeps every
// version of a row: a newer updated_at closes the current version at that
// time and opens the next; an unchanged source changes nothing; a model
// refs the snapshot.
func TestSnapshotTimestampYAML(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml": customersSource,
		"snapshots/customers.yml": `snapshots:
  - name: customers_snapshot
    relation: source('raw', 'customers')
    config:
      schema: snapshots
      unique_key: id
      strategy: timestamp
      updated_at: updated_at
`,
		"models/current_customers.sql": "{{ config(materialized='table') }}\nselect id, name from {{ ref('customers_snapshot') }} where dbt_valid_to is null",
	})
	m.customers("(1, 'Ann', 'gold', '2024-01-01 08:00'), (2, 'Bob', 'silver', '2024-01-01 09:00')")
	res := m.build(buildOpts{clock: day(1)})
	wantOK(t, res)
	if r := result(t, res, "customers_snapshot"); r.Rows != 2 || !strings.Contains(r.Message, "snapshot created: 2 versions") {
		t.Errorf("first run: %d rows, %q", r.Rows, r.Message)
	}
	m.customers("(1, 'Ann', 'platinum', '2024-01-02 10:00'), (2, 'Bob', 'silver', '2024-01-01 09:00'), (3, 'Cy', 'gold', '2024-01-02 11:00')")
	res = m.build(buildOpts{clock: day(2)})
	wantOK(t, res)
	if r := result(t, res, "customers_snapshot"); !strings.Contains(r.Message, "snapshot: 2 new versions, 1 version closed") {
		t.Errorf("second run: %q", r.Message)
	}
	q := "select id, tier, cast(dbt_valid_from as varchar), cast(dbt_valid_to as varchar), cast(dbt_updated_at as varchar) from snapshots.customers_snapshot order by id, dbt_valid_from"
	want := [][]any{
		{int64(1), "gold", "2024-01-01 08:00:00", "2024-01-02 10:00:00", "2024-01-01 08:00:00"},
		{int64(1), "platinum", "2024-01-02 10:00:00", nil, "2024-01-02 10:00:00"},
		{int64(2), "silver", "2024-01-01 09:00:00", nil, "2024-01-01 09:00:00"},
		{int64(3), "gold", "2024-01-02 11:00:00", nil, "2024-01-02 11:00:00"},
	}
	if got := m.rows(q); !reflect.DeepEqual(got, want) {
		t.Errorf("after two runs:\n got %#v\nwant %#v", got, want)
	}
	// The same source again: nothing changes.
	wantOK(t, m.build(buildOpts{clock: day(3)}))
	if got := m.rows(q); !reflect.DeepEqual(got, want) {
		t.Errorf("a run on an unchanged source changed the snapshot:\n got %v\nwant %v", got, want)
	}
	if got := m.rows("select count(*), count(distinct dbt_scd_id) from snapshots.customers_snapshot"); !reflect.DeepEqual(got, [][]any{{int64(4), int64(4)}}) {
		t.Errorf("dbt_scd_id is not one per version: %v", got)
	}
	if got := m.rows("select id, name from main.current_customers order by id"); len(got) != 3 {
		t.Errorf("the model over the snapshot: %v", got)
	}
}

// A {% snapshot %} block with the check strategy (check_cols: all) and
// hard_deletes: new_record: a changed value (a NULL included) is a new
// version at the run's clock, a deleted row gets one deletion record that
// later runs do not add again (dbt-adapters#654), a row back after its
// deletion starts a new version; dbt_valid_to_current marks current rows.
func TestSnapshotCheckBlockNewRecord(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml": customersSource,
		"snapshots/tiers.sql": `-- tiers of customers
{% snapshot tiers %}
{{ config(target_schema='snapshots', unique_key='id', strategy='check', check_cols='all',
          hard_deletes='new_record', dbt_valid_to_current="timestamp '9999-12-31'") }}
select id, name, tier from {{ source('raw', 'customers') }}
{% endsnapshot %}
`,
	})
	q := "select id, tier, cast(dbt_valid_from as varchar), cast(dbt_valid_to as varchar), dbt_is_deleted from snapshots.tiers order by id, dbt_valid_from, dbt_is_deleted"
	m.customers("(1, 'Ann', 'gold', '2024-01-01'), (2, 'Bob', 'silver', '2024-01-01')")
	wantOK(t, m.build(buildOpts{clock: day(1)}))
	m.customers("(1, 'Ann', null, '2024-01-01')")
	wantOK(t, m.build(buildOpts{clock: day(2), command: "snapshot"}))
	want := [][]any{
		{int64(1), "gold", "2024-01-01 12:00:00", "2024-01-02 12:00:00", "False"},
		{int64(1), nil, "2024-01-02 12:00:00", "9999-12-31 00:00:00", "False"},
		{int64(2), "silver", "2024-01-01 12:00:00", "2024-01-02 12:00:00", "False"},
		{int64(2), "silver", "2024-01-02 12:00:00", "9999-12-31 00:00:00", "True"},
	}
	if got := m.rows(q); !reflect.DeepEqual(got, want) {
		t.Errorf("after a change to NULL and a delete:\n got %v\nwant %v", got, want)
	}
	for _, d := range []int{3, 4} {
		wantOK(t, m.build(buildOpts{clock: day(d)}))
		if got := m.rows(q); !reflect.DeepEqual(got, want) {
			t.Errorf("run on day %d with an unchanged source changed the snapshot:\n got %v\nwant %v", d, got, want)
		}
	}
	m.customers("(1, 'Ann', null, '2024-01-01'), (2, 'Bob', 'silver', '2024-01-01')")
	wantOK(t, m.build(buildOpts{clock: day(5)}))
	want[3][3] = "2024-01-05 12:00:00"
	want = append(want, []any{int64(2), "silver", "2024-01-05 12:00:00", "9999-12-31 00:00:00", "False"})
	if got := m.rows(q); !reflect.DeepEqual(got, want) {
		t.Errorf("after the row came back:\n got %v\nwant %v", got, want)
	}
}

// hard_deletes: new_record with the timestamp strategy: a key deleted and
// back with an updated_at after its deletion starts at that updated_at,
// its dbt_scd_id hashing it, as dbt writes it; back with an updated_at
// before its deletion, it starts at the run's clock (dbt's value would
// overlap the deletion record) and its dbt_scd_id hashes the clock.
func TestSnapshotTimestampNewRecordBack(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml": customersSource,
		"snapshots/customers.yml": `snapshots:
  - name: customers_snapshot
    relation: source('raw', 'customers')
    config:
      schema: snapshots
      unique_key: id
      strategy: timestamp
      updated_at: updated_at
      hard_deletes: new_record
`,
	})
	m.customers("(4, 'dave', 'new', '2024-01-02'), (5, 'eve', 'old', '2024-01-01')")
	wantOK(t, m.build(buildOpts{clock: day(3), command: "snapshot"}))
	m.customers("(6, 'fay', 'x', '2024-01-01')")
	wantOK(t, m.build(buildOpts{clock: day(4), command: "snapshot"}))
	m.customers("(4, 'dave', 'future', '2027-01-01 00:00:00'), (5, 'eve', 'old', '2024-01-01'), (6, 'fay', 'x', '2024-01-01')")
	wantOK(t, m.build(buildOpts{clock: day(5), command: "snapshot"}))
	q := "select id, tier, cast(dbt_updated_at as varchar), cast(dbt_valid_from as varchar), cast(dbt_valid_to as varchar), dbt_is_deleted, dbt_scd_id from snapshots.customers_snapshot where id in (4, 5) order by id, dbt_valid_from"
	d2, d4, d5 := "2024-01-02 00:00:00", "2024-01-04 12:00:00", "2024-01-05 12:00:00"
	e1, fut := "2024-01-01 00:00:00", "2027-01-01 00:00:00"
	want := [][]any{
		{int64(4), "new", d2, d2, d4, "False", scd("4", d2)},
		{int64(4), "new", d4, d4, fut, "True", scd(scd("4", d2), d4)},
		{int64(4), "future", fut, fut, nil, "False", scd("4", fut)},
		{int64(5), "old", e1, e1, d4, "False", scd("5", e1)},
		{int64(5), "old", d4, d4, d5, "True", scd(scd("5", e1), d4)},
		{int64(5), "old", e1, d5, nil, "False", scd("5", d5)},
	}
	if got := m.rows(q); !reflect.DeepEqual(got, want) {
		t.Errorf("keys back after their deletion:\n got %v\nwant %v", got, want)
	}
}

// A duplicate or NULL key in the source is an error naming the snapshot,
// the key and a value, and nothing is written; a run that fails after the
// snapshot ran puts its table back exactly.
func TestSnapshotKeysAndRollback(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml": customersSource,
		"snapshots/s.yml": `snapshots:
  - name: s
    relation: source('raw', 'customers')
    config: {unique_key: [id, name], strategy: check, check_cols: [tier], hard_deletes: invalidate}
`,
		"models/later.sql": "{{ config(materialized='table') }}\nselect case when {{ var('fail', 0) }} = 1 then error('boom') end as x from {{ ref('s') }}",
	})
	m.customers("(1, 'Ann', 'gold', '2024-01-01')")
	wantOK(t, m.build(buildOpts{clock: day(1)}))
	before := m.rows("select * from main.s order by all")
	for _, tc := range []struct{ rows, want string }{
		{"(1, 'Ann', 'x', '2024-01-01'), (1, 'Ann', 'y', '2024-01-01')", `snapshot "s": unique_key (id, name) is not unique: id = 1, name = 'Ann' is in 2 rows; nothing was written`},
		{"(1, null, 'x', '2024-01-01')", `snapshot "s": unique_key (id, name) is NULL in a row (id = 1, name = NULL); nothing was written`},
	} {
		m.customers(tc.rows)
		res := m.build(buildOpts{clock: day(2)})
		if r := result(t, res, "s"); r.Status != run.Error || !strings.Contains(r.Message, tc.want) {
			t.Errorf("%s: %s %q, want %q", tc.rows, r.Status, r.Message, tc.want)
		}
		if got := m.rows("select * from main.s order by all"); !reflect.DeepEqual(got, before) {
			t.Errorf("%s: the snapshot changed to %v", tc.rows, got)
		}
	}
	m.customers("(2, 'Bob', 'gold', '2024-01-02')")
	res := m.build(buildOpts{clock: day(3), vars: map[string]any{"fail": 1}})
	if r := result(t, res, "s"); r.Status != run.Success || !res.RolledBack {
		t.Fatalf("s: %s %q, rolled back %v", r.Status, r.Message, res.RolledBack)
	}
	if got := m.rows("select * from main.s order by all"); !reflect.DeepEqual(got, before) {
		t.Errorf("after the rollback the snapshot is %v, want %v", got, before)
	}
	wantOK(t, m.build(buildOpts{clock: day(4)}))
	if got := m.rows("select id, cast(dbt_valid_to as varchar) from main.s order by id"); !reflect.DeepEqual(got, [][]any{{int64(1), "2024-01-04 12:00:00"}, {int64(2), nil}}) {
		t.Errorf("hard_deletes: invalidate: %v", got)
	}
}

// The snapshot configs are checked when the project compiles.
func TestSnapshotConfigErrors(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml": customersSource,
		"snapshots/bad.yml": `snapshots:
  - name: a
    relation: source('raw', 'customers')
    config: {unique_key: id, strategy: timestamp}
  - name: b
    relation: source('raw', 'customers')
    config: {strategy: check, hard_deletes: delete}
`,
		"snapshots/c.sql": "{% snapshot c %}\n{{ config(unique_key='id', strategy='check') }}\nselect 1 as id\n{% endsnapshot %}\n",
		"models/m.sql":    "select 1 as id",
		"models/m.yml":    "models:\n  - name: m\n    relation: ref('x')\n",
	})
	got := m.diagnostics()
	for _, want := range []string{
		`snapshots/bad.yml:2:5: snapshot "a": the timestamp strategy needs updated_at`,
		`snapshots/bad.yml:7:45: hard_deletes must be one of "ignore", "invalidate", "new_record", not "delete"`,
		`snapshot "b": unique_key is required`,
		`snapshot "b": the check strategy needs check_cols`,
		`snapshots/c.sql:2:4: snapshot "c": the check strategy needs check_cols`,
		`models/m.yml:2:5: a model entry has no relation: (it is a snapshot's)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the diagnostics lack %q:\n%s", want, got)
		}
	}
}
