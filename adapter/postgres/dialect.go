package postgres

import (
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/ansi"
)

// Dialect is PostgreSQL's SQL (https://www.postgresql.org/docs/15/sql.html):
// standard SQL (adapter/ansi) but for the statements below. CREATE TABLE
// AS replaces nothing (the engine moves the previous relation aside in
// the same transaction), MERGE is PostgreSQL 15's, and every statement is
// transactional.
type Dialect struct{ ansi.Dialect }

var _ adapter.Dialect = Dialect{}

// NormalizeTypes is select pg_typeof(cast(null as t1))::text, ...: the
// types' names without their modifiers (Conn.NormalizeTypes keeps them,
// from the statement's description).
func (Dialect) NormalizeTypes(types []string) string {
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = "pg_typeof(cast(null as " + t + "))::text"
	}
	return "select " + strings.Join(parts, ", ")
}

// CopyToCSV is copy (query) to stdout with (format csv, header): the
// server streams the rows to the client, which writes the file
// (Conn.ExportCSV); path is not part of the statement.
func (Dialect) CopyToCSV(query, path string) adapter.Stmt {
	s := ansi.Nest("copy ", query, " to stdout with (format csv, header)")
	s.CountRows = true
	return s
}
