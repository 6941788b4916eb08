package diag

import "testing"

func TestDiagnosticFormat(t *testing.T) {
	d := Errorf(Pos{File: "models/a.sql", Line: 3, Col: 18}, "unknown model %q in ref()", "stg_order").WithHint("did you mean %q?", "stg_orders")
	want := `models/a.sql:3:18: unknown model "stg_order" in ref(); did you mean "stg_orders"?`
	if d.Error() != want {
		t.Fatalf("got %q, want %q", d.Error(), want)
	}
	if got := (Pos{File: "f.yml"}).String(); got != "f.yml" {
		t.Errorf("got %q", got)
	}
	if got := (Pos{File: "f.yml", Line: 2}).String(); got != "f.yml:2" {
		t.Errorf("got %q", got)
	}
}

func TestListSortAndErr(t *testing.T) {
	var l List
	l.Errorf(Pos{File: "b.sql", Line: 1, Col: 1}, "b")
	l.Errorf(Pos{File: "a.sql", Line: 9, Col: 1}, "a9")
	l.Errorf(Pos{File: "a.sql", Line: 2, Col: 5}, "a2")
	l.Errorf(Pos{File: "a.sql", Line: 2, Col: 5}, "a2")
	l.Warnf(Pos{File: "c.sql"}, "w")
	l.Sort()
	if len(l) != 4 {
		t.Fatalf("duplicates not dropped: %v", l)
	}
	want := "a.sql:2:5: a2\na.sql:9:1: a9\nb.sql:1:1: b\nc.sql: warning: w"
	if l.Error() != want {
		t.Fatalf("got\n%s\nwant\n%s", l.Error(), want)
	}
	if l.Err() == nil || len(l.Errors()) != 3 || len(l.Warnings()) != 1 {
		t.Fatal("error/warning split wrong")
	}
	var w List
	w.Warnf(Pos{}, "only a warning")
	if w.Err() != nil {
		t.Fatal("warnings alone must not be an error")
	}
}

func TestOffset(t *testing.T) {
	src := "ab\ncde\nf"
	for _, c := range []struct{ off, line, col int }{{0, 1, 1}, {1, 1, 2}, {3, 2, 1}, {5, 2, 3}, {7, 3, 1}} {
		l, col := Offset(src, c.off)
		if l != c.line || col != c.col {
			t.Errorf("Offset(%d) = %d:%d, want %d:%d", c.off, l, col, c.line, c.col)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	cands := []string{"stg_orders", "stg_customers", "orders", "revenue_by_product"}
	if got := DidYouMean("stg_order", cands); got != `did you mean "stg_orders"?` {
		t.Errorf("got %q", got)
	}
	if got := DidYouMean("zzzzzz", cands); got != "" {
		t.Errorf("got %q", got)
	}
	if got := DidYouMean("materialzed", []string{"materialized", "schema", "alias"}); got != `did you mean "materialized"?` {
		t.Errorf("got %q", got)
	}
}
