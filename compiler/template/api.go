package template

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// api is dbt's api context object: api.Relation and api.Column, the
// adapter's classes, with the class methods packages call
// (https://docs.getdbt.com/reference/dbt-jinja-functions/api).
type api struct{}

// ephemeralPrefix is the prefix dbt gives ephemeral models' CTEs.
const ephemeralPrefix = "__dbt__cte__"

// Attr implements jinja.Getter.
func (api) Attr(name string) (any, bool) {
	switch name {
	case "Relation":
		return relationClass{}, true
	case "Column":
		return columnClass{}, true
	}
	return nil, false
}

// relationClass is api.Relation: create(database, schema, identifier,
// type, quote_policy, include_policy) and add_ephemeral_prefix(name).
type relationClass struct{}

func (relationClass) Attr(name string) (any, bool) {
	switch name {
	case "create":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if len(c.Args) > 0 {
				return nil, fmt.Errorf("api.Relation.create() takes keyword arguments: database, schema, identifier, type")
			}
			var parts [3]string
			kind := ""
			var excluded, unquoted [3]bool
			for _, kv := range c.Kwargs {
				s := ""
				if kv.Value != nil {
					s = jinja.Str(kv.Value)
				}
				switch kv.Key {
				case "database":
					parts[0] = s
				case "schema":
					parts[1] = s
				case "identifier":
					parts[2] = s
				case "type":
					kind = s
				case "quote_policy", "include_policy":
					if kv.Value == nil {
						continue
					}
					d, ok := kv.Value.(*jinja.Dict)
					if !ok {
						return nil, fmt.Errorf("api.Relation.create(): %s is a dict such as {'identifier': false}, not %s", kv.Key, jinja.TypeName(kv.Value))
					}
					policy := &excluded
					if kv.Key == "quote_policy" {
						policy = &unquoted
					}
					for i, k := range d.Keys() {
						key, _ := k.(string)
						if err := setPolicyPart("api.Relation.create(): "+kv.Key, policy, key, d.Values()[i]); err != nil {
							return nil, err
						}
					}
				default:
					return nil, fmt.Errorf("api.Relation.create() takes no argument %q", kv.Key)
				}
			}
			r := Relation{Database: parts[0], Schema: parts[1], Identifier: parts[2], Type: kind, Excluded: excluded, Unquoted: unquoted}
			return r.rendered(), nil
		}), true
	case "add_ephemeral_prefix":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			v, _ := arg(c, 0, "name")
			return ephemeralPrefix + jinja.Str(v), nil
		}), true
	}
	return nil, false
}

// columnClass is api.Column: create(name, dtype) and dbt's type helpers
// string_type(size), numeric_type(dtype, precision, scale) and
// translate_type(dtype).
type columnClass struct{}

func (columnClass) Attr(name string) (any, bool) {
	switch name {
	case "create":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			n, ok1 := arg(c, 0, "name")
			t, ok2 := arg(c, 1, "label_or_dtype")
			if !ok2 {
				t, ok2 = c.Kwarg("dtype")
			}
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("api.Column.create() takes a name and a data type")
			}
			return Column{Name: jinja.Str(n), Type: translateType(jinja.Str(t))}, nil
		}), true
	case "string_type":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			size, ok := arg(c, 0, "size")
			if !ok {
				return nil, fmt.Errorf("api.Column.string_type() takes a size")
			}
			return fmt.Sprintf("character varying(%s)", jinja.Str(size)), nil
		}), true
	case "numeric_type":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			dtype, ok := arg(c, 0, "dtype")
			if !ok {
				return nil, fmt.Errorf("api.Column.numeric_type() takes a type, a precision and a scale")
			}
			p, _ := arg(c, 1, "precision")
			s, _ := arg(c, 2, "scale")
			if p == nil || s == nil {
				return jinja.Str(dtype), nil
			}
			return fmt.Sprintf("%s(%s,%s)", jinja.Str(dtype), jinja.Str(p), jinja.Str(s)), nil
		}), true
	case "translate_type":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			dtype, ok := arg(c, 0, "dtype")
			if !ok {
				return nil, fmt.Errorf("api.Column.translate_type() takes a type, such as 'string'")
			}
			return translateType(jinja.Str(dtype)), nil
		}), true
	}
	return nil, false
}

// translateType is dbt's Column.translate_type: TYPE_LABELS.get(
// dtype.upper(), dtype) with dbt-adapters' TYPE_LABELS {"STRING": "TEXT"},
// which dbt-duckdb and dbt-postgres keep: 'string' is TEXT, anything else
// is returned as given.
func translateType(dtype string) string {
	if strings.ToUpper(dtype) == "STRING" {
		return "TEXT"
	}
	return dtype
}
