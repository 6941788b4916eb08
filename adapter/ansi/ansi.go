// Package ansi is the dialect of standard SQL (SQL:2016 as DuckDB and
// PostgreSQL implement it), the base that a database's dialect embeds and
// overrides where its database spells a statement otherwise, as dbt's
// adapters override its default__ macros. Identifiers are quoted with
// double quotes, strings with single quotes (the embedded quote doubled).
package ansi

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Dialect builds standard SQL; see adapter.Dialect. The zero value is
// ready to use.
type Dialect struct{}

var _ adapter.Dialect = Dialect{}

// Body returns a query ready to nest in a statement: trailing whitespace
// and semicolons removed.
func Body(query string) string {
	s := strings.TrimSpace(query)
	for strings.HasSuffix(s, ";") {
		s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
	}
	return s
}

// Nest returns prefix + "(\n" + the body of query + "\n)" + suffix as a
// statement whose Body is the offset of the query in it.
func Nest(prefix, query, suffix string) adapter.Stmt {
	return adapter.Stmt{SQL: prefix + "(\n" + Body(query) + "\n)" + suffix, Body: len(prefix) + 2}
}

// Quote returns ident in double quotes.
func (Dialect) Quote(ident string) string { return sqlq.Ident(ident) }

// Literal returns s in single quotes.
func (Dialect) Literal(s string) string { return sqlq.Literal(s) }

// QuoteRelation returns "database"."schema"."name" (without the parts
// that are empty).
func (Dialect) QuoteRelation(rel adapter.Relation) string { return rel.String() }

// CreateSchema is create schema if not exists.
func (Dialect) CreateSchema(schema string) adapter.Stmt {
	return adapter.Plain("create schema if not exists " + sqlq.Ident(schema))
}

// CreateTableAs is create table ... as (query); standard SQL replaces
// nothing.
func (Dialect) CreateTableAs(rel adapter.Relation, query string) adapter.Stmt {
	s := Nest("create table "+rel.String()+" as ", query, "")
	s.CountRows = true
	return s
}

// CreateTable is create table rel (col type, ...).
func (Dialect) CreateTable(rel adapter.Relation, cols []adapter.Column) adapter.Stmt {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = sqlq.Ident(c.Name) + " " + c.Type
	}
	return adapter.Plain("create table " + rel.String() + " (" + strings.Join(defs, ", ") + ")")
}

// CreateTableWith is create table rel (def, ...).
func (Dialect) CreateTableWith(rel adapter.Relation, defs []string) adapter.Stmt {
	return adapter.Plain("create table " + rel.String() + " (" + strings.Join(defs, ", ") + ")")
}

// InsertSelect is insert into rel (cols) select cols from (query) as
// model_subq.
func (Dialect) InsertSelect(into adapter.Relation, cols []string, query string) adapter.Stmt {
	list := strings.Join(cols, ", ")
	s := Nest("insert into "+into.String()+" ("+list+")\nselect "+list+" from ", query, " as model_subq")
	s.CountRows = true
	return s
}

// ForeignKeyOrphans is select count(*) over () as violations, c.cols
// from rel as c where every column is not null and not exists (select 1
// from to as p where p.toCol = c.col ...) limit 1: SQL's MATCH SIMPLE, a
// row with a NULL in the key references nothing.
func (Dialect) ForeignKeyOrphans(rel adapter.Relation, cols []string, to string, toCols []string) adapter.Stmt {
	var b strings.Builder
	b.WriteString("select count(*) over () as violations")
	for _, c := range cols {
		b.WriteString(", c." + c)
	}
	b.WriteString("\nfrom " + rel.String() + " as c\nwhere ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(" and ")
		}
		b.WriteString("c." + c + " is not null")
	}
	b.WriteString("\n  and not exists (select 1 from " + to + " as p where ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(" and ")
		}
		b.WriteString("p." + toCols[i] + " = c." + c)
	}
	b.WriteString(")\nlimit 1")
	return adapter.Plain(b.String())
}

// CreateViewAs is create or replace view ... as (query).
func (Dialect) CreateViewAs(rel adapter.Relation, query string) adapter.Stmt {
	return Nest("create or replace view "+rel.String()+" as ", query, "")
}

// DropRelation is drop table|view [if exists].
func (Dialect) DropRelation(rel adapter.Relation, kind adapter.Kind, ifExists bool) adapter.Stmt {
	ie := ""
	if ifExists {
		ie = "if exists "
	}
	return adapter.Plain(fmt.Sprintf("drop %s %s%s", kind, ie, rel))
}

