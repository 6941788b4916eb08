package engine_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/run"
)

const rawSource = `sources:
  - name: raw
    schema: raw
    tables:
      - name: orders
`

// orders creates the raw source table with rows (id, status, amount,
// updated_at as a day number).
func (m *mini) orders(rows string) {
	m.exec("create schema if not exists raw",
		"create or replace table raw.orders as select * from (values "+rows+") as t(id, status, amount, updated)")
}

func incModel(config, body string) string {
	return "{{ config(materialized='incremental'" + config + ") }}\n" + body
}

const changedRows = `select id, status, amount, updated from {{ source('raw', 'orders') }}
{% if is_incremental() %}where updated > (select max(updated) from {{ this }}){% endif %}`

// is_incremental() is false on the first build and true once the table
// exists: append adds only the rows the incremental branch selects.
func TestIncrementalAppend(t *testing.T) {
	m := newMini(t, map[string]string{"models/src.yml": rawSource, "models/events.sql": incModel(", incremental_strategy='append'", changedRows)})
	m.orders("(1, 'new', 10, 1), (2, 'new', 20, 1)")
	res := m.build(buildOpts{})
	wantOK(t, res)
	if r := result(t, res, "events"); r.Rows != 2 || !strings.Contains(r.Message, "built whole") {
		t.Errorf("first build: %d rows, %q", r.Rows, r.Message)
	}
	m.orders("(1, 'new', 10, 1), (2, 'new', 20, 1), (1, 'paid', 11, 2), (3, 'new', 30, 2)")
	res = m.build(buildOpts{})
	wantOK(t, res)
	if r := result(t, res, "events"); r.Rows != 2 || !strings.Contains(r.Message, "append: 2 new rows") {
		t.Errorf("second build: %d rows, %q", r.Rows, r.Message)
	}
	want := [][]any{{int64(1), "new", int64(10), int64(1)}, {int64(1), "paid", int64(11), int64(2)}, {int64(2), "new", int64(20), int64(1)}, {int64(3), "new", int64(30), int64(2)}}
	if got := m.rows("select * from main.events order by id, updated"); !reflect.DeepEqual(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	// Nothing new: nothing added.
	res = m.build(buildOpts{})
	wantOK(t, res)
	if got := m.rows("select count(*) from main.events"); got[0][0] != int64(4) {
		t.Errorf("a build without new rows left %v rows, want 4", got[0][0])
	}
}

// delete+insert (the default with a unique_key) and merge replace the
// rows whose key is in the new rows; merge updates only the update
// columns, and incremental_predicates limit what is replaced.
func TestIncrementalDeleteInsertAndMerge(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml":      rawSource,
		"models/di.sql":       incModel(", unique_key='id'", changedRows),
		"models/mg.sql":       incModel(", incremental_strategy='merge', unique_key=['id'], merge_exclude_columns=['amount']", changedRows),
		"models/pred.sql":     incModel(", incremental_strategy='merge', unique_key='id', incremental_predicates=['DBT_INTERNAL_DEST.amount < 15']", changedRows),
		"models/di_pred.sql":  incModel(", incremental_strategy='delete+insert', unique_key='id', incremental_predicates=['amount < 15']", changedRows),
		"models/mg_multi.sql": incModel(", incremental_strategy='merge', unique_key=['id', 'status']", changedRows),
	})
	m.orders("(1, 'new', 10, 1), (2, 'new', 20, 1)")
	wantOK(t, m.build(buildOpts{}))
	m.orders("(1, 'paid', 11, 2), (2, 'paid', 21, 2), (3, 'new', 30, 2)")
	res := m.build(buildOpts{})
	wantOK(t, res)
	if r := result(t, res, "di"); !strings.Contains(r.Message, "delete+insert: 3 new rows, 2 replaced") {
		t.Errorf("delete+insert: %q", r.Message)
	}
	for _, tc := range []struct {
		model string
		want  [][]any
	}{
		{"di", [][]any{{int64(1), "paid", int64(11), int64(2)}, {int64(2), "paid", int64(21), int64(2)}, {int64(3), "new", int64(30), int64(2)}}},
		// merge_exclude_columns keeps the old amount of updated rows.
		{"mg", [][]any{{int64(1), "paid", int64(10), int64(2)}, {int64(2), "paid", int64(20), int64(2)}, {int64(3), "new", int64(30), int64(2)}}},
		// Only the target rows with amount < 15 match: id 2 is inserted again.
		{"pred", [][]any{{int64(1), "paid", int64(11), int64(2)}, {int64(2), "new", int64(20), int64(1)}, {int64(2), "paid", int64(21), int64(2)}, {int64(3), "new", int64(30), int64(2)}}},
		{"di_pred", [][]any{{int64(1), "paid", int64(11), int64(2)}, {int64(2), "new", int64(20), int64(1)}, {int64(2), "paid", int64(21), int64(2)}, {int64(3), "new", int64(30), int64(2)}}},
		// A key of two columns: (1, paid) is not (1, new).
		{"mg_multi", [][]any{{int64(1), "new", int64(10), int64(1)}, {int64(1), "paid", int64(11), int64(2)}, {int64(2), "new", int64(20), int64(1)}, {int64(2), "paid", int64(21), int64(2)}, {int64(3), "new", int64(30), int64(2)}}},
	} {
		if got := m.rows("select * from main." + tc.model + " order by id, updated"); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.model, got, tc.want)
		}
	}
}

