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
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/duck"
	"github.com/kiln-build/kiln/internal/sqlq"
)

func init() {
	adapter.Register("duckdb", func(ctx context.Context, t adapter.Target) (adapter.Adapter, error) {
		init, err := InitStatements(t.Settings, t.Extensions)
		if err != nil {
			return nil, err
		}
		for _, a := range t.Attach {
			// Attached once per database; IF NOT EXISTS makes it a no-op
			// on the connections after the first.
			init = append(init, "ATTACH IF NOT EXISTS "+sqlq.Literal(a.Path)+" AS "+sqlq.Ident(a.Alias)+" (READ_ONLY)")
		}
		return Open(ctx, t.Path, duck.TimeZone(t.TimeZone), duck.Init(init...))
	})
}

// settingName is a DuckDB setting's or extension's name.
var settingName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// InitStatements returns the statements that apply settings (SET name =
// value, a text as a string literal, a number or boolean as it is) and
// load extensions (LOAD name) on a connection, settings sorted by name. A
// name that is not an identifier is an error.
func InitStatements(settings map[string]any, extensions []string) ([]string, error) {
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []string
	for _, k := range names {
		if !settingName.MatchString(k) {
			return nil, fmt.Errorf("setting %q is not a DuckDB setting's name", k)
		}
		var val string
		switch v := settings[k].(type) {
		case bool:
			val = strconv.FormatBool(v)
		case int:
			val = strconv.Itoa(v)
		case int64:
			val = strconv.FormatInt(v, 10)
		case float64:
			val = strconv.FormatFloat(v, 'g', -1, 64)
		default:
			val = sqlq.Literal(fmt.Sprint(v))
		}
		out = append(out, "SET "+k+" = "+val)
	}
	for _, e := range extensions {
		if !settingName.MatchString(e) {
			return nil, fmt.Errorf("extension %q is not a DuckDB extension's name", e)
		}
		out = append(out, "LOAD "+e)
	}
	return out, nil
}

// Adapter is an open DuckDB database.
type Adapter struct {
	db *duck.DB
}

var _ adapter.Adapter = (*Adapter)(nil)

// ExecFile opens the database at path (as Open), runs stmts on one
// connection in order, each in autocommit, and closes it: set-up and
// check scripts of the benchmarks and tests. The first failing statement
// stops it; its error is prefixed with the statement.
func ExecFile(ctx context.Context, path string, stmts []string) error {
	db, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, s := range stmts {
		if _, err := c.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

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
