package adapter

import (
	"time"

	"github.com/kiln-build/kiln/compiler/graph"
)

// Dialect builds the statements kiln runs on a database: every SQL text
// that is not the user's comes from here. Its methods are pure (they run
// nothing) and safe for concurrent use. Queries passed in (a model's
// compiled SQL, a test's) are nested as they are, after trailing
// semicolons and whitespace are removed; relations and column names are
// quoted by the dialect.
//
// Package adapter/ansi implements the statements of standard SQL; a
// database's dialect embeds it and overrides what its database spells
// otherwise, as dbt's adapters override its default__ macros.
type Dialect interface {
	// Quote returns ident as a quoted identifier ("a""b").
	Quote(ident string) string
	// Literal returns s as a string literal ('it''s').
	Literal(s string) string
	// QuoteRelation returns rel as a quoted, dotted name.
	QuoteRelation(rel Relation) string

	// CreateSchema creates schema unless it exists.
	CreateSchema(schema string) Stmt
	// CreateTableAs creates table rel holding the rows of query; a table
	// of that name is replaced when the database can do so in the same
	// statement (callers move a relation of another kind aside first).
	// CountRows is set.
	CreateTableAs(rel Relation, query string) Stmt
	// CreateTable creates the empty table rel with cols (a bulk load's
	// target).
	CreateTable(rel Relation, cols []Column) Stmt
	// CreateTableWith creates the empty table rel with defs, each a
	// column ("name type [column constraints]") or a table constraint, as
	// written: a contract's table with its constraints (dbt's
	// get_table_columns_and_constraints).
	CreateTableWith(rel Relation, defs []string) Stmt
	// InsertSelect appends to table into the columns cols (as SQL) of the
	// rows of query, by name: insert into into (cols) select cols from
	// (query) (dbt's get_select_subquery). CountRows is set, and Body
	// locates query.
	InsertSelect(into Relation, cols []string, query string) Stmt
	// ForeignKeyOrphans is a query of one row at most: the number of rows
	// of table rel whose columns cols (as SQL), none NULL, match no row of
	// relation to (as SQL text) on its columns toCols (as SQL), as
	// "violations", followed by those columns of one such row; no row when
	// there is none. It checks a contract's foreign_key, which kiln does
	// not declare (graph.Constraint.To).
	ForeignKeyOrphans(rel Relation, cols []string, to string, toCols []string) Stmt
	// CreateViewAs creates, or replaces, view rel over query.
	CreateViewAs(rel Relation, query string) Stmt
	// DropRelation drops rel, a relation of kind; with ifExists, a missing
	// one is not an error.
	DropRelation(rel Relation, kind Kind, ifExists bool) Stmt
	// RenameRelation renames rel, a relation of kind, to name in its
	// schema.
	RenameRelation(rel Relation, kind Kind, name string) Stmt
	// CopyTable creates table to with the columns and rows of table from
	// (the journal's copy of a table that an incremental build changes in
	// place).
	CopyTable(from, to Relation) Stmt
	// AddColumns adds cols to table rel (on_schema_change).
	AddColumns(rel Relation, cols []Column) Stmt

	// DropColumns drops the columns names of table rel (on_schema_change:
	// sync_all_columns).
	DropColumns(rel Relation, names []string) Stmt
	// AlterColumnTypes changes the type of each of cols of table rel to
	// its Type, converting the values as a cast does (on_schema_change:
	// sync_all_columns).
	AlterColumnTypes(rel Relation, cols []Column) Stmt
	// CreateTempTableAs creates the temporary table name, seen by this
	// connection only and dropped when it closes, holding the rows of
	// query; a temporary table of that name is replaced. CountRows is set.
	// Other statements name it TempRelation(name).
	CreateTempTableAs(name, query string) Stmt
	// TempRelation returns the relation of the temporary table name.
	TempRelation(name string) Relation

	// Insert appends the rows of query to table into. CountRows is set.
	Insert(into Relation, query string) Stmt
	// InsertColumns appends to table into the values of columns cols of
	// the rows of relation from that meet where (a condition; "" takes
	// every row), as dbt's get_insert_into_sql. CountRows is set.
	InsertColumns(into, from Relation, cols []string, where string) Stmt
	// DeleteMatching deletes the rows of table from whose keys equal
	// those of a row of relation using and that meet every predicate
	// (dbt's incremental_predicates), the first half of dbt's
	// delete+insert strategy for a unique_key written as a string
	// (get_delete_insert_merge_sql): delete from from where (keys) in
	// (select keys from using) and predicate ..., each predicate as
	// written, without parentheses, as dbt writes it; from is the only
	// relation in the predicates' scope. Keys are SQL as the user wrote
	// unique_key, not quoted, as dbt writes them (a column name resolved
	// by the database's rules, PostgreSQL folding an unquoted name to
	// lower case; a quoted name such as "Name"; or an expression of the columns).
	// Keys are compared with =: a NULL key matches nothing. CountRows is
	// set.
	DeleteMatching(from, using Relation, keys, predicates []string) Stmt
	// DeleteJoined is DeleteMatching for a unique_key written as a list,
	// as dbt writes it (get_delete_insert_merge_sql's sequence branch):
	// delete from from using using where (using.key = from.key and ...
	// and predicate ...), so that both relations are in the predicates'
	// scope and a column of both, unqualified, is ambiguous, as in dbt.
	// Keys are written as given, as in DeleteMatching. CountRows is set.
	DeleteJoined(from, using Relation, keys, predicates []string) Stmt
	// DeletePredicates is the delete of delete+insert without a
	// unique_key, as the adapter's dbt writes it: dbt-adapters'
	// default__get_delete_insert_merge_sql (dbt-postgres) deletes from
	// from the rows that meet every predicate, each predicate as written
	// but for DBT_INTERNAL_DEST and DBT_INTERNAL_SOURCE, replaced by from
	// and using: delete from from where (p1 and p2 ...). A dialect whose
	// dbt deletes nothing there (dbt-duckdb's
	// duckdb__get_delete_insert_merge_sql) returns a zero Stmt: the new
	// rows are only inserted. CountRows is set.
	DeletePredicates(from, using Relation, predicates []string) Stmt
	// DeleteWhere deletes the rows of table from that meet where.
	// CountRows is set.
	DeleteWhere(from Relation, where string) Stmt
	// Merge is dbt's get_merge_sql: the rows of table into (aliased
	// DBT_INTERNAL_DEST) whose keys equal those of a row of relation from
	// (aliased DBT_INTERNAL_SOURCE), where every predicate holds, get the
	// source's values of the columns update; the other source rows are
	// inserted with the columns insert. Without keys no row matches: every
	// source row is inserted. Keys and update are SQL as written, not
	// quoted, as dbt writes unique_key and merge_update_columns (quote a
	// column name from the catalog with Quote first); insert are column
	// names, quoted here. CountRows is set.
	Merge(into, from Relation, keys, update, insert, predicates []string) Stmt
	// NullKey returns a query of at most one row of relation rel where
	// one of the key expressions keys (SQL as written: quote a column
	// name with Quote first) is NULL: the keys' values.
	NullKey(rel Relation, keys []string) string
	// DuplicateKey returns a query of at most one value of the key
	// expressions keys (as in NullKey) held by more than one row of
	// relation rel: the keys' values, then the number of rows.
	DuplicateKey(rel Relation, keys []string) string
	// TimeLiteral returns the instant t as a literal to compare with a
	// column of type typ as the database spells it: a TIMESTAMP WITH TIME
	// ZONE column gets an instant, a TIMESTAMP or DATE column the wall
	// clock of t in UTC (so that no session time zone is involved).
	TimeLiteral(t time.Time, typ string) string
	// TimeRange returns the condition "start <= column < end" on column
	// col of type typ (see TimeLiteral): a microbatch's batch, the same
	// text in its filter and in its delete.
	TimeRange(col, typ string, start, end time.Time) string

	// SnapshotCreate is the first run of a snapshot: its table created
	// from the source's rows, each a current version (dbt's snapshot
	// materialization). CountRows is set.
	SnapshotCreate(s SnapshotSpec) Stmt
	// SnapshotUpdate is a later run of a snapshot, as statements to run in
	// order in one transaction: the versions that changed or whose key left
	// the source are closed, the new versions (and, with hard_deletes:
	// new_record, the deletion records) inserted. The update statements
	// start with "update", the inserts with "insert".
	SnapshotUpdate(s SnapshotSpec) []Stmt
	// SnapshotViolation returns a query of at most one key of the
	// snapshot's table whose history is not a type 2 history: the key
	// columns, then the rule broken as text.
	SnapshotViolation(s SnapshotSpec) string

	// RowsDigest returns a query of one row and one text column that
	// digests the rows of query: equal for the same rows in any order,
	// different (but for hash collisions) when a row differs, is added or
	// removed. A microbatch batch is rebuilt when its inputs' digests
	// change.
	RowsDigest(query string) string

	// SelectAll returns a query of every row of rel, ordered by orderBy
	// (an ORDER BY expression list as the user wrote it) when not "".
	SelectAll(rel Relation, orderBy string) string
	// CountRows returns a query of the number of rows of from (a quoted
	// relation or a parenthesised subquery with an alias).
	CountRows(from string) string
	// MaxLoadedAt returns a query of one row and column, max_loaded_at:
	// the largest value of the SQL expression loadedAt over the rows of
	// rel that match filter ("" all), as dbt's collect_freshness.
	MaxLoadedAt(rel Relation, loadedAt, filter string) string
	// MaxLoadedAtQuery returns a query of one row and column,
	// max_loaded_at: the value of the user's query (a loaded_at_query,
	// which returns one row of one column), as dbt's
	// collect_freshness_custom_sql.
	MaxLoadedAtQuery(query string) string
	// TestQuery returns the query that evaluates a data test (dbt's
	// get_test_sql): one row, failCalc (count(*) when "") over the rows of
	// query, at most limit of them when limit >= 0.
	TestQuery(query, failCalc string, limit int64) Stmt
	// LimitRows returns a query of at most limit of query's rows (all of
	// them when limit < 0): what a test with store_failures and limit
	// keeps, as dbt's test materialization stores sql with its limit.
	// The statement's Body is where query's body starts in it.
	LimitRows(query string, limit int64) Stmt
	// Describe returns a statement whose result describes the columns
	// query yields, without running it (see Conn.DescribeQuery).
	Describe(query string) Stmt
	// NormalizeTypes returns a query of one row whose values are types as
	// the database spells them in its catalog (see Conn.NormalizeTypes).
	NormalizeTypes(types []string) string
	// CopyToCSV returns the statement that writes the rows of query to
	// path as CSV with a header (see Conn.ExportCSV).
	CopyToCSV(query, path string) Stmt

	// GivenRows returns a query yielding a unit test's literal rows; with
	// cols (the real input's columns), values are cast to the columns'
	// types and the columns the rows leave out are typed NULLs, in cols'
	// order.
	GivenRows(r graph.Rows, cols []Column) string
	// WithCTEs returns query with ctes ("name as (...)") put before it,
	// merged into its own WITH clause when it has one.
	WithCTEs(query string, ctes []string) string
	// UnitTestDiff returns a query of the differences between the rows of
	// actual and the expected rows, as multisets: one row per difference,
	// its first column "missing" or "unexpected", then the columns
	// compared. types holds actual's column types by lower-cased name.
	UnitTestDiff(actual string, expect graph.Rows, types map[string]string) string
}
