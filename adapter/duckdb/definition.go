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
