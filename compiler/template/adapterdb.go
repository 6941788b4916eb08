package template

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// Column is a column as dbt's adapter gives it (dbt.adapters.base.Column):
// name, column and quoted, data_type and dtype, and the is_* tests.
type Column struct {
	Name, Type string
}

// Attr implements jinja.Getter.
func (c Column) Attr(name string) (any, bool) {
	t := strings.ToUpper(c.Type)
	is := func(ok bool) jinja.Func { return func(*jinja.Call) (any, error) { return ok, nil } }
	switch name {
	case "name", "column":
		return c.Name, true
	case "quoted":
		return `"` + strings.ReplaceAll(c.Name, `"`, `""`) + `"`, true
	case "data_type", "dtype":
		return c.Type, true
	case "is_string":
		return is(strings.Contains(t, "CHAR") || t == "TEXT" || t == "STRING"), true
	case "is_number", "is_numeric":
		return is(isNumericType(t)), true
	case "is_integer":
		return is(strings.Contains(t, "INT")), true
	case "is_float":
		return is(t == "DOUBLE" || t == "FLOAT" || t == "REAL"), true
	case "char_size", "numeric_precision", "numeric_scale":
		return nil, true
	}
	return nil, false
}

func (c Column) String() string { return fmt.Sprintf("<Column %s (%s)>", c.Name, c.Type) }

func isNumericType(t string) bool {
	for _, p := range []string{"INT", "DECIMAL", "NUMERIC", "DOUBLE", "FLOAT", "REAL", "HUGEINT"} {
		if strings.Contains(t, p) {
			return true
		}
	}
	return false
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

// execute is adapter.execute(sql, fetch=False): a response and a table.
func (a *adapterObj) execute(c *jinja.Call) (any, error) {
	if len(c.Args) < 1 {
		return nil, fmt.Errorf("adapter.execute() takes a SQL statement")
	}
	db := a.db()
	if db == nil {
		return jinja.Tuple{"", NewTable(nil, nil, nil)}, nil
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
		return jinja.Tuple{"OK", NewTable(nil, nil, nil)}, db.Exec(sql)
	}
	cols, types, rows, err := db.Query(sql)
	if err != nil {
		return nil, err
	}
	return jinja.Tuple{"OK", NewTable(cols, types, rows)}, nil
}
