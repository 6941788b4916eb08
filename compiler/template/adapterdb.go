package template

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// Column is a column as dbt's adapter gives it (dbt.adapters.base.Column,
// with dbt-postgres's data_type): Type is the database's spelling of its
// type with its modifier, as PostgreSQL's format_type ("character
// varying(50)", "numeric(28,6)", "text") or DuckDB ("VARCHAR",
// "DECIMAL(18,3)") write it.
//
// Templates read name, column, quoted, dtype and data_type (Type as
// written), char_size, numeric_precision and numeric_scale (from Type's
// modifier, none without one), and call is_string(), is_number(),
// is_numeric(), is_integer(), is_float(), string_size() (char_size, 256
// without one; an error for a column that is not a string),
// can_expand_to(other), literal(value) and the class's string_type(size),
// numeric_type(dtype, precision, scale) and translate_type(dtype).
type Column struct {
	Name, Type string
}

// Attr implements jinja.Getter.
func (c Column) Attr(name string) (any, bool) {
	base, mods := splitType(c.Type)
	is := func(ok bool) jinja.Func { return func(*jinja.Call) (any, error) { return ok, nil } }
	switch name {
	case "name", "column":
		return c.Name, true
	case "quoted":
		return `"` + strings.ReplaceAll(c.Name, `"`, `""`) + `"`, true
	case "data_type", "dtype":
		return c.Type, true
	case "is_string":
		return is(c.isString()), true
	case "is_number":
		return is(integerTypes[base] || floatTypes[base] || numericTypes[base]), true
	case "is_numeric":
		return is(numericTypes[base]), true
	case "is_integer":
		return is(integerTypes[base]), true
	case "is_float":
		return is(floatTypes[base]), true
	case "char_size":
		if c.isString() && len(mods) == 1 {
			return mods[0], true
		}
		return nil, true
	case "numeric_precision", "numeric_scale":
		if !numericTypes[base] || len(mods) == 0 {
			return nil, true
		}
		if name == "numeric_precision" {
			return mods[0], true
		}
		if len(mods) == 2 {
			return mods[1], true
		}
		return 0, true
	case "string_size":
		return jinja.Func(func(*jinja.Call) (any, error) { return c.stringSize() }), true
	case "can_expand_to":
		return jinja.Func(func(call *jinja.Call) (any, error) {
			v, _ := arg(call, 0, "other_column")
			o, ok := v.(Column)
			if !ok {
				return nil, fmt.Errorf("Column.can_expand_to() takes a column, got %s", jinja.Str(v))
			}
			if !c.isString() || !o.isString() {
				return false, nil
			}
			return c.size() < o.size(), nil
		}), true
	case "literal":
		return jinja.Func(func(call *jinja.Call) (any, error) {
			v, _ := arg(call, 0, "value")
			return jinja.Str(v) + "::" + c.Type, nil
		}), true
	case "string_type", "numeric_type", "translate_type":
		return columnClass{}.Attr(name)
	}
	return nil, false
}

func (c Column) String() string { return fmt.Sprintf("<Column %s (%s)>", c.Name, c.Type) }

func (c Column) isString() bool {
	base, _ := splitType(c.Type)
	return stringTypes[base]
}

// stringSize is dbt's Column.string_size(): the declared length of a
// string column, 256 without one.
func (c Column) stringSize() (any, error) {
	if !c.isString() {
		return nil, fmt.Errorf("Column.string_size() called on the non-string column %s of type %s", c.Name, c.Type)
	}
	return c.size(), nil
}

// size is the declared length of a string column, 256 without one.
func (c Column) size() int {
	if _, mods := splitType(c.Type); len(mods) == 1 {
		return mods[0]
	}
	return 256
}

// splitType splits a type as written into its lower-case base name and
// the integers of its modifier: "character varying(50)" is "character
// varying" and [50], "DECIMAL(18,3)" is "decimal" and [18 3]; an array
// type's base is the whole text.
func splitType(t string) (string, []int) {
	t = strings.ToLower(strings.TrimSpace(t))
	open := strings.IndexByte(t, '(')
	if open < 0 || !strings.HasSuffix(t, ")") {
		return t, nil
	}
	var mods []int
	for _, f := range strings.Split(t[open+1:len(t)-1], ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return t, nil
		}
		mods = append(mods, n)
	}
	return strings.TrimSpace(t[:open]), mods
}

