package adaptertest

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/adapter"
)

// testIncremental covers the statements of incremental models: temporary
// tables, inserts of columns, delete+insert, merge, schema changes, key
// checks and time ranges.
func testIncremental(t *testing.T, e *env) {
	c, d := e.c, e.d
	run(t, c, d.CreateSchema("inc"))
	target := adapter.Relation{Schema: "inc", Name: "target"}
	run(t, c, d.CreateTableAs(target, "select 1 as id, 'a' as v, 10 as n union all select 2, 'b', 20 union all select 3, 'c', 30"))
	all := func() [][]any { return rowsOf(t, c, d.SelectAll(target, "1")) }

	// A temporary table: replaced by a second creation, seen by name.
	q := "select 2 as id, 'B' as v, 21 as n union all select 4, 'd', 40"
	s := d.CreateTempTableAs("inc_new", "select 0 as id")
	run(t, c, s)
	s = d.CreateTempTableAs("inc_new", q)
	checkBody(t, "CreateTempTableAs", s, q)
	if n := run(t, c, s); n != 2 || !s.CountRows {
		t.Fatalf("CreateTempTableAs: %d rows (CountRows %v), want 2", n, s.CountRows)
	}
	tmp := d.TempRelation("inc_new")
	if n := count(t, c, d.CountRows(d.QuoteRelation(tmp))); n != 2 {
		t.Fatalf("the temporary table holds %d rows, want 2", n)
	}
	if rels, err := c.Relations(ctx, false); err != nil {
		t.Fatal(err)
	} else {
		for _, r := range rels {
			if r.Name == "inc_new" {
				t.Errorf("Relations lists the temporary table %v", r)
			}
		}
	}

	// Keys: none NULL, none duplicated, then a duplicate and a NULL.
	if got := rowsOf(t, c, d.NullKey(tmp, []string{"id"})); len(got) != 0 {
		t.Errorf("NullKey found %v in keys without NULL", got)
	}
	if got := rowsOf(t, c, d.DuplicateKey(tmp, []string{"id", "v"})); len(got) != 0 {
		t.Errorf("DuplicateKey found %v in unique keys", got)
	}
	dup := d.TempRelation("inc_dup")
	run(t, c, d.CreateTempTableAs("inc_dup", "select 5 as id, 'x' as v union all select 5, 'x' union all select 5, 'x' union all select 6, null union all select 6, null"))
	if got := rowsOf(t, c, d.DuplicateKey(dup, []string{"id", "v"})); !reflect.DeepEqual(got, [][]any{{int64(5), "x", int64(3)}}) {
		t.Errorf("DuplicateKey: %v, want [[5 x 3]]", got)
	}
	if got := rowsOf(t, c, d.NullKey(dup, []string{"id", "v"})); !reflect.DeepEqual(got, [][]any{{int64(6), nil}}) {
		t.Errorf("NullKey: %v, want [[6 <nil>]]", got)
	}

	// delete+insert: the rows whose key is in the new rows, and that meet
	// the predicate, are replaced.
	if n := run(t, c, d.DeleteMatching(target, tmp, []string{"id"}, []string{"n < 100"})); n != 1 {
		t.Errorf("DeleteMatching: %d rows, want 1", n)
	}
	if n := run(t, c, d.InsertColumns(target, tmp, []string{"id", "v", "n"}, "")); n != 2 {
		t.Errorf("InsertColumns: %d rows, want 2", n)
	}
	want := [][]any{{int64(1), "a", int64(10)}, {int64(2), "B", int64(21)}, {int64(3), "c", int64(30)}, {int64(4), "d", int64(40)}}
	if got := all(); !reflect.DeepEqual(got, want) {
		t.Errorf("after delete+insert: %v, want %v", got, want)
	}
	// A predicate that holds for no row deletes nothing.
	if n := run(t, c, d.DeleteMatching(target, tmp, []string{"id", "v"}, []string{"n > 1000", "1 = 1"})); n != 0 {
		t.Errorf("DeleteMatching with a false predicate: %d rows, want 0", n)
	}

	// delete+insert with a unique_key list, as dbt writes it: the
	// relations joined on the keys, both in the predicates' scope. A
	// column of both, unqualified, is ambiguous: an error of the
	// database, as in dbt (dbt-adapters issue 230), not a predicate on
	// one of them; a predicate naming the new rows' relation deletes by
	// its values.
	s = d.DeleteJoined(target, tmp, []string{"id"}, []string{"n > 0"})
	var de *adapter.Error
	if _, err := c.Run(ctx, s); !errors.As(err, &de) || de.Class != adapter.Semantic {
		t.Errorf("DeleteJoined with an unqualified column of both relations: %v, want a semantic *adapter.Error\n%s", err, s.SQL)
	}
	if n := run(t, c, d.DeleteJoined(target, tmp, []string{"id", "v"}, []string{"1 = 0"})); n != 0 {
		t.Errorf("DeleteJoined with a false predicate: %d rows, want 0", n)
	}
	if n := run(t, c, d.DeleteJoined(target, tmp, []string{"id"}, []string{d.QuoteRelation(tmp) + ".n >= 40"})); n != 1 {
		t.Errorf("DeleteJoined: %d rows, want 1 (id 4)", n)
	}
	if n := run(t, c, d.InsertColumns(target, tmp, []string{"id", "v", "n"}, "id = 4")); n != 1 {
		t.Errorf("InsertColumns where id = 4: %d rows, want 1", n)
	}
	if got := all(); !reflect.DeepEqual(got, want) {
		t.Errorf("after DeleteJoined and its rows inserted again: %v, want %v", got, want)
	}

	// Keys as written, as dbt writes unique_key: an expression of the
	// columns is a key.
	if n := run(t, c, d.DeleteMatching(target, tmp, []string{"id * 10"}, []string{"n > 30"})); n != 1 {
		t.Errorf("DeleteMatching on the key id * 10: %d rows, want 1 (id 4)", n)
	}
	run(t, c, d.InsertColumns(target, tmp, []string{"id", "v", "n"}, "id = 4"))
	// delete+insert without unique_key, where the adapter's dbt deletes
	// the rows that meet the predicates (DBT_INTERNAL_DEST and
	// DBT_INTERNAL_SOURCE naming the relations); a zero Stmt where it
	// deletes nothing.
	s = d.DeletePredicates(target, tmp, []string{"DBT_INTERNAL_DEST.n >= (select min(n) from DBT_INTERNAL_SOURCE)", "DBT_INTERNAL_DEST.n < 30"})
	if s.SQL != "" {
		if n := run(t, c, s); n != 1 {
			t.Errorf("DeletePredicates: %d rows, want 1 (id 2)\n%s", n, s.SQL)
		}
		run(t, c, d.InsertColumns(target, tmp, []string{"id", "v", "n"}, "id = 2"))
	}
	if got := all(); !reflect.DeepEqual(got, want) {
		t.Errorf("after keys as written and DeletePredicates: %v, want %v", got, want)
	}

	// merge: matched rows updated (only the update columns), others
	// inserted; a predicate on the target limits the matches.
	run(t, c, d.CreateTempTableAs("inc_upd", "select 1 as id, 'A' as v, 11 as n union all select 4, 'D', 41 union all select 7, 'g', 70"))
	upd := d.TempRelation("inc_upd")
	pred := "DBT_INTERNAL_DEST.n < 40"
	if n := run(t, c, d.Merge(target, upd, []string{"id"}, []string{"v"}, []string{"id", "v", "n"}, []string{pred})); n != 3 {
		t.Errorf("Merge: %d rows, want 3 (one updated, two inserted)", n)
	}
	want = [][]any{{int64(1), "A", int64(10)}, {int64(2), "B", int64(21)}, {int64(3), "c", int64(30)},
		{int64(4), "D", int64(41)}, {int64(4), "d", int64(40)}, {int64(7), "g", int64(70)}}
	if got := rowsOf(t, c, d.SelectAll(target, "1, 2")); !reflect.DeepEqual(got, want) {
		t.Errorf("after Merge: %v, want %v", got, want)
	}
	run(t, c, d.DeleteWhere(target, "id = 4"))
	// Without keys, merge inserts every row.
	if n := run(t, c, d.Merge(target, upd, nil, []string{"v"}, []string{"id", "v"}, nil)); n != 3 {
		t.Errorf("Merge without keys: %d rows, want 3", n)
	}
	if n := count(t, c, d.CountRows(d.QuoteRelation(target))+" where n is null"); n != 3 {
		t.Errorf("Merge without keys inserted %d rows with n NULL, want 3", n)
	}
	if n := run(t, c, d.DeleteWhere(target, "n is null")); n != 3 {
		t.Errorf("DeleteWhere: %d rows, want 3", n)
	}

	// Schema changes: add, retype, drop.
	run(t, c, d.AddColumns(target, []adapter.Column{{Name: "extra", Type: "varchar"}}))
	types, err := c.NormalizeTypes(ctx, []string{"varchar", "bigint"})
	if err != nil {
		t.Fatal(err)
	}
	run(t, c, d.AlterColumnTypes(target, []adapter.Column{{Name: "n", Type: types[0]}}))
	run(t, c, d.DropColumns(target, []string{"v"}))
	cols, err := c.Columns(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 3 || cols[0].Name != "id" || cols[1].Name != "n" || cols[1].Type != types[0] || cols[2].Name != "extra" {
		t.Errorf("after AddColumns, AlterColumnTypes, DropColumns: %v", cols)
	}
	if got := rowsOf(t, c, "select n from "+d.QuoteRelation(target)+" where id = 7"); !reflect.DeepEqual(got, [][]any{{"70"}}) {
		t.Errorf("the retyped column holds %v, want [[70]]", got)
	}

	// Time ranges: the same instant compares equal in a TIMESTAMP, a
	// TIMESTAMPTZ and a DATE column, whatever the session time zone.
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	tz := adapter.Relation{Schema: "inc", Name: "times"}
	run(t, c, d.CreateTableAs(tz, "select cast('2024-02-29 23:59:59.999999' as timestamp) as ts, cast('2024-02-29' as date) as dt"+
		" union all select cast('2024-03-01' as timestamp), cast('2024-03-01' as date)"+
		" union all select cast('2024-03-31 23:59:59.999999' as timestamp), cast('2024-03-31' as date)"+
		" union all select cast('2024-04-01' as timestamp), cast('2024-04-01' as date)"))
	run(t, c, d.AddColumns(tz, []adapter.Column{{Name: "tstz", Type: "timestamp with time zone"}}))
	exec(t, c, "update "+d.QuoteRelation(tz)+" set tstz = cast(cast(ts as varchar) || '+00' as timestamp with time zone)")
	exec(t, c, "SET TimeZone = 'Asia/Tokyo'")
	defer exec(t, c, "SET TimeZone = 'UTC'")
	cols, err = c.Columns(ctx, tz)
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range cols {
		if n := count(t, c, d.CountRows(d.QuoteRelation(tz))+" where "+d.TimeRange(col.Name, col.Type, start, end)); n != 2 {
			t.Errorf("TimeRange over %s (%s): %d rows, want 2", col.Name, col.Type, n)
		}
	}
	zoned := d.TimeLiteral(start, "TIMESTAMP WITH TIME ZONE")
	if got := rowsOf(t, c, "select cast("+zoned+" as varchar) = cast(cast('2024-03-01 00:00:00+00' as timestamp with time zone) as varchar)"); got[0][0] != true {
		t.Errorf("TimeLiteral(zoned) = %s is not the instant 2024-03-01 00:00 UTC: %v", zoned, got)
	}
	if lit := d.TimeLiteral(time.Date(2024, 3, 1, 1, 2, 3, 4000, time.FixedZone("x", 3600)), "TIMESTAMP"); !strings.Contains(lit, "2024-03-01 00:02:03.000004") {
		t.Errorf("TimeLiteral does not write the UTC wall clock with microseconds: %s", lit)
	}

	// RowsDigest: the same rows in another order digest alike; a changed
	// value, or one more copy of a row, digests otherwise.
	digest := func(q string) string {
		r := rowsOf(t, c, d.RowsDigest(q))
		if len(r) != 1 || len(r[0]) != 1 {
			t.Fatalf("RowsDigest(%s) returned %v", q, r)
		}
		return r[0][0].(string)
	}
	a := digest("select 1 as id, 'x' as v union all select 2, null")
	if b := digest("select 2 as id, null as v union all select 1, 'x'"); a != b {
		t.Errorf("RowsDigest depends on the order of rows: %s, %s", a, b)
	}
	for _, q := range []string{"select 1 as id, 'y' as v union all select 2, null", "select 1 as id, 'x' as v union all select 2, 'z'",
		"select 1 as id, 'x' as v union all select 2, null union all select 2, null"} {
		if b := digest(q); a == b {
			t.Errorf("RowsDigest does not tell %s from the first rows: %s", q, b)
		}
	}
	if e := digest("select 1 as id where 1 = 0"); e == a || e == "" {
		t.Errorf("RowsDigest of no rows: %q", e)
	}
}
