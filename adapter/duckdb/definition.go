package duckdb

import (
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/internal/sqlq"
)

var _ adapter.TableDefiner = Dialect{}

// TableDefinition reads table rel's definition from DuckDB's catalog
// (https://duckdb.org/docs/stable/sql/meta/duckdb_table_functions): the
// create table of duckdb_tables().sql (columns, types, defaults, not
// null, primary key, unique, check, foreign keys), each index's create
// index of duckdb_indexes().sql (those of create index; a constraint's
// index comes with its constraint), and the comments of the table and
// of its columns, which the create table lacks. Rows (what, name, text):
// "table" first, then "index" in creation order, then "comment" (name
// "") and "column comment" (name the column's).
func (Dialect) TableDefinition(rel adapter.Relation) adapter.Stmt {
	where := " where database_name = current_database() and schema_name = " + sqlq.Literal(rel.Schema) +
		" and table_name = " + sqlq.Literal(rel.Name)
	q := "select what, name, text from (" +
		"select 0 as k, 0 as o, 'table' as what, '' as name, sql as text from duckdb_tables()" + where +
		" union all select 1, index_oid, 'index', index_name, sql from duckdb_indexes()" + where + " and sql is not null" +
		" union all select 2, 0, 'comment', '', comment from duckdb_tables()" + where + " and coalesce(comment, '') <> ''" +
		" union all select 3, column_index, 'column comment', column_name, comment from duckdb_columns()" + where + " and coalesce(comment, '') <> ''" +
		") order by k, o"
	return adapter.Stmt{SQL: q, Body: -1}
}

// DefinitionStatements turns TableDefinition's rows into statements
// naming rel as the journal's undo runs them: DuckDB writes the table's
// name in its create table and create index unqualified in schema main,
// and quotes only the names that need it, so each statement's table name
// is read and replaced by rel's, quoted and with its schema. It returns
// nil when a statement does not read as expected or the table has a
// generated column.
func (Dialect) DefinitionStatements(rel adapter.Relation, rows [][]any) []string {
	target := sqlq.Relation{Schema: rel.Schema, Name: rel.Name}
	var out []string
	for i, r := range rows {
		if len(r) < 3 {
			return nil
		}
		what, _ := r[0].(string)
		name, _ := r[1].(string)
		text, _ := r[2].(string)
		switch what {
		case "table":
			if i != 0 || strings.Contains(strings.ToUpper(text), " GENERATED ALWAYS AS") {
				return nil
			}
			rest, ok := cutPrefixFold(text, "CREATE TABLE ")
			if !ok {
				return nil
			}
			rest, ok = cutTableName(rest, rel)
			if !ok || !strings.HasPrefix(rest, "(") {
				return nil
			}
			out = append(out, "CREATE TABLE "+target.String()+rest)
		case "index":
			head := "CREATE INDEX "
			if strings.HasPrefix(strings.ToUpper(text), "CREATE UNIQUE INDEX ") {
				head = "CREATE UNIQUE INDEX "
			}
			rest, ok := cutPrefixFold(text, head)
			if !ok || i == 0 || name == "" {
				return nil
			}
			ix, rest, ok := cutIdent(rest)
			if !ok || !strings.EqualFold(ix, name) {
				return nil
			}
			if rest, ok = cutPrefixFold(rest, " ON "); !ok {
				return nil
			}
			rest, ok = cutTableName(rest, rel)
			if !ok {
				return nil
			}
			out = append(out, head+sqlq.Ident(name)+" ON "+target.String()+rest)
		case "comment":
			out = append(out, "COMMENT ON TABLE "+target.String()+" IS "+sqlq.Literal(text))
		case "column comment":
			out = append(out, "COMMENT ON COLUMN "+target.String()+"."+sqlq.Ident(name)+" IS "+sqlq.Literal(text))
		default:
			return nil
		}
	}
	if len(out) == 0 || !strings.HasPrefix(out[0], "CREATE TABLE ") {
		return nil
	}
	return out
}

// cutPrefixFold is strings.CutPrefix without regard to case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// cutTableName reads, at the start of s, a table name as DuckDB writes
// it (one to three dot-separated parts, each bare or double-quoted with
// "" for a quote) and returns what follows it, when its last part is
// rel's name and the part before, if any, rel's schema (DuckDB's names
// are compared without regard to case).
func cutTableName(s string, rel adapter.Relation) (string, bool) {
	var parts []string
	for {
		part, rest, ok := cutIdent(s)
		if !ok {
			return s, false
		}
		parts, s = append(parts, part), rest
		if !strings.HasPrefix(s, ".") || len(parts) == 3 {
			break
		}
		s = s[1:]
	}
	n := len(parts)
	if !strings.EqualFold(parts[n-1], rel.Name) || n > 1 && !strings.EqualFold(parts[n-2], rel.Schema) {
		return s, false
	}
	return s, true
}

// cutIdent reads one identifier at the start of s: "..." with "" for a
// quote, or a bare word up to a dot, a parenthesis or a space.
func cutIdent(s string) (ident, rest string, ok bool) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] != '"' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			return b.String(), s[i+1:], true
		}
		return "", s, false
	}
	end := strings.IndexAny(s, ".( ")
	if end <= 0 {
		return "", s, false
	}
	return s[:end], s[end:], true
}

var _ adapter.Reshaper = Dialect{}