// The type names of dbt's Column tests, with PostgreSQL's and DuckDB's
// aliases.
var (
	stringTypes  = set("text", "character varying", "character", "varchar", "char", "bpchar", "string", "nvarchar")
	integerTypes = set("smallint", "integer", "bigint", "smallserial", "serial", "bigserial",
		"int2", "int4", "int8", "serial2", "serial4", "serial8", "int", "tinyint", "hugeint", "uhugeint",
		"utinyint", "usmallint", "uinteger", "ubigint", "int1", "int16", "int32", "int64", "int128", "long", "short", "signed")
	floatTypes   = set("real", "float4", "float", "double precision", "float8", "double")
	numericTypes = set("numeric", "decimal")
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// relationArg reads a relation argument: a Relation, or a string
// (a relation's quoted name is not parsed: it is used as given).
func relationArg(c *jinja.Call, i int, kw string) (Relation, bool) {
	var v any
	if i < len(c.Args) {
		v = c.Args[i]
	}
	if x, ok := c.Kwarg(kw); ok {
		v = x
	}
	r, ok := v.(Relation)
	return r, ok
}

// db returns the database; a template that asks for it renders again at
// run time (it is told to OnExecute), as one that reads execute.
func (a *adapterObj) db() DB {
	if a.c == nil {
		return nil
	}
	if a.c.OnExecute != nil {
		a.c.OnExecute()
	}
	return a.c.DB
}

// getColumns is adapter.get_columns_in_relation(relation): its columns,
// none at compile time.
func (a *adapterObj) getColumns(c *jinja.Call) (any, error) {
	r, ok := relationArg(c, 0, "relation")
	if !ok {
		return nil, fmt.Errorf("adapter.get_columns_in_relation() takes a relation")
	}
	out := jinja.NewList()
	db := a.db()
	if db == nil {
		return out, nil
	}
	names, types, err := db.Columns(r.Database, r.Schema, r.Identifier)
	if err != nil {
		return nil, err
	}
	for i := range names {
		out.Items = append(out.Items, Column{Name: names[i], Type: types[i]})
	}
	return out, nil
}

// getRelation is adapter.get_relation(database, schema, identifier): the
// relation, or None when it does not exist (always at compile time).
func (a *adapterObj) getRelation(c *jinja.Call) (any, error) {
	args := []string{"database", "schema", "identifier"}
	vals := make([]string, 3)
	for i, k := range args {
		var v any
		if i < len(c.Args) {
			v = c.Args[i]
		}
		if x, ok := c.Kwarg(k); ok {
			v = x
		}
		if v != nil {
			vals[i] = jinja.Str(v)
		}
	}
	db := a.db()
	if db == nil {
		return nil, nil
	}
	kind, err := db.Kind(vals[0], vals[1], vals[2])
	if err != nil || kind == "" {
		return nil, err
	}
	r := NewRelation(db, vals[0], vals[1], vals[2])
	r.Type = kind
	if vals[1] == "" || vals[2] == "" {
		return r, nil // looked up on the search path
	}
	// dbt compares the names the database lists with those searched for
	// exactly (its quoting is on by default, on PostgreSQL and DuckDB
	// alike: BaseRelation.matches): an exact match is the relation as
	// listed; one that differs only in case is dbt's ApproximateMatchError.
	rels, _, err := db.Relations(vals[0], vals[1], vals[2])
	if err != nil {
		return nil, err
	}
	var near *Relation
	for i, x := range rels {
		if !strings.EqualFold(x.Identifier, vals[2]) {
			continue // a LIKE pattern's _ matched another character
		}
		if x.Schema == vals[1] && x.Identifier == vals[2] {
			return x, nil
		}
		near = &rels[i]
	}
	if near != nil {
		return nil, fmt.Errorf("adapter.get_relation searched for %s and found %s, whose name differs only in case: as dbt (its ApproximateMatchError), kiln does not guess which relation is meant; spell the schema and identifier as the database lists them, or rename the relation", r.Quoted, near.Quoted)
	}
	return r, nil
}

// NewRelation returns the relation database.schema.identifier, quoted
// with db's quoting (every part that is set).
func NewRelation(db interface{ Quote(string) string }, database, schema, identifier string) Relation {
	var parts []string
	for _, p := range []string{database, schema, identifier} {
		if p != "" {
			parts = append(parts, db.Quote(p))
		}
	}
	return Relation{Database: database, Schema: schema, Identifier: identifier, Quoted: strings.Join(parts, ".")}
}

// dropRelation is adapter.drop_relation(relation).
func (a *adapterObj) dropRelation(c *jinja.Call) (any, error) {
	r, ok := relationArg(c, 0, "relation")
	if !ok {
		return nil, fmt.Errorf("adapter.drop_relation() takes a relation")
	}
	db := a.db()
	if db == nil {
		return "", nil
	}
	kind := r.Type
	if kind == "" {
		k, err := db.Kind(r.Database, r.Schema, r.Identifier)
		if err != nil {
			return nil, err
		}
		kind = k
	}
	if kind == "" {
		return "", nil
	}
	return "", db.Exec(fmt.Sprintf("drop %s if exists %s", kind, r.Quoted))
}

// listRelations is adapter.list_relations_without_caching(schema_relation).
func (a *adapterObj) listRelations(c *jinja.Call) (any, error) {
	r, ok := relationArg(c, 0, "schema_relation")
	if !ok {
		return nil, fmt.Errorf("adapter.list_relations_without_caching() takes a relation")
	}
	out := jinja.NewList()
	db := a.db()
	if db == nil {
		return out, nil
	}
	rels, _, err := db.Relations(r.Database, r.Schema, "%")
	if err != nil {
		return nil, err
	}
	for _, x := range rels {
		out.Items = append(out.Items, x)
	}
	return out, nil
}

// listSchemas is adapter.list_schemas(database): the names of the
// schemas of database (all the connection sees when database is None
// or ""), from information_schema.schemata; none at compile time.
func (a *adapterObj) listSchemas(c *jinja.Call) (any, error) {
	if len(c.Args) > 1 || len(c.Kwargs) > 1 || len(c.Kwargs) == 1 && c.Kwargs[0].Key != "database" {
		return nil, fmt.Errorf("adapter.list_schemas() takes one argument: database")
	}
	out := jinja.NewList()
	db := a.db()
	if db == nil {
		return out, nil
	}
	sql := "select schema_name from information_schema.schemata"
	if v, _ := arg(c, 0, "database"); v != nil && jinja.Str(v) != "" {
		sql += " where catalog_name = '" + strings.ReplaceAll(jinja.Str(v), "'", "''") + "'"
	}
	_, _, rows, err := db.Query(sql + " order by schema_name")
	if err != nil {
		return nil, fmt.Errorf("adapter.list_schemas: %v", err)
	}
	for _, r := range rows {
		out.Items = append(out.Items, jinja.Str(r[0]))
	}
	return out, nil
}

// execute is adapter.execute(sql, fetch=False): a response and a table.
func (a *adapterObj) execute(c *jinja.Call) (any, error) {
	if len(c.Args) < 1 {
		return nil, fmt.Errorf("adapter.execute() takes a SQL statement")
	}
	db := a.db()
	if db == nil {
		return jinja.Tuple{statementResponse, NewTable(nil, nil, nil)}, nil
	}
	fetch := false
	if len(c.Args) > 2 {
		fetch = jinja.Truth(c.Args[2])
	}
	if v, ok := c.Kwarg("fetch"); ok {
		fetch = jinja.Truth(v)
	}
	sql := jinja.Str(c.Args[0])
	if !fetch {
		return jinja.Tuple{statementResponse, NewTable(nil, nil, nil)}, db.Exec(sql)
	}
	cols, types, rows, err := db.Query(sql)
	if err != nil {
		return nil, err
	}
	return jinja.Tuple{statementResponse, NewTable(cols, types, rows).logTo(a.c.Log)}, nil
}
