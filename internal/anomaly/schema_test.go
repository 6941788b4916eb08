package anomaly

import (
	"testing"
	"time"
)

func TestCompareSchema(t *testing.T) {
	prev := []Column{{"product_id", "BIGINT"}, {"colour", "VARCHAR"}, {"vintage", "BIGINT"}, {"price", "DECIMAL(18,2)"}}
	if d := CompareSchema(prev, prev); !d.Empty() || d.String() != "" {
		t.Errorf("no change: %+v %q", d, d.String())
	}
	// Case-insensitive names and types, as SQL identifiers.
	if d := CompareSchema(prev, []Column{{"PRODUCT_ID", "bigint"}, {"colour", "VARCHAR"}, {"vintage", "BIGINT"}, {"price", "decimal(18,2)"}}); !d.Empty() {
		t.Errorf("case: %s", d)
	}
	renamed := []Column{{"product_id", "BIGINT"}, {"color", "VARCHAR"}, {"vintage", "BIGINT"}, {"price", "DECIMAL(18,2)"}}
	if got := CompareSchema(prev, renamed).String(); got != `removed "colour" and added "color", both VARCHAR (renamed?)` {
		t.Errorf("rename: %s", got)
	}
	retyped := []Column{{"product_id", "BIGINT"}, {"colour", "VARCHAR"}, {"vintage", "VARCHAR"}, {"price", "DECIMAL(18,2)"}, {"region", "VARCHAR"}}
	d := CompareSchema(prev, retyped)
	if len(d.Added) != 1 || len(d.Retyped) != 1 || len(d.Removed) != 0 {
		t.Fatalf("%+v", d)
	}
	if got := d.String(); got != `added "region" VARCHAR; retyped "vintage" BIGINT -> VARCHAR` {
		t.Errorf("retype: %s", got)
	}
	if got := CompareSchema(prev, prev[:2]).String(); got != `removed "vintage" BIGINT; removed "price" DECIMAL(18,2)` {
		t.Errorf("removed: %s", got)
	}
}

func TestCheckFreshness(t *testing.T) {
	feb, _ := ParseMonth("2024-02")
	mar := feb + 1
	day := func(d int) time.Time { return time.Date(2024, 1, d, 8, 0, 0, 0, time.UTC) }
	accepted := []File{
		{Path: "erp.xlsx", SHA256: "aaa", ModTime: day(2), Month: feb - 1, Run: "run-jan-0001"},
		{Path: "erp.xlsx", SHA256: "bbb", ModTime: day(33), Month: feb, Run: "run-feb-0002"},
		{Path: "erp.xlsx", SHA256: "ccc", ModTime: day(62), Month: mar}, // the same month, run again: left out
	}
	o := DefaultFreshness
	now := day(63)
	if f := CheckFreshness(accepted, File{Path: "erp.xlsx", SHA256: "ccc", ModTime: day(62)}, mar, now, o); f.Verdict != Pass || f.Last.Month != feb {
		t.Errorf("a new file (and the month run again): %+v", f)
	}
	f := CheckFreshness(accepted, File{Path: "erp.xlsx", SHA256: "bbb", ModTime: day(33)}, mar, now, o)
	if f.Verdict != Anomaly || len(f.Broken) != 1 || f.Broken[0] != SameContent || f.Same.Month != feb {
		t.Fatalf("last month's file again: %+v", f)
	}
	if want := "erp.xlsx has the content of the file accepted for 2024-02 (run run-feb-): this month's export was not delivered"; f.Reasons[0] != want {
		t.Errorf("reason %q", f.Reasons[0])
	}
	if f := CheckFreshness(accepted, File{Path: "erp.xlsx", SHA256: "aaa", ModTime: day(2)}, mar, now, o); f.Same == nil || f.Same.Month != feb-1 {
		t.Errorf("January's file in March: %+v", f)
	}
	f = CheckFreshness(accepted, File{Path: "erp.xlsx", SHA256: "ddd", ModTime: day(20)}, mar, now, o)
	if f.Verdict != Anomaly || f.Broken[0] != NotNewer {
		t.Errorf("an older file: %+v", f)
	}
	f = CheckFreshness(accepted, File{Path: "erp.xlsx", SHA256: "eee", ModTime: day(40)}, mar, day(100), o)
	if f.Verdict != Anomaly || len(f.Broken) != 1 || f.Broken[0] != TooOld || f.Reasons[0] != "erp.xlsx was modified 2024-02-09 08:00 UTC, 60 days before the run: more than max_age_days (45)" {
		t.Errorf("a file 60 days old: %+v", f)
	}
	o.MaxAge = 0
	if f := CheckFreshness(accepted, File{Path: "erp.xlsx", SHA256: "eee", ModTime: day(40)}, mar, day(400), o); f.Verdict != Pass {
		t.Errorf("no age limit: %+v", f)
	}
	if f := CheckFreshness(nil, File{Path: "erp.xlsx", SHA256: "x", ModTime: day(1)}, feb, day(3), DefaultFreshness); f.Verdict != Pass || f.Last != nil {
		t.Errorf("the first month: %+v", f)
	}
}

