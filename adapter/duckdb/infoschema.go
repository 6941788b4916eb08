package duckdb

import (
	"strings"

	"github.com/kiln-build/kiln/internal/sqlq"
)

// infoSchemaCatalogColumn is, for each view of DuckDB's information_schema,
// the column that names the catalog (database) a row belongs to.
var infoSchemaCatalogColumn = map[string]string{
	"tables": "table_catalog", "columns": "table_catalog", "views": "table_catalog",
	"table_constraints": "table_catalog", "key_column_usage": "table_catalog",
	"constraint_column_usage": "table_catalog", "constraint_table_usage": "table_catalog",
	"schemata": "catalog_name", "check_constraints": "constraint_catalog",
	"referential_constraints": "constraint_catalog",
}

// catalogInfoSchema rewrites each reference to a database's
// information_schema, <database>.information_schema.<view> (any part
// quoted or not), which DuckDB rejects ("schema information_schema does
// not exist": its information_schema lives in the system catalog and
// lists every database), into the rows of that database:
//
//	(select * from system.information_schema.<view> where lower(<catalog column>) = lower('<database>')) as <view>
//
// keeping an alias that follows (the rewrite adds "as <view>" only when
// none does). PostgreSQL, Snowflake and Redshift have one
// information_schema per database, and packages write such names: dbt_utils'
// get_tables_by_pattern_sql reads {{ database }}.information_schema.tables.
// system.information_schema.<view>, names of four parts or more, and the
// text of string literals, quoted identifiers alone and comments are left
// as they are. A view whose catalog column is unknown (character_sets)
// reads system's view unfiltered. q is returned as is when it does not
// mention information_schema.
func catalogInfoSchema(q string) string {
	if !containsFold(q, "information_schema") {
		return q
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'':
			escapes := i > 0 && (q[i-1] == 'E' || q[i-1] == 'e') && (i < 2 || !sqlq.IsIdentByte(q[i-2]))
			i = orEnd(q, sqlq.QuotedEnd(q, i, escapes))
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			if nl := strings.IndexByte(q[i:], '\n'); nl >= 0 {
				i += nl + 1
			} else {
				i = len(q)
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			i = orEnd(q, sqlq.BlockCommentEnd(q, i))
		case c == '$' && (i == 0 || !sqlq.IsIdentByte(q[i-1])):
			i = orEnd(q, sqlq.DollarEnd(q, i))
		case c == '"' || sqlq.IsIdentByte(c):
			parts, end := readName(q, i)
			if rep, ok := infoSchemaReference(q, i, parts, end); ok {
				b.WriteString(q[last:i])
				b.WriteString(rep)
				last = end
			}
			i = max(end, i+1)
		default:
			i++
		}
	}
	if last == 0 {
		return q
	}
	b.WriteString(q[last:])
	return b.String()
}

// namePart is one identifier of a dotted name: its text as written and
// its value (unquoted, quotes undone).
type namePart struct{ text, value string }

// readName reads the dotted name (identifiers, quoted or not, joined by
// dots with optional spaces around them) that starts at i, and returns its
// parts and the offset after it.
func readName(q string, i int) ([]namePart, int) {
	var parts []namePart
	for {
		p, end := readIdent(q, i)
		if end == i {
			break
		}
		parts = append(parts, p)
		i = end
		j := skipSpace(q, i)
		if j >= len(q) || q[j] != '.' {
			break
		}
		k := skipSpace(q, j+1)
		if _, next := readIdent(q, k); next == k {
			break
		}
		i = k
	}
	return parts, i
}

// readIdent reads one identifier at i: "quoted" or a run of identifier
// bytes; end is i when there is none.
func readIdent(q string, i int) (namePart, int) {
	if i >= len(q) {
		return namePart{}, i
	}
	if q[i] == '"' {
		end := sqlq.QuotedEnd(q, i, false)
		if end < 0 {
			return namePart{}, i
		}
		return namePart{q[i:end], strings.ReplaceAll(q[i+1:end-1], `""`, `"`)}, end
	}
	j := i
	for j < len(q) && sqlq.IsIdentByte(q[j]) {
		j++
	}
	return namePart{q[i:j], q[i:j]}, j
}

// infoSchemaReference returns the rewrite of the name parts (from start
// to end in q) when they are <database>.information_schema.<view>.
func infoSchemaReference(q string, start int, parts []namePart, end int) (string, bool) {
	if len(parts) != 3 || !strings.EqualFold(parts[1].value, "information_schema") || strings.EqualFold(parts[0].value, "system") {
		return "", false
	}
	if p := prevNonSpace(q, start); p >= 0 && q[p] == '.' {
		return "", false
	}
	view := parts[2]
	var b strings.Builder
	b.WriteString("(select * from system.information_schema.")
	b.WriteString(view.text)
	if col := infoSchemaCatalogColumn[strings.ToLower(view.value)]; col != "" {
		b.WriteString(" where lower(" + col + ") = lower(" + sqlq.Literal(parts[0].value) + ")")
	}
	b.WriteString(")")
	if !hasAlias(q, end) {
		b.WriteString(" as " + view.text)
	}
	return b.String(), true
}

// hasAlias reports whether an alias follows a table reference that ends
// at i: AS, or an identifier that is not a keyword (where, join, on...).
func hasAlias(q string, i int) bool {
	j := skipSpace(q, i)
	p, end := readIdent(q, j)
	if end == j {
		return false
	}
	if strings.HasPrefix(p.text, `"`) || strings.EqualFold(p.text, "as") {
		return true
	}
	return !sqlq.IsKeyword(p.text)
}

func skipSpace(q string, i int) int {
	for i < len(q) && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r') {
		i++
	}
	return i
}

func prevNonSpace(q string, i int) int {
	for i--; i >= 0 && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r'); i-- {
	}
	return i
}

// containsFold reports whether s contains sub (ASCII lower case), in any
// case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i]|0x20 == sub[0] && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// orEnd is end, or the end of q for what is never closed (-1).
func orEnd(q string, end int) int {
	if end < 0 {
		return len(q)
	}
	return end
}
