package engine_test

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// dbtShop is a dbt project as a dbt-duckdb user writes it: the classic
// incremental pattern (is_incremental() and max(updated_at) from this),
// with a unique_key (dbt-duckdb's default strategy, delete+insert) and
// without one (then an append), the legacy {% snapshot %} block with
// target_schema and target_database, one without them, and dbt 1.9's
// YAML snapshots with and without schema.
var dbtShop = map[string]string{
	"dbt_project.yml": "name: shop\nversion: '1.0'\nconfig-version: 2\nprofile: shop\n",
	"profiles.yml":    "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/mini.duckdb\n      schema: main\n",
	"models/sources.yml": `version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: orders
      - name: customers
`,
	"models/orders_incr.sql": `{{ config(materialized='incremental', unique_key='id') }}
select id, status, amount, updated_at
from {{ source('raw', 'orders') }}
{% if is_incremental() %}
where updated_at > (select max(updated_at) from {{ this }})
{% endif %}
`,
	"models/orders_append.sql": `{{ config(materialized='incremental') }}
select id, status, updated_at from {{ source('raw', 'orders') }}
{% if is_incremental() %}
where updated_at > (select max(updated_at) from {{ this }})
{% endif %}
`,
	"snapshots/orders_snapshot.sql": `{% snapshot orders_snapshot %}
{{ config(target_schema='snapshots', target_database='mini', unique_key='id',
          strategy='timestamp', updated_at='updated_at') }}
select * from {{ source('raw', 'orders') }}
{% endsnapshot %}
`,
	"snapshots/customers_check.sql": `{% snapshot customers_check %}
{{ config(unique_key='id', strategy='check', check_cols=['name', 'tier']) }}
select * from {{ source('raw', 'customers') }}
{% endsnapshot %}
`,
	"snapshots/snapshots.yml": `snapshots:
  - name: customers_yaml
    relation: source('raw', 'customers')
    config:
      unique_key: id
      strategy: check
      check_cols: all
      hard_deletes: new_record
  - name: orders_yaml
    relation: source('raw', 'orders')
    config:
      schema: hist
      unique_key: id
      strategy: timestamp
      updated_at: updated_at
      hard_deletes: invalidate
`,
}

