package execute

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb"
)

// TestFirstFailingRowsInOrder: the failing rows a test prints are the
// first in the order of their columns' text, whatever order the audit
// table holds them in (a group by leaves it open), on a real DuckDB
// file; a json column, which PostgreSQL cannot order, is ordered as text.
func TestFirstFailingRowsInOrder(t *testing.T) {
	ctx := context.Background()
	a, err := duckdb.Open(ctx, filepath.Join(t.TempDir(), "rows.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	conn, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Stored in descending order: an unordered read shows 9, 8, 7 first.
	if _, err := conn.Exec(ctx, `create table audit_rows as
		select i as id, i * 10 as n, json_object('k', i) as j from range(9, 0, -1) t(i)`); err != nil {
		t.Fatal(err)
	}
	e := &Executor{d: duckdb.Dialect{}}
	got := e.firstFailingRows(ctx, conn, adapter.Relation{Schema: "main", Name: "audit_rows"})
	want := `{id=1, n=10, j=map[k:1]}; {id=2, n=20, j=map[k:2]}; {id=3, n=30, j=map[k:3]}; ...`
	if got != want {
		t.Errorf("firstFailingRows = %s\nwant %s", got, want)
	}
}