// RenameRelation is alter table|view ... rename to.
func (Dialect) RenameRelation(rel adapter.Relation, kind adapter.Kind, name string) adapter.Stmt {
	return adapter.Plain(fmt.Sprintf("alter %s %s rename to %s", kind, rel, sqlq.Ident(name)))
}

// CopyTable is create table to as select * from from.
func (Dialect) CopyTable(from, to adapter.Relation) adapter.Stmt {
	return adapter.Plain("create table " + to.String() + " as select * from " + from.String())
}

// AddColumns is alter table ... add column, once per column.
func (Dialect) AddColumns(rel adapter.Relation, cols []adapter.Column) adapter.Stmt {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("alter table %s add column %s %s", rel, sqlq.Ident(c.Name), c.Type)
	}
	return adapter.Plain(strings.Join(parts, ";\n"))
}

// SelectAll is select * from rel [order by orderBy].
func (Dialect) SelectAll(rel adapter.Relation, orderBy string) string {
	q := "select * from " + rel.String()
	if orderBy != "" {
		q += " order by " + orderBy
	}
	return q
}

// MaxLoadedAt is select max(loadedAt) as max_loaded_at from rel [where
// filter], as dbt's default__collect_freshness.
func (d Dialect) MaxLoadedAt(rel adapter.Relation, loadedAt, filter string) string {
	q := "select max(" + loadedAt + ") as max_loaded_at from " + d.QuoteRelation(rel)
	if filter != "" {
		q += " where " + filter
	}
	return q
}

// MaxLoadedAtQuery is with source_query as (query) select (select * from
// source_query) as max_loaded_at, as dbt's
// default__collect_freshness_custom_sql: a query of more than one row is
// the database's error, one of no row gives null.
func (Dialect) MaxLoadedAtQuery(query string) string {
	return "with source_query as (\n" + strings.TrimRight(strings.TrimSpace(query), ";") + "\n)\nselect (select * from source_query) as max_loaded_at"
}

// CountRows is select count(*) from from.
func (Dialect) CountRows(from string) string { return "select count(*) from " + from }

// TestQuery is dbt's default__get_test_sql: select failCalc as failures
// from (query [limit]) dbt_internal_test; the limit applies to a derived
// table of its own (standard SQL, and PostgreSQL before 16, require its
// alias).
func (Dialect) TestQuery(query, failCalc string, limit int64) adapter.Stmt {
	if strings.TrimSpace(failCalc) == "" {
		failCalc = "count(*)"
	}
	prefix := "select " + failCalc + " as failures from (\n"
	if limit >= 0 {
		prefix += limitPrefix
		return adapter.Stmt{SQL: prefix + Body(query) + limitSuffix(limit) + "\n) dbt_internal_test", Body: len(prefix)}
	}
	return adapter.Stmt{SQL: prefix + Body(query) + "\n) dbt_internal_test", Body: len(prefix)}
}

const limitPrefix = "select * from (\n"

func limitSuffix(limit int64) string {
	return "\n) as dbt_internal_limited limit " + strconv.FormatInt(limit, 10)
}

// LimitRows is select * from (query) as dbt_internal_limited limit n; the
// query's body itself when limit < 0.
func (Dialect) LimitRows(query string, limit int64) adapter.Stmt {
	if limit < 0 {
		return adapter.Stmt{SQL: Body(query)}
	}
	return adapter.Stmt{SQL: limitPrefix + Body(query) + limitSuffix(limit), Body: len(limitPrefix)}
}

// Describe is select * from (query) limit 0: the database describes the
// result's columns without computing a row.
func (Dialect) Describe(query string) adapter.Stmt {
	return Nest("select * from ", query, " as q limit 0")
}

// NormalizeTypes is select cast(null as t1), ...: a database reads the
// types from the result.
func (Dialect) NormalizeTypes(types []string) string {
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = "cast(null as " + t + ")"
	}
	return "select " + strings.Join(parts, ", ")
}

// CopyToCSV is SQL/MED-free COPY as PostgreSQL spells it: copy (query) to
// 'path' with (format csv, header).
func (Dialect) CopyToCSV(query, path string) adapter.Stmt {
	return Nest("copy ", query, " to "+sqlq.Literal(path)+" with (format csv, header)")
}