// scd is dbt's dbt_scd_id, computed here as dbt's
// snapshot_hash_arguments does: md5 of the values as text joined by '|'.
func scd(parts ...string) string {
	h := md5.Sum([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(h[:])
}

func clockAt(d, h, m int) time.Time { return time.Date(2024, 3, d, h, m, 0, 0, time.UTC) }

// A dbt project kept aside, run as dbt would run it over three source
// changes (build, build, snapshot, run --full-refresh), with the values
// dbt writes: the relations where dbt puts them (target_schema as
// written, a YAML schema as <target>_<schema>, no schema the target's),
// the columns in dbt's order and types, dbt_scd_id as dbt hashes it
// (a deletion record's from the version it closes), the validity times,
// and a checked column added to the source giving every key a new
// version, as dbt's check strategy does.
func TestDBTProjectIncrementalAndSnapshots(t *testing.T) {
	m := &mini{t: t, dir: t.TempDir()}
	for p, text := range dbtShop {
		m.write(p, text)
	}
	t.Setenv("DBT_PROFILES_DIR", m.dir)
	if err := os.MkdirAll(filepath.Join(m.dir, "target"), 0o755); err != nil {
		t.Fatal(err)
	}
	m.exec("create schema raw",
		`create table raw.orders as select * from (values
		 (1, 'new', 10.5, timestamp '2024-01-01 10:00:00'),
		 (2, 'new', 20.0, timestamp '2024-01-02 11:00:00'),
		 (3, 'paid', 5.25, timestamp '2024-01-03 12:00:00')) t(id, status, amount, updated_at)`,
		`create table raw.customers as select * from (values
		 (10, 'Ann', 'gold'), (11, 'Bob', null), (12, 'Cid', 'silver')) t(id, name, tier)`)
	run1, run2, run3 := clockAt(1, 8, 0), clockAt(2, 8, 0), clockAt(3, 8, 0)
	t1, t2, t3 := "2024-03-01 08:00:00", "2024-03-02 08:00:00", "2024-03-03 08:00:00"
	res := m.build(buildOpts{clock: run1})
	wantOK(t, res)

	// Where dbt puts each relation, and the snapshot's columns.
	got := m.rows(`select table_catalog || '.' || table_schema || '.' || table_name from information_schema.tables
		where table_schema not in ('raw', 'kiln_history') order by 1`)
	want := [][]any{{"mini.main.customers_check"}, {"mini.main.customers_yaml"}, {"mini.main.orders_append"},
		{"mini.main.orders_incr"}, {"mini.main_hist.orders_yaml"}, {"mini.snapshots.orders_snapshot"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("relations:\n got %v\nwant %v", got, want)
	}
	cols := func(table string) [][]any {
		return m.rows("select column_name, data_type from information_schema.columns where table_schema || '.' || table_name = '" + table + "' order by ordinal_position")
	}
	if got, want := cols("snapshots.orders_snapshot"), [][]any{{"id", "INTEGER"}, {"status", "VARCHAR"}, {"amount", "DECIMAL(4,2)"},
		{"updated_at", "TIMESTAMP"}, {"dbt_scd_id", "VARCHAR"}, {"dbt_updated_at", "TIMESTAMP"}, {"dbt_valid_from", "TIMESTAMP"},
		{"dbt_valid_to", "TIMESTAMP"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("orders_snapshot's columns:\n got %v\nwant %v", got, want)
	}
	if got, want := cols("main.customers_yaml"), [][]any{{"id", "INTEGER"}, {"name", "VARCHAR"}, {"tier", "VARCHAR"},
		{"dbt_scd_id", "VARCHAR"}, {"dbt_updated_at", "TIMESTAMP"}, {"dbt_valid_from", "TIMESTAMP"},
		{"dbt_valid_to", "TIMESTAMP"}, {"dbt_is_deleted", "VARCHAR"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("customers_yaml's columns:\n got %v\nwant %v", got, want)
	}

	// Second source: order 2 updated, 3 deleted, 4 new; Bob's tier from
	// NULL to bronze, Cid gone, Dee new.
	m.exec(`update raw.orders set status = 'paid', updated_at = timestamp '2024-02-01 09:00:00' where id = 2`,
		`insert into raw.orders values (4, 'new', 7.0, timestamp '2024-02-02 10:00:00')`,
		`delete from raw.orders where id = 3`,
		`update raw.customers set tier = 'bronze' where id = 11`,
		`delete from raw.customers where id = 12`,
		`insert into raw.customers values (13, 'Dee', null)`)
	wantOK(t, m.build(buildOpts{clock: run2}))
	// delete+insert by id: order 2 replaced, 3 kept (the filter reads
	// the new rows only), 4 added; without unique_key, an append.
	if got, want := m.rows("select id, status, cast(updated_at as varchar) from main.orders_incr order by id"), [][]any{
		{int64(1), "new", "2024-01-01 10:00:00"}, {int64(2), "paid", "2024-02-01 09:00:00"},
		{int64(3), "paid", "2024-01-03 12:00:00"}, {int64(4), "new", "2024-02-02 10:00:00"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("orders_incr:\n got %#v\nwant %#v", got, want)
	}
	if got := m.rows("select count(*), count(distinct id) from main.orders_append"); !reflect.DeepEqual(got, [][]any{{int64(5), int64(4)}}) {
		t.Errorf("orders_append (append: 3 rows, then 2): %v", got)
	}

	// Third source: a column added (email), Cid back, order 2 again.
	m.exec(`alter table raw.customers add column email varchar`,
		`update raw.customers set email = 'ann@example.com' where id = 10`,
		`insert into raw.customers values (12, 'Cid', 'silver', null)`,
		`update raw.orders set amount = 21.0, updated_at = timestamp '2024-03-01 08:00:00' where id = 2`)
	res = m.build(buildOpts{clock: run3, command: "snapshot"})
	wantOK(t, res)
	if r := result(t, res, "customers_yaml"); r.Message != "snapshot: 4 new versions, 4 versions closed" {
		t.Errorf("customers_yaml after a column was added: %q", r.Message)
	}

	const versions = "select %s, cast(dbt_updated_at as varchar), cast(dbt_valid_from as varchar), cast(dbt_valid_to as varchar), dbt_scd_id from %s order by id, dbt_valid_from"
	q := func(cols, table string) [][]any {
		return m.rows(strings.NewReplacer("%s, ", cols+", ", "from %s", "from "+table).Replace(versions))
	}
	u1, u2, u2b, u3, u4 := "2024-01-01 10:00:00", "2024-01-02 11:00:00", "2024-02-01 09:00:00", "2024-01-03 12:00:00", "2024-02-02 10:00:00"
	u2c := "2024-03-01 08:00:00"
	if got, want := q("id, status", "snapshots.orders_snapshot"), [][]any{
		{int64(1), "new", u1, u1, nil, scd("1", u1)},
		{int64(2), "new", u2, u2, u2b, scd("2", u2)},
		{int64(2), "paid", u2b, u2b, u2c, scd("2", u2b)},
		{int64(2), "paid", u2c, u2c, nil, scd("2", u2c)},
		{int64(3), "paid", u3, u3, nil, scd("3", u3)}, // hard_deletes ignore: still current
		{int64(4), "new", u4, u4, nil, scd("4", u4)},
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("orders_snapshot (timestamp):\n got %v\nwant %v", got, want)
	}
	if got := q("id, status", "main_hist.orders_yaml"); len(got) != 6 || got[4][4] != t2 {
		t.Errorf("orders_yaml (invalidate): order 3 should be closed at the second run's clock: %v", got)
	}
	if got, want := q("id, tier", "main.customers_check"), [][]any{
		{int64(10), "gold", t1, t1, nil, scd("10", t1)},
		{int64(11), nil, t1, t1, t2, scd("11", t1)},
		{int64(11), "bronze", t2, t2, nil, scd("11", t2)},
		{int64(12), "silver", t1, t1, nil, scd("12", t1)}, // ignore: kept current, unchanged when back
		{int64(13), nil, t2, t2, nil, scd("13", t2)},
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("customers_check (check, name and tier):\n got %v\nwant %v", got, want)
	}
	// check_cols all with hard_deletes new_record: Cid's deletion record
	// hashes the version it closes; the added column is a change of
	// every key.
	cidDeleted := scd(scd("12", t1), t2)
	if got, want := q("id, email, dbt_is_deleted", "main.customers_yaml"), [][]any{
		{int64(10), nil, "False", t1, t1, t3, scd("10", t1)},
		{int64(10), "ann@example.com", "False", t3, t3, nil, scd("10", t3)},
		{int64(11), nil, "False", t1, t1, t2, scd("11", t1)},
		{int64(11), nil, "False", t2, t2, t3, scd("11", t2)},
		{int64(11), nil, "False", t3, t3, nil, scd("11", t3)},
		{int64(12), nil, "False", t1, t1, t2, scd("12", t1)},
		{int64(12), nil, "True", t2, t2, t3, cidDeleted},
		{int64(12), nil, "False", t3, t3, nil, scd("12", t3)},
		{int64(13), nil, "False", t2, t2, t3, scd("13", t2)},
		{int64(13), nil, "False", t3, t3, nil, scd("13", t3)},
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("customers_yaml (check all, new_record):\n got %v\nwant %v", got, want)
	}

	// run --full-refresh rebuilds the incremental models from the source
	// (order 3 is gone) and runs no snapshot.
	res = m.build(buildOpts{clock: clockAt(4, 8, 0), command: "run", fullRefresh: true})
	wantOK(t, res)
	if len(res.Results) != 2 {
		t.Errorf("run --full-refresh ran %d nodes, want the 2 models", len(res.Results))
	}
	if got := m.rows("select list(id order by id) from main.orders_incr"); !reflect.DeepEqual(got, [][]any{{[]any{int64(1), int64(2), int64(4)}}}) {
		t.Errorf("orders_incr after --full-refresh: %v", got)
	}
	if got := m.rows("select count(*) from snapshots.orders_snapshot"); !reflect.DeepEqual(got, [][]any{{int64(6)}}) {
		t.Errorf("run --full-refresh changed the snapshot: %v", got)
	}
}

// database and target_database may name the target's database (a
// dbt-duckdb project names its file's), and no other: kiln builds in one.
func TestDBTProjectOtherDatabase(t *testing.T) {
	m := &mini{t: t, dir: t.TempDir()}
	for p, text := range dbtShop {
		m.write(p, text)
	}
	m.write("snapshots/orders_snapshot.sql", strings.Replace(dbtShop["snapshots/orders_snapshot.sql"], "target_database='mini'", "target_database='warehouse'", 1))
	m.write("models/orders_incr.sql", "{{ config(materialized='table', database='MINI') }}\nselect 1 as id")
	t.Setenv("DBT_PROFILES_DIR", m.dir)
	if _, err := os.Stat(filepath.Join(m.dir, "project.yml")); err == nil {
		t.Fatal("the dbt project has a project.yml")
	}
	got := m.diagnostics()
	want := `snapshots/orders_snapshot.sql:2:54: config target_database "warehouse": another database than the target's is not supported yet`
	if !strings.Contains(got, want) || strings.Count(got, "\n") != 0 || !strings.Contains(got, `the target's database is "mini"`) {
		t.Errorf("diagnostics:\n%s\nwant one error, %s", got, want)
	}
}