// A month run again with the file it was accepted with passes, even when
// an earlier month has read (and accepted) that file since; a backfill
// that reads a later month's file is refused as a repeat is.
func TestCheckFreshnessBackfill(t *testing.T) {
	dec, _ := ParseMonth("2026-12")
	jun, _ := ParseMonth("2026-06")
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	file := File{Path: "erp.xlsx", SHA256: "fff", ModTime: now.Add(-time.Hour)}
	onlyDec := []File{{Path: "erp.xlsx", SHA256: "fff", ModTime: file.ModTime, Month: dec, Run: "run-dec-1"}}
	f := CheckFreshness(onlyDec, file, jun, now, DefaultFreshness)
	if f.Verdict != Anomaly || f.Broken[0] != SameContent || f.Same.Month != dec {
		t.Fatalf("June read December's file: %+v", f)
	}
	if f.Reasons[0] != "erp.xlsx has the content of the file accepted for 2026-12 (run run-dec-): this month's export was not delivered" {
		t.Errorf("reason %q", f.Reasons[0])
	}
	both := append(onlyDec, File{Path: "erp.xlsx", SHA256: "fff", ModTime: file.ModTime, Month: jun, Run: "run-jun-1"})
	if f := CheckFreshness(both, file, dec, now, DefaultFreshness); f.Verdict != Pass || f.Same != nil {
		t.Errorf("December run again with its own accepted file, after June accepted it too: %+v", f)
	}
	if f := CheckFreshness(both, File{Path: "erp.xlsx", SHA256: "fff", ModTime: file.ModTime}, jun+1, now, DefaultFreshness); f.Verdict != Anomaly || f.Same.Month != jun {
		t.Errorf("July read the file of June and December: %+v (want the nearest, June)", f)
	}
}

// Two files have the same content when their bytes or their cells do; a
// file recorded without cells is compared by its bytes. With MayRepeat,
// a file with another month's content passes, whatever its time; a new
// file is still held to the rules of time.
func TestCheckFreshnessCellsAndMayRepeat(t *testing.T) {
	feb, _ := ParseMonth("2024-02")
	day := func(d int) time.Time { return time.Date(2024, 1, d, 8, 0, 0, 0, time.UTC) }
	accepted := []File{
		{Path: "a/erp.xlsx", SHA256: "aaa", Cells: "kiln-cells-1:c1", ModTime: day(2), Month: feb - 1},
		{Path: "old/erp.xlsx", SHA256: "bbb", ModTime: day(1), Month: feb - 2}, // recorded without cells
	}
	now := day(40)
	resaved := File{Path: "b/erp.xlsx", SHA256: "zzz", Cells: "kiln-cells-1:c1", ModTime: day(33)}
	f := CheckFreshness(accepted, resaved, feb, now, DefaultFreshness)
	if f.Verdict != Anomaly || f.Broken[0] != SameContent || f.Same.Month != feb-1 {
		t.Errorf("January's cells in a file saved again: %+v", f)
	}
	if f := CheckFreshness(accepted, File{Path: "b/erp.xlsx", SHA256: "zzz", Cells: "kiln-cells-1:c2", ModTime: day(33)}, feb, now, DefaultFreshness); f.Verdict != Pass {
		t.Errorf("a cell changed: %+v", f)
	}
	if f := CheckFreshness(accepted, File{Path: "b/erp.xlsx", SHA256: "bbb", Cells: "kiln-cells-1:c3", ModTime: day(33)}, feb, now, DefaultFreshness); f.Verdict != Anomaly || f.Same.Month != feb-2 {
		t.Errorf("December's bytes, recorded without cells: %+v", f)
	}
	o := DefaultFreshness
	o.MayRepeat = true
	old := resaved
	old.ModTime = day(1) // not newer than January's, and 39 days old
	f = CheckFreshness(accepted, old, feb, day(100), o)
	if f.Verdict != Pass || !f.Repeat || f.Same.Month != feb-1 || len(f.Broken) != 0 {
		t.Errorf("may_repeat, January's content with its old time: %+v", f)
	}
	f = CheckFreshness(accepted, File{Path: "b/erp.xlsx", SHA256: "new", Cells: "kiln-cells-1:new", ModTime: day(1)}, feb, now, o)
	if f.Verdict != Anomaly || f.Repeat || f.Broken[0] != NotNewer {
		t.Errorf("may_repeat, a new file older than January's: %+v", f)
	}
}