// GivenRows returns the query of a unit test's literal rows; see
// adapter.Dialect.
func (d Dialect) GivenRows(r graph.Rows, cols []adapter.Column) string {
	if r.SQL != "" {
		return Body(r.SQL)
	}
	if len(cols) == 0 {
		if len(r.Values) == 0 {
			return "select null as no_columns where false"
		}
		return "select * from (values " + tuples(r) + ") as given(" + identList(r.Columns) + ")"
	}
	given := map[string]int{}
	for i, c := range r.Columns {
		given[strings.ToLower(c)] = i
	}
	var sel []string
	for _, c := range cols {
		if i, ok := given[strings.ToLower(c.Name)]; ok && len(r.Values) > 0 {
			sel = append(sel, fmt.Sprintf("cast(given.%s as %s) as %s", sqlq.Ident(r.Columns[i]), c.Type, sqlq.Ident(c.Name)))
		} else {
			sel = append(sel, fmt.Sprintf("cast(null as %s) as %s", c.Type, sqlq.Ident(c.Name)))
		}
	}
	if len(r.Values) == 0 {
		return "select " + strings.Join(sel, ", ") + " where false"
	}
	return "select " + strings.Join(sel, ", ") + " from (values " + tuples(r) + ") as given(" + identList(r.Columns) + ")"
}

func tuples(r graph.Rows) string {
	rows := make([]string, len(r.Values))
	for i, row := range r.Values {
		vals := make([]string, len(row))
		for j, v := range row {
			vals[j] = Value(v)
		}
		rows[i] = "(" + strings.Join(vals, ", ") + ")"
	}
	return strings.Join(rows, ", ")
}

func identList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = sqlq.Ident(n)
	}
	return strings.Join(q, ", ")
}

// Value writes a Go value as a SQL literal: NULL, true/false, numbers,
// or a quoted string; infinities and NaN as a cast of their text to
// double.
func Value(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "'" + strconv.FormatFloat(x, 'g', -1, 64) + "'::double"
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return sqlq.Literal(x)
	}
	return sqlq.Literal(fmt.Sprint(v))
}

// UnitTestDiff returns the multiset comparison of a unit test's actual
// rows with the expected ones; see adapter.Dialect.
func (d Dialect) UnitTestDiff(actual string, expect graph.Rows, types map[string]string) string {
	cols := expect.Columns
	var sel, castSel []string
	for _, c := range cols {
		sel = append(sel, sqlq.Ident(c))
		t := types[strings.ToLower(c)]
		if t == "" {
			castSel = append(castSel, sqlq.Ident(c))
		} else {
			castSel = append(castSel, fmt.Sprintf("cast(%s as %s) as %s", sqlq.Ident(c), t, sqlq.Ident(c)))
		}
	}
	list := strings.Join(sel, ", ")
	exp := "select " + strings.Join(castSel, ", ") + " from (" + d.GivenRows(expect, nil) + ") as e"
	if len(expect.Values) == 0 && expect.SQL == "" {
		var nulls []string
		for i, c := range cols {
			nulls = append(nulls, fmt.Sprintf("cast(null as %s) as %s", orText(types[strings.ToLower(c)]), sel[i]))
		}
		exp = "select " + strings.Join(nulls, ", ") + " where false"
	}
	return "with __kiln_actual as (select " + list + " from (\n" + Body(actual) + "\n) as a),\n" +
		"__kiln_expected as (" + exp + ")\n" +
		"select 'missing' as diff, * from (select * from __kiln_expected except all select * from __kiln_actual) as m\n" +
		"union all\n" +
		"select 'unexpected' as diff, * from (select * from __kiln_actual except all select * from __kiln_expected) as u"
}

func orText(t string) string {
	if t == "" {
		return "varchar"
	}
	return t
}

// WithCTEs adds ctes to query: into its leading WITH clause (after
// RECURSIVE) when it has one, else as a new WITH clause in front of it,
// after leading comments.
func (Dialect) WithCTEs(query string, ctes []string) string { return WithCTEs(query, ctes) }

// WithCTEs is Dialect.WithCTEs, for the compiler, which inlines ephemeral
// models as CTEs before any database is known.
func WithCTEs(sql string, ctes []string) string {
	if len(ctes) == 0 {
		return sql
	}
	joined := strings.Join(ctes, ",\n")
	i := skipSpaceAndComments(sql, 0)
	if kw, end := word(sql, i); strings.EqualFold(kw, "with") {
		j := skipSpaceAndComments(sql, end)
		if kw2, end2 := word(sql, j); strings.EqualFold(kw2, "recursive") {
			end = end2
		}
		return sql[:end] + "\n" + joined + ",\n" + strings.TrimLeft(sql[end:], " \t")
	}
	return sql[:i] + "with " + joined + "\n" + sql[i:]
}

func skipSpaceAndComments(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r':
			i++
		case strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return len(s)
			}
			i += j + 1
		case strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return len(s)
			}
			i += j + 4
		default:
			return i
		}
	}
	return i
}

func word(s string, i int) (string, int) {
	j := i
	for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
		j++
	}
	return s[i:j], j
}
