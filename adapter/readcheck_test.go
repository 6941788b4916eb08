package adapter_test

import (
	"strings"
	"testing"

	"github.com/kiln-build/kiln/adapter"
)

// TestMatchRead: the names a read gives match a relation as DuckDB
// resolves them (any case; x.t also as catalog x's schema main) and as
// PostgreSQL does (exact after its parser's folding; x.t is a schema's
// only), with the current catalog shop and schema main.
func TestMatchRead(t *testing.T) {
	exact := func(a, b string) bool { return a == b }
	orders := adapter.Relation{Name: "orders"} // the current schema's
	marts := adapter.Relation{Database: "shop", Schema: "marts", Name: "orders"}
	other := adapter.Relation{Database: "lake", Schema: "main", Name: "orders"}
	cases := []struct {
		read       string
		rel        adapter.Relation
		duck, post bool
	}{
		{"..orders", orders, true, true},
		{"..ORDERS", orders, true, false},
		{".main.orders", orders, true, true},
		{"shop.main.orders", orders, true, true},
		{"Shop.Main.Orders", orders, true, false},
		{"..orders", marts, false, false},
		{".marts.orders", marts, true, true},
		{"shop.marts.orders", marts, true, true},
		{"lake.marts.orders", marts, false, false},
		{".lake.orders", other, true, false}, // catalog lake, its schema main: DuckDB's only
		{"lake.main.orders", other, true, true},
		{".main.orders", other, false, false},
		{"..customers", orders, false, false},
	}
	for _, tc := range cases {
		var read [3]string
		copy(read[:], strings.SplitN(tc.read, ".", 3))
		if got := adapter.MatchRead(read, tc.rel, "shop", "main", strings.EqualFold, "main"); got != tc.duck {
			t.Errorf("DuckDB: %s names %+v: %v, want %v", tc.read, tc.rel, got, tc.duck)
		}
		if got := adapter.MatchRead(read, tc.rel, "shop", "main", exact, ""); got != tc.post {
			t.Errorf("PostgreSQL: %s names %+v: %v, want %v", tc.read, tc.rel, got, tc.post)
		}
	}
}
