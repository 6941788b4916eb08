package adapter

import "strings"

// Index is one entry of dbt-postgres's indexes config
// (https://docs.getdbt.com/reference/resource-configs/postgres-configs#indexes).
type Index struct {
	// Columns are the index's keys as written in the config, in order:
	// column names or expressions in the database's SQL ("id",
	// "lower(email)", "created_at desc"), written into the statement as
	// they are, as dbt-postgres writes them. Never empty.
	Columns []string
	// Unique makes a unique index: building fails on duplicate keys.
	Unique bool
	// Type is the index method ("btree", "hash", "gist", "spgist", "gin",
	// "brin"), or "" for the database's default (btree).
	Type string
}

// Indexer is implemented by a dialect that creates the indexes a model,
// seed or snapshot configures (dbt-postgres's indexes): PostgreSQL. It is
// apart from Dialect: on a database without it, the engine says that the
// indexes are not created.
type Indexer interface {
	// CreateIndex creates index ix named name (unquoted; unique in rel's
	// schema) on table rel.
	CreateIndex(rel Relation, name string, ix Index) Stmt
	// CopyIndexes is a query of the statements (one text column, one row
	// per index) that create on table to the indexes of table from that
	// back no constraint, each under a name new to to's schema: for the
	// journal's copy of a table kept in place, so that a rollback, which
	// renames the copy back, leaves the table with its indexes.
	CopyIndexes(from, to Relation) Stmt
}

// ColumnDropGuard is implemented by a dialect on which an index on a
// table forbids dropping any of its columns: DuckDB ("Cannot alter entry
// ... because there are entries that depend on it", DuckDB 1.5, whatever
// the index's columns; a primary key's or unique constraint's index does
// not; it allows adding a column). The journal asks it before a rollback
// drops the columns a run added, and creates the table again from its
// saved definition (or puts its copy back) instead of failing on every
// start; an incremental model refuses, before it changes anything, an
// on_schema_change that would drop or retype a column of such a table.
type ColumnDropGuard interface {
	// IndexCount is a query of the number of indexes created on rel
	// (one row, one integer column).
	IndexCount(rel Relation) Stmt
}

// TableDefiner is implemented by a dialect that can read back the
// statements creating a table as it is (DuckDB: duckdb_tables().sql,
// duckdb_indexes().sql, the comments; PostgreSQL: its catalog's
// format_type, pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef,
// ...). The journal keeps them with the copy of a table it may have to
// put back whole, so that a rollback creates the table again with its
// definition (constraints, defaults, indexes, comments) and inserts the
// copy's rows, instead of renaming a copy made by create table as
// select, which has the rows only.
type TableDefiner interface {
	// TableDefinition is a query of table rel's definition: rows of
	// three text columns (what, name, text), which DefinitionStatements
	// reads; no row when rel is not a table.
	TableDefinition(rel Relation) Stmt
	// DefinitionStatements turns the rows of TableDefinition(rel) into
	// the statements creating rel as it was, in the order to run them:
	// those that must run before rel is dropped (none on DuckDB; on
	// PostgreSQL the views reading rel and other tables' foreign keys to
	// it dropped, its serial sequences released), then the create table
	// (naming rel, quoted, in its schema; it begins with CREATE TABLE or
	// CREATE UNLOGGED TABLE, and no statement before it does), then,
	// after the saved rows are inserted, its indexes, constraints,
	// comments and whatever else hangs on it. It returns nil when they
	// cannot be used to create rel again with the same columns (no
	// create table, a name it cannot read, a generated column, whose
	// values a copy cannot insert).
	DefinitionStatements(rel Relation, rows [][]any) []string
}

// Reshaper is implemented by a dialect whose database cannot replay from
// its write-ahead log an ALTER TABLE that changes the columns of some
// tables (DuckDB 1.5.6: a table whose CHECK or DEFAULT calls a function
// or an operator, duckdb/duckdb#18259, #20543; a kill after such a
// change committed, before the next checkpoint, leaves a database that
// does not open). kiln changes the columns of such a table by creating
// it again, in the node's transaction: the change's ALTER statements
// run on a temporary table of the same definition (which the log does
// not hold), whose definition, read back, creates the table anew; the
// rows are copied back by column name, then its indexes and comments
// are created again (TableDefiner's statements).
type Reshaper interface {
	// AlterUnsafe reports whether the table that createTable creates
	// (TableDefinition's "table" row, or DefinitionStatements' first
	// statement) must not have its columns altered in place. It may say
	// true of a table that could be (a CHECK of constants): creating the
	// table again is then slower, not wrong.
	AlterUnsafe(createTable string) bool
	// ShapeTable returns the statement creating the temporary table name
	// (replacing one of that name) with the columns and constraints of
	// createTable, DefinitionStatements' first statement for rel; false
	// when createTable does not read as one.
	ShapeTable(createTable string, rel Relation, name string) (Stmt, bool)
	// ShapeDefinition is a query of the create table of the temporary
	// table name: one row, one text column.
	ShapeDefinition(name string) Stmt
	// Reshaped turns ShapeDefinition's text for the temporary table name
	// into the statement creating rel with its columns and constraints;
	// false when text does not read as one.
	Reshaped(text, name string, rel Relation) (Stmt, bool)
}

// CreateTableAt returns the index of the create table among statements
// of TableDefiner.DefinitionStatements (the first that begins with
// CREATE TABLE or CREATE UNLOGGED TABLE): those before it run before the
// table is dropped, those after once the saved rows are inserted. It
// returns -1 when there is none.
func CreateTableAt(definition []string) int {
	for i, s := range definition {
		u := strings.ToUpper(s)
		if strings.HasPrefix(u, "CREATE TABLE ") || strings.HasPrefix(u, "CREATE UNLOGGED TABLE ") {
			return i
		}
	}
	return -1
}
