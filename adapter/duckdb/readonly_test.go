package duckdb

import (
	"context"
	"testing"

	"github.com/kiln-build/kiln/adapter"
)

// TestBeginReadOnly: in adapter.BeginReadOnly's transaction DuckDB
// refuses a write made by a function (a macro that calls nextval), as
// adapter.IsReadOnlyError tells; reads run, and after its end the
// connection writes again, the sequence untouched.
func TestBeginReadOnly(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Exec(ctx, "create sequence s; create macro bump() as nextval('s')"); err != nil {
		t.Fatal(err)
	}
	end, err := adapter.BeginReadOnly(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.QueryInt(ctx, "select 41 + 1"); err != nil || n != 42 {
		t.Errorf("a read in the transaction: %d, %v; want 42", n, err)
	}
	_, err = c.QueryInt(ctx, "select bump()")
	if !adapter.IsReadOnlyError(err) {
		t.Errorf("select bump() in the read-only transaction: %v, want DuckDB's refusal", err)
	}
	end()
	if n, err := c.QueryInt(ctx, "select bump()"); err != nil || n != 1 {
		t.Errorf("select bump() after the end: %d, %v; want 1 (the sequence untouched before)", n, err)
	}
	if adapter.IsReadOnlyError(context.Canceled) {
		t.Error("IsReadOnlyError(context.Canceled) = true")
	}
}