// A duplicate or NULL unique_key in the new rows is an error naming the
// model, the key and a value, before anything is written: the table and
// the other models are as they were.
func TestIncrementalKeyChecks(t *testing.T) {
	m := newMini(t, map[string]string{"models/src.yml": rawSource, "models/di.sql": incModel(", unique_key=['id', 'status']", changedRows)})
	m.orders("(1, 'new', 10, 1)")
	wantOK(t, m.build(buildOpts{}))
	before := m.rows("select * from main.di order by all")
	for _, tc := range []struct{ rows, want string }{
		{"(1, 'new', 10, 1), (2, 'new', 20, 2), (2, 'new', 21, 2)", `model "di": unique_key (id, status) is not unique: id = 2, status = 'new' is in 2 rows; nothing was written`},
		{"(1, 'new', 10, 1), (3, null, 20, 2)", `model "di": unique_key (id, status) is NULL in a row (id = 3, status = NULL); nothing was written`},
	} {
		m.orders(tc.rows)
		res := m.build(buildOpts{})
		r := result(t, res, "di")
		if r.Status != run.Error || !strings.Contains(r.Message, tc.want) {
			t.Errorf("%s: %s %q, want an error with %q", tc.rows, r.Status, r.Message, tc.want)
		}
		if got := m.rows("select * from main.di order by all"); !reflect.DeepEqual(got, before) {
			t.Errorf("%s: the table changed to %v", tc.rows, got)
		}
	}
	// The first build checks the keys too: a full refresh with duplicates
	// keeps the table.
	m.orders("(5, 'x', 1, 1), (5, 'x', 2, 1)")
	res := m.build(buildOpts{fullRefresh: true})
	if r := result(t, res, "di"); r.Status != run.Error || !strings.Contains(r.Message, "id = 5, status = 'x' is in 2 rows") {
		t.Errorf("full refresh with duplicates: %s %q", r.Status, r.Message)
	}
	if got := m.rows("select * from main.di order by all"); !reflect.DeepEqual(got, before) {
		t.Errorf("the failed full refresh changed the table to %v", got)
	}
}

// --full-refresh rebuilds an incremental model whole, unless its config
// says full_refresh: false; full_refresh: true rebuilds it every run.
func TestIncrementalFullRefresh(t *testing.T) {
	m := newMini(t, map[string]string{
		"models/src.yml":  rawSource,
		"models/keep.sql": incModel(", incremental_strategy='append', full_refresh=false", changedRows),
		"models/flag.sql": incModel(", incremental_strategy='append'", changedRows),
		"models/always.sql": incModel(", incremental_strategy='append', full_refresh=true",
			"select id, status, amount, updated from {{ source('raw', 'orders') }}"),
	})
	m.orders("(1, 'new', 10, 1)")
	wantOK(t, m.build(buildOpts{}))
	m.exec("delete from main.keep", "delete from main.flag")
	m.orders("(1, 'new', 10, 1), (2, 'new', 20, 2)")
	wantOK(t, m.build(buildOpts{fullRefresh: true}))
	for model, want := range map[string]int64{"keep": 0, "flag": 2, "always": 2} {
		if got := m.rows("select count(*) from main." + model); got[0][0] != want {
			t.Errorf("after --full-refresh, %s has %v rows, want %d", model, got[0][0], want)
		}
	}
	wantOK(t, m.build(buildOpts{}))
	if got := m.rows("select count(*) from main.always"); got[0][0] != int64(2) {
		t.Errorf("full_refresh: true appended instead of rebuilding: %v rows", got[0][0])
	}
}

