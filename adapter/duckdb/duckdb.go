// Package duckdb is kiln's DuckDB adapter (adapter.Adapter): one open
// database file per run, one dedicated connection per worker, DuckDB's
// dialect, its catalog (duckdb_tables(), duckdb_views(),
// duckdb_columns()), bulk loading through its appender and its native
// CSV, Parquet and Excel loaders (internal/load), CSV export through
// COPY ... TO, and kiln's records in the same file (adapter/sqlstore).
//
// It registers itself as adapter type "duckdb". The DuckDB driver
// (duckdb-go) is reached through internal/duck, its only importer, which
// only this package and the file loaders may import.
package duckdb

import (
	"context"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/duck"
)

func init() {
	adapter.Register("duckdb", func(ctx context.Context, t adapter.Target) (adapter.Adapter, error) {
		return Open(ctx, t.Path, duck.TimeZone(t.TimeZone))
	})
}

// Adapter is an open DuckDB database.
type Adapter struct {
	db *duck.DB
}

var _ adapter.Adapter = (*Adapter)(nil)

// Open opens the DuckDB database at path, creating the file and its
// parent directories when missing; "" (or ":memory:") opens a private
// in-memory database. Open it once per run and keep it open: reopening a
// file costs about 15 ms plus 0.07 ms per table in it. It returns
// *adapter.LockError when another process holds the file. The session
// time zone is UTC unless an option sets it.
func Open(ctx context.Context, path string, opts ...duck.Option) (*Adapter, error) {
	db, err := duck.Open(ctx, path, opts...)
	if err != nil {
		return nil, err
	}
	return &Adapter{db: db}, nil
}

// Type is "duckdb".
func (a *Adapter) Type() string { return "duckdb" }

// Version returns the version of the DuckDB library linked in, such as
// "v1.5.6".
func (a *Adapter) Version() string { return duck.Version() }

// Version returns the version of the DuckDB library linked in.
func Version() string { return duck.Version() }

// Dialect returns DuckDB's dialect.
func (a *Adapter) Dialect() adapter.Dialect { return Dialect{} }

// Path returns the database file, "" for an in-memory database.
func (a *Adapter) Path() string { return a.db.Path() }

// Conn returns a dedicated connection.
func (a *Adapter) Conn(ctx context.Context) (adapter.Conn, error) {
	c, err := a.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &Conn{c: c}, nil
}

// Close closes the database and releases its file lock.
func (a *Adapter) Close() error { return a.db.Close() }
