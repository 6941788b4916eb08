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

var _ adapter.Distributor = Dialect{}

// CanDistribute is select exists (select from pg_extension where extname
// = 'citus'): whether the database has the Citus extension.
func (Dialect) CanDistribute() adapter.Stmt {
	return adapter.Stmt{SQL: "select exists (select 1 from pg_extension where extname = 'citus')"}
}

// DistributeTable is Citus's create_distributed_table(rel, column[,
// colocate_with => colocateWith]), run only when pg_dist_partition does
// not hold rel yet (a table distributed already keeps its distribution):
//
//	select create_distributed_table('"marts"."orders"', 'customer_id', colocate_with => '"marts"."customers"')
//	where not exists (select 1 from pg_dist_partition where logicalrelid = '"marts"."orders"'::regclass)
func (d Dialect) DistributeTable(rel adapter.Relation, column string, colocateWith adapter.Relation) adapter.Stmt {
	name := d.Literal(d.QuoteRelation(rel))
	args := name + ", " + d.Literal(column)
	if colocateWith.Name != "" {
		args += ", colocate_with => " + d.Literal(d.QuoteRelation(colocateWith))
	}
	return adapter.Stmt{SQL: "select create_distributed_table(" + args + ")\nwhere not exists (select 1 from pg_dist_partition where logicalrelid = " + name + "::regclass)"}
}

var _ adapter.Unlogger = Dialect{}

// Unlogged returns s, a "create table ..." statement, as "create unlogged
// table ...", as dbt-postgres's create_table_as writes it for the
// unlogged config; the offset of the user's query moves with it. Any
// other statement is returned as it is.
func (Dialect) Unlogged(s adapter.Stmt) adapter.Stmt {
	const plain, unlogged = "create table ", "create unlogged table "
	if !strings.HasPrefix(s.SQL, plain) {
		return s
	}
	s.SQL = unlogged + s.SQL[len(plain):]
	if s.Body >= 0 {
		s.Body += len(unlogged) - len(plain)
	}
	return s
}