// AlterUnsafe reports whether DuckDB 1.5.6 may fail to replay from its
// write-ahead log an ALTER TABLE changing the columns of the table
// createTable creates (duckdb_tables().sql): it has a CHECK (DuckDB
// writes each as CHECK(...) after the columns), a generated column, or
// a DEFAULT other than a literal. DuckDB binds a table's CHECK and DEFAULT expressions when it
// replays an ALTER TABLE of it, without the default database a function
// is looked up in: a function call or an operator (length(x), x + 1,
// x || 'a', x LIKE 'a%', nextval('s'), now(), current_timestamp) fails
// the replay (duckdb/duckdb#18259, #20543, measured on 1.5.6: add, drop
// and retype a column, comment on a column; a rename, an insert, a create
// index or a comment on the table replay). A CHECK of constants
// (x > 0, x in (1, 2)) replays too: it is counted unsafe all the same,
// which only creates such a table again where an ALTER would do.
func (Dialect) AlterUnsafe(createTable string) bool {
	s := createTable
	for {
		i := indexOutsideQuotes(s, "DEFAULT(", "CHECK(", "GENERATED ALWAYS AS(")
		if i < 0 {
			return false
		}
		if !strings.HasPrefix(strings.ToUpper(s[i:]), "DEFAULT(") {
			return true
		}
		body, rest, ok := cutParens(s[i+len("DEFAULT"):])
		if !ok || !literal(body) {
			return true
		}
		s = rest
	}
}

// indexOutsideQuotes returns the index in s of the first of words
// (upper case) found outside quotes ('...', "...") and after a space or
// a parenthesis, without regard to case; -1 when none is.
func indexOutsideQuotes(s string, words ...string) int {
	up := strings.ToUpper(s)
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			if c == quote {
				quote = 0
			}
			continue
		}
		if c == '\'' || c == '"' {
			quote = c
			continue
		}
		if i > 0 && s[i-1] != ' ' && s[i-1] != '(' && s[i-1] != ',' {
			continue
		}
		for _, w := range words {
			if strings.HasPrefix(up[i:], w) {
				return i
			}
		}
	}
	return -1
}

// cutParens reads a parenthesized text at the start of s (quotes
// skipped) and returns what is inside and what follows.
func cutParens(s string) (body, rest string, ok bool) {
	if !strings.HasPrefix(s, "(") {
		return "", s, false
	}
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return s[1:i], s[i+1:], true
			}
		}
	}
	return "", s, false
}

// literal reports whether a DEFAULT's expression, as DuckDB writes it,
// is a literal: a string, a number (with a sign), NULL, TRUE or FALSE,
// or a cast of one to a type named by words (CAST('t' AS BOOLEAN),
// CAST('2020-01-01' AS DATE)).
func literal(expr string) bool {
	e := strings.TrimSpace(expr)
	if inner, ok := cutPrefixFold(e, "CAST("); ok && strings.HasSuffix(inner, ")") {
		inner = inner[:len(inner)-1]
		i := strings.LastIndex(strings.ToUpper(inner), " AS ")
		if i < 0 {
			return false
		}
		for _, c := range inner[i+4:] {
			if !(c == ' ' || c == '_' || c == '"' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
				return false
			}
		}
		return literal(inner[:i])
	}
	switch strings.ToUpper(e) {
	case "NULL", "TRUE", "FALSE":
		return true
	}
	if len(e) >= 2 && e[0] == '\'' && e[len(e)-1] == '\'' {
		return !strings.Contains(strings.ReplaceAll(e[1:len(e)-1], "''", ""), "'")
	}
	e = strings.TrimPrefix(e, "-")
	if e == "" {
		return false
	}
	for _, c := range e {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// ShapeTable is create or replace temporary table name with the rest of
// createTable, which creates rel (DefinitionStatements' first statement:
// CREATE TABLE, rel quoted with its schema, then the columns).
func (Dialect) ShapeTable(createTable string, rel adapter.Relation, name string) (adapter.Stmt, bool) {
	head := "CREATE TABLE " + sqlq.Relation{Schema: rel.Schema, Name: rel.Name}.String()
	rest, ok := strings.CutPrefix(createTable, head)
	if !ok || !strings.HasPrefix(rest, "(") {
		return adapter.Stmt{}, false
	}
	return adapter.Plain("CREATE OR REPLACE TEMPORARY TABLE " + sqlq.Ident(name) + rest), true
}

// ShapeDefinition reads the create table of the temporary table name
// from duckdb_tables().
func (Dialect) ShapeDefinition(name string) adapter.Stmt {
	return adapter.Stmt{SQL: "select sql from duckdb_tables() where database_name = 'temp' and table_name = " + sqlq.Literal(name), Body: -1}
}

// Reshaped turns the create table DuckDB writes for the temporary table
// name (CREATE TEMP TABLE name(...)) into that of rel.
func (Dialect) Reshaped(text, name string, rel adapter.Relation) (adapter.Stmt, bool) {
	rest, ok := cutPrefixFold(text, "CREATE TEMP TABLE ")
	if !ok {
		if rest, ok = cutPrefixFold(text, "CREATE TEMPORARY TABLE "); !ok {
			return adapter.Stmt{}, false
		}
	}
	rest, ok = cutTableName(rest, adapter.Relation{Schema: "temp", Name: name})
	if !ok || !strings.HasPrefix(rest, "(") {
		return adapter.Stmt{}, false
	}
	return adapter.Plain("CREATE TABLE " + sqlq.Relation{Schema: rel.Schema, Name: rel.Name}.String() + strings.TrimSuffix(rest, ";")), true
}
