// Package ducktest gives tests an in-memory DuckDB connection, as
// net/http/httptest gives them a server.
package ducktest

import (
	"context"
	"testing"

	"github.com/kiln-build/kiln/internal/duck"
)

// Conn opens an in-memory database and one connection on it, both closed
// when the test ends. It fails the test when DuckDB cannot open.
func Conn(t testing.TB) *duck.Conn {
	t.Helper()
	ctx := context.Background()
	db, err := duck.Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		db.Close()
	})
	return c
}
