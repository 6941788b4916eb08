package sample

import (
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// TestGenerateMonths: the last month is Generate's month cell for cell;
// each month's figures are those its cells give (recomputed by reading the
// files back); the months differ as documented: a few prices and stock
// statuses, a new joined product and a product gone in the last month.
func TestGenerateMonths(t *testing.T) {
	dir := t.TempDir()
	ms, err := GenerateMonths(dir, DefaultConfig(), DefaultMonths)
	if err != nil {
		t.Fatal(err)
	}
	single, e := generate(t, DefaultConfig())
	last := ms[len(ms)-1]
	if last.Expected != e || last.Name != "2020-08" {
		t.Errorf("the last month %s differs from Generate's:\n%+v\n%+v", last.Name, last.Expected, e)
	}
	if !reflect.DeepEqual(allRows(t, filepath.Join(dir, last.Name)), allRows(t, single)) {
		t.Error("the last month's cells differ from Generate's")
	}
	for i, m := range ms {
		checkConsistent(t, m.Expected)
		rows := allRows(t, filepath.Join(dir, m.Name))
		if got := tallyOf(rows); got != m.Expected {
			t.Errorf("%s: figures read back %+v, want %+v", m.Name, got, m.Expected)
		}
		erp := rows[ERPFile+"/"+SheetName][1:]
		if len(erp) != len(m.ERP) {
			t.Errorf("%s: %d ERP rows, ERP map of %d", m.Name, len(erp), len(m.ERP))
		}
		for _, r := range erp {
			price, _ := strconv.ParseFloat(r[2], 64)
			if p := m.ERP[r[0]]; float64(p.PriceCents) != price*100 && int64(price*100+0.5) != p.PriceCents || p.Status != r[4] {
				t.Errorf("%s: product %s is %v in the map, %s %s in the file", m.Name, r[0], p, r[2], r[4])
			}
		}
		if i == 0 {
			continue
		}
		prev := ms[i-1]
		var price, stock, added, gone int
		for id, p := range m.ERP {
			q, ok := prev.ERP[id]
			switch {
			case !ok:
				added++
			case q.PriceCents != p.PriceCents:
				price++
			}
			if ok && q.Status != p.Status {
				stock++
			}
		}
		for id := range prev.ERP {
			if _, ok := m.ERP[id]; !ok {
				gone++
			}
		}
		if price < 1 || stock < 1 {
			t.Errorf("%s: %d price and %d stock changes, want some of each", m.Name, price, stock)
		}
		wantNew := 0
		if i == len(ms)-1 {
			wantNew = 1
		}
		if added != wantNew || gone != wantNew {
			t.Errorf("%s: %d products new and %d gone, want %d", m.Name, added, gone, wantNew)
		}
		if m.Expected.TotalRevenueCents == prev.Expected.TotalRevenueCents {
			t.Errorf("%s: the revenue did not move", m.Name)
		}
	}
	if ms[0].Expected.Joined != e.Joined-1 || ms[0].Expected.ERPProducts != e.ERPProducts {
		t.Errorf("first month: %d joined, %d ERP products; the last has %d and %d", ms[0].Expected.Joined, ms[0].Expected.ERPProducts, e.Joined, e.ERPProducts)
	}
}

func TestGenerateMonthsErrors(t *testing.T) {
	for _, names := range [][]string{nil, {"2020-13"}, {"2020-8"}} {
		if _, err := GenerateMonths(t.TempDir(), DefaultConfig(), names); err == nil {
			t.Errorf("GenerateMonths(%q) = nil error", names)
		}
	}
}