// A view in the model's place is replaced by a table built whole: it is
// not incremental.
func TestIncrementalOverAView(t *testing.T) {
	m := newMini(t, map[string]string{"models/src.yml": rawSource, "models/x.sql": incModel(", incremental_strategy='append'", changedRows)})
	m.orders("(1, 'new', 10, 1), (2, 'new', 20, 2)")
	m.exec("create view main.x as select 1 as id")
	res := m.build(buildOpts{})
	wantOK(t, res)
	if r := result(t, res, "x"); !strings.Contains(r.Message, "built whole: 2 rows") {
		t.Errorf("over a view: %q", r.Message)
	}
	if got := m.rows("select table_type from information_schema.tables where table_name = 'x'"); got[0][0] != "BASE TABLE" {
		t.Errorf("x is a %v", got[0][0])
	}
}

// on_schema_change: ignore writes the table's columns (and says which
// column the new rows lack), fail refuses any change, append_new_columns
// adds columns and keeps removed ones (NULL in new rows),
// sync_all_columns adds, drops and retypes.
func TestIncrementalSchemaChange(t *testing.T) {
	model := func(mode string) string {
		return incModel(", incremental_strategy='append', on_schema_change='"+mode+"'",
			`select id, {{ var('cols', 'status, amount') }} from {{ source('raw', 'orders') }}
{% if is_incremental() %}where updated > (select max(updated) from raw.seen){% endif %}`)
	}
	m := newMini(t, map[string]string{"models/src.yml": rawSource,
		"models/ig.sql": model("ignore"), "models/fa.sql": model("fail"),
		"models/ap.sql": model("append_new_columns"), "models/sy.sql": model("sync_all_columns")})
	m.orders("(1, 'new', 10, 1)")
	m.exec("create table raw.seen as select 1 as updated")
	wantOK(t, m.build(buildOpts{}))
	m.orders("(1, 'new', 10, 1), (2, 'paid', 20, 2)")
	// amount becomes a text, status goes, note comes.
	res := m.build(buildOpts{vars: map[string]any{"cols": "cast(amount as varchar) as amount, 'n' || id as note"}})
	cols := func(model string) [][]any {
		return m.rows("select column_name, data_type from information_schema.columns where table_name = '" + model + "' order by ordinal_position")
	}
	if r := result(t, res, "ig"); r.Status != run.Error || !strings.Contains(r.Message, `the new rows lack the column "status" of its table (on_schema_change: ignore`) {
		t.Errorf("ignore: %s %q", r.Status, r.Message)
	}
	if r := result(t, res, "fa"); r.Status != run.Error || !strings.Contains(r.Message, `differ from its table's (new column "note" (VARCHAR); column "status" is no longer in the model's query; column "amount" is now VARCHAR) and on_schema_change is fail`) {
		t.Errorf("fail: %s %q", r.Status, r.Message)
	}
	if r := result(t, res, "ap"); r.Status != run.Success {
		t.Errorf("append_new_columns: %s %q", r.Status, r.Message)
	}
	if r := result(t, res, "sy"); r.Status != run.Success {
		t.Errorf("sync_all_columns: %s %q", r.Status, r.Message)
	}
	// The run failed, so it rolled back: the tables are as they were.
	if got := cols("ap"); !reflect.DeepEqual(got, [][]any{{"id", "INTEGER"}, {"status", "VARCHAR"}, {"amount", "INTEGER"}}) {
		t.Errorf("the failed run changed ap's columns: %v", got)
	}
	// Alone, the two that succeed change their tables.
	res = m.build(buildOpts{vars: map[string]any{"cols": "cast(amount as varchar) as amount, 'n' || id as note"}, selectArgs: []string{"ap", "sy"}})
	wantOK(t, res)
	if r := result(t, res, "sy"); !strings.Contains(r.Message, `columns: new column "note" (VARCHAR); column "status" is no longer in the model's query (dropped); column "amount" is now VARCHAR`) {
		t.Errorf("sync_all_columns: %q", r.Message)
	}
	if got := cols("ap"); !reflect.DeepEqual(got, [][]any{{"id", "INTEGER"}, {"status", "VARCHAR"}, {"amount", "INTEGER"}, {"note", "VARCHAR"}}) {
		t.Errorf("append_new_columns: columns %v", got)
	}
	if got := m.rows("select * from main.ap order by id"); !reflect.DeepEqual(got, [][]any{{int64(1), "new", int64(10), nil}, {int64(2), nil, int64(20), "n2"}}) {
		t.Errorf("append_new_columns: rows %v", got)
	}
	if got := cols("sy"); !reflect.DeepEqual(got, [][]any{{"id", "INTEGER"}, {"amount", "VARCHAR"}, {"note", "VARCHAR"}}) {
		t.Errorf("sync_all_columns: columns %v", got)
	}
	if got := m.rows("select * from main.sy order by id"); !reflect.DeepEqual(got, [][]any{{int64(1), "10", nil}, {int64(2), "20", "n2"}}) {
		t.Errorf("sync_all_columns: rows %v", got)
	}
}

