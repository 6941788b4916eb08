package duck

import (
	"context"
	"reflect"
	"testing"
)

func TestCatalog(t *testing.T) {
	_, c := openMem(t)
	ctx := context.Background()
	mustExec(t, c, `CREATE SCHEMA staging;
CREATE TABLE staging.orders AS SELECT range AS id, 1.5::DECIMAL(10,2) AS amount, ['a'] AS tags FROM range(4);
CREATE VIEW staging.big_orders AS SELECT id FROM staging.orders WHERE amount > 1;
CREATE TABLE main."Mixed Case" (x INT);
CREATE TEMP TABLE scratch (x INT);`)

	for _, tc := range []struct{ schema, name, want string }{
		{"staging", "orders", "table"},
		{"staging", "big_orders", "view"},
		{"STAGING", "Orders", "table"},
		{"", "Mixed Case", "table"},
		{"main", "orders", ""},
		{"", "scratch", ""},
		{"nosuch", "orders", ""},
	} {
		kind, err := c.RelationKind(ctx, tc.schema, tc.name)
		if err != nil || kind != tc.want {
			t.Errorf("RelationKind(%q, %q) = %q, %v; want %q", tc.schema, tc.name, kind, err, tc.want)
		}
	}
	cols, err := c.Columns(ctx, "staging", "orders")
	if err != nil {
		t.Fatal(err)
	}
	want := []Column{{"id", "BIGINT"}, {"amount", "DECIMAL(10,2)"}, {"tags", "VARCHAR[]"}}
	if !reflect.DeepEqual(cols, want) {
		t.Errorf("Columns = %v, want %v", cols, want)
	}
	if cols, err := c.Columns(ctx, "staging", "nosuch"); err != nil || len(cols) != 0 {
		t.Errorf("Columns(missing) = %v, %v", cols, err)
	}
	rels, err := c.Relations(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	wantRels := []RelationInfo{
		{Database: "memory", Schema: "main", Name: "Mixed Case", Kind: "table", Rows: 0, Columns: []Column{{"x", "INTEGER"}}},
		{Database: "memory", Schema: "staging", Name: "big_orders", Kind: "view", Rows: -1, Columns: []Column{{"id", "BIGINT"}}},
		{Database: "memory", Schema: "staging", Name: "orders", Kind: "table", Rows: 4, Columns: want},
	}
	if !reflect.DeepEqual(rels, wantRels) {
		t.Errorf("Relations =\n%+v\nwant\n%+v", rels, wantRels)
	}
	kinds, err := c.Relations(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range wantRels {
		wantRels[i].Columns = nil
	}
	if !reflect.DeepEqual(kinds, wantRels) {
		t.Errorf("Relations without columns =\n%+v\nwant\n%+v", kinds, wantRels)
	}
}
