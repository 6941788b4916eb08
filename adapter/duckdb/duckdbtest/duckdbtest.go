// Package duckdbtest gives tests an in-memory DuckDB database through
// kiln's adapter, as net/http/httptest gives them a server.
package duckdbtest

import (
	"context"
	"testing"

	"github.com/kiln-build/kiln/adapter/duckdb"
)

// Open opens a private in-memory database, closed when the test ends. It
// fails the test when DuckDB cannot open.
func Open(t testing.TB) *duckdb.Adapter {
	t.Helper()
	a, err := duckdb.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// Conn opens a private in-memory database and one connection on it, both
// closed when the test ends.
func Conn(t testing.TB) *duckdb.Conn {
	t.Helper()
	a := Open(t)
	c, err := a.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*duckdb.Conn)
}