// A run that fails after an incremental model changed its table puts the
// table back exactly: the journal copied it before the change.
func TestIncrementalRollback(t *testing.T) {
	m := newMini(t, map[string]string{"models/src.yml": rawSource,
		"models/mg.sql":    incModel(", incremental_strategy='merge', unique_key='id'", changedRows),
		"models/later.sql": "{{ config(materialized='table') }}\nselect case when {{ var('fail', 0) }} = 1 then error('boom') end as x from {{ ref('mg') }}",
	})
	m.orders("(1, 'new', 10, 1), (2, 'new', 20, 1)")
	wantOK(t, m.build(buildOpts{}))
	before := m.rows("select * from main.mg order by all")
	m.orders("(1, 'paid', 11, 2), (3, 'new', 30, 2)")
	res := m.build(buildOpts{vars: map[string]any{"fail": 1}})
	if r := result(t, res, "mg"); r.Status != run.Success {
		t.Fatalf("mg: %s %s", r.Status, r.Message)
	}
	if !res.Failed || !res.RolledBack {
		t.Fatalf("the run did not fail and roll back: %+v", res)
	}
	if got := m.rows("select * from main.mg order by all"); !reflect.DeepEqual(got, before) {
		t.Errorf("after the rollback mg = %v, want %v", got, before)
	}
	if got := m.rows("select count(*) from information_schema.tables where table_name like '%kiln%'"); got[0][0] != int64(0) {
		t.Errorf("the rollback left %v kiln tables behind", got[0][0])
	}
	wantOK(t, m.build(buildOpts{}))
	if got := m.rows("select count(*), cast(sum(amount) as bigint) from main.mg"); !reflect.DeepEqual(got, [][]any{{int64(3), int64(61)}}) {
		t.Errorf("the next build: %v", got)
	}
}

// on_schema_change: fail on a model with full_refresh: false: the hint
// does not send the user to --full-refresh, which the model ignores (the
// same error again), but says full_refresh: false is set and what to do;
// --full-refresh indeed gives the same error, and full_refresh: true
// rebuilds it.
func TestSchemaChangeHintWithFullRefreshFalse(t *testing.T) {
	model := func(fr string) string {
		return incModel(", incremental_strategy='append', on_schema_change='fail'"+fr,
			`select id, {{ var('cols', 'status') }} from {{ source('raw', 'orders') }}`)
	}
	m := newMini(t, map[string]string{"models/src.yml": rawSource, "models/kept.sql": model(", full_refresh=false"), "models/free.sql": model("")})
	m.orders("(1, 'new', 10, 1)")
	wantOK(t, m.build(buildOpts{}))
	vars := map[string]any{"cols": "status, amount"}
	for _, full := range []bool{false, true} {
		res := m.build(buildOpts{vars: vars, fullRefresh: full})
		r := result(t, res, "kept")
		if r.Status != run.Error || !strings.Contains(r.Message, "on_schema_change is fail; rebuild it: it sets full_refresh: false, which makes kiln ignore --full-refresh (as dbt does), so set full_refresh: true for one run") ||
			strings.Contains(r.Message, "rebuild it with --full-refresh") {
			t.Errorf("full_refresh: false (--full-refresh %v): %s %q", full, r.Status, r.Message)
		}
		if f := result(t, res, "free"); !full && (f.Status != run.Error || !strings.Contains(f.Message, "on_schema_change is fail; rebuild it with --full-refresh, or set")) {
			t.Errorf("without full_refresh: %s %q", f.Status, f.Message)
		}
	}
	m.write("models/kept.sql", model(", full_refresh=true"))
	wantOK(t, m.build(buildOpts{vars: vars, selectArgs: []string{"kept"}}))
	if got := m.rows("select count(*) from information_schema.columns where table_name = 'kept'"); got[0][0] != int64(3) {
		t.Errorf("kept has %v columns after full_refresh: true, want 3", got[0][0])
	}
}
