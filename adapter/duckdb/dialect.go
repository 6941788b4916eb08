package duckdb

import (
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/ansi"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Dialect is DuckDB's SQL (https://duckdb.org/docs/stable/sql/introduction):
// standard SQL (adapter/ansi) but for the statements below.
type Dialect struct{ ansi.Dialect }

var _ adapter.Dialect = Dialect{}

// CreateTableAs is create or replace table ... as (query): DuckDB
// replaces a table of that name in the same statement, which answers the
// number of rows it wrote.
func (Dialect) CreateTableAs(rel adapter.Relation, query string) adapter.Stmt {
	s := ansi.Nest("create or replace table "+rel.String()+" as ", query, "")
	s.CountRows = true
	return s
}

// Describe is describe (query): one row per column, its name then its
// type.
func (Dialect) Describe(query string) adapter.Stmt { return ansi.Nest("describe ", query, "") }

// NormalizeTypes is select typeof(cast(null as t1)), ...: DuckDB's names of
// the types.
func (Dialect) NormalizeTypes(types []string) string {
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = "typeof(cast(null as " + t + "))"
	}
	return "select " + strings.Join(parts, ", ")
}

// CopyToCSV is copy (query) to 'path' (format csv, header true), which
// answers the number of rows written.
func (Dialect) CopyToCSV(query, path string) adapter.Stmt {
	s := ansi.Nest("copy ", query, " to "+sqlq.Literal(path)+" (format csv, header true)")
	s.CountRows = true
	return s
}

// CreateTempTableAs is create or replace temporary table name as (query).
func (Dialect) CreateTempTableAs(name, query string) adapter.Stmt {
	s := ansi.Nest("create or replace temporary table "+sqlq.Ident(name)+" as ", query, "")
	s.CountRows = true
	return s
}

var _ adapter.ColumnDropGuard = Dialect{}

// IndexCount counts the indexes created on rel (create index), which
// forbid dropping any column of rel on DuckDB: duckdb_indexes()
// (https://duckdb.org/docs/stable/sql/meta/duckdb_table_functions#duckdb_indexes)
// lists them, not the indexes of primary keys and unique constraints.
func (Dialect) IndexCount(rel adapter.Relation) adapter.Stmt {
	q := "select count(*) from duckdb_indexes() where database_name = current_database() and schema_name = " +
		sqlq.Literal(rel.Schema) + " and table_name = " + sqlq.Literal(rel.Name)
	return adapter.Stmt{SQL: q, Body: -1}
}

// IncrementalTarget is dbt-duckdb's alias of the target in the delete of
// delete+insert with a unique_key list, which incremental_predicates can
// name.
const IncrementalTarget = "DBT_INCREMENTAL_TARGET"

// DeleteJoined is dbt-duckdb's delete of delete+insert for a unique_key
// list (duckdb__get_delete_insert_merge_sql): delete from from as
// DBT_INCREMENTAL_TARGET using using where (using.key =
// DBT_INCREMENTAL_TARGET.key and ... and predicate ...).
func (Dialect) DeleteJoined(from, using adapter.Relation, keys, predicates []string) adapter.Stmt {
	return ansi.DeleteUsing(from, using, IncrementalTarget, IncrementalTarget, keys, predicates)
}

// DeletePredicates is a zero Stmt: dbt-duckdb's delete+insert
// (duckdb__get_delete_insert_merge_sql) deletes only by unique_key, so
// without one it inserts every new row whatever incremental_predicates
// say (the compiler warns that they are not used).
func (Dialect) DeletePredicates(from, using adapter.Relation, predicates []string) adapter.Stmt {
	return adapter.Stmt{}
}
