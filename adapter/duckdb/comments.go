package duckdb

import (
	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

var _ adapter.Commenter = Dialect{}

// Comments reads table rel's comments from DuckDB's catalog
// (duckdb_tables().comment, duckdb_columns().comment): the table's (name
// "") first, then its columns' in order.
func (Dialect) Comments(rel adapter.Relation) adapter.Stmt {
	where := " where database_name = current_database() and schema_name = " + sqlq.Literal(rel.Schema) +
		" and table_name = " + sqlq.Literal(rel.Name)
	q := "select name, comment from (select 0 as k, -1 as o, '' as name, comment from duckdb_tables()" + where +
		" union all select 1, column_index, column_name, comment from duckdb_columns()" + where + ") order by k, o"
	return adapter.Stmt{SQL: q, Body: -1}
}
