// Package sqlq quotes SQL identifiers and literals for DuckDB and names
// relations.
//
// Quoting follows the SQL standard as DuckDB implements it
// (https://duckdb.org/docs/sql/dialect/keywords_and_identifiers): identifiers
// are wrapped in double quotes with embedded double quotes doubled; string
// literals are wrapped in single quotes with embedded single quotes doubled.
package sqlq

import "strings"

// Ident returns s as a quoted DuckDB identifier: Ident(`a"b`) is `"a""b"`.
func Ident(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// Literal returns s as a DuckDB string literal, wrapped in single quotes
// with embedded single quotes doubled.
func Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Relation names a table or view: an optional database (catalog), a schema
// and a name.
type Relation struct {
	Database string `json:"database,omitempty"`
	Schema   string `json:"schema"`
	Name     string `json:"name"`
}

// String returns the quoted, dotted name of r: "schema"."name", prefixed by
// "database". when Database is set. An empty Schema is left out.
func (r Relation) String() string {
	var b strings.Builder
	if r.Database != "" {
		b.WriteString(Ident(r.Database))
		b.WriteByte('.')
	}
	if r.Schema != "" {
		b.WriteString(Ident(r.Schema))
		b.WriteByte('.')
	}
	b.WriteString(Ident(r.Name))
	return b.String()
}

// Display returns the unquoted, dotted name of r for messages: schema.name.
func (r Relation) Display() string {
	if r.Schema == "" {
		return r.Name
	}
	return r.Schema + "." + r.Name
}

// IsZero reports whether r names nothing.
func (r Relation) IsZero() bool { return r.Name == "" }
