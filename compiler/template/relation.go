package template

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// Relation is a database relation as templates see it: it prints as its
// quoted name and has the attributes database, schema, identifier, name
// and table, like dbt's Relation, which is also a mapping (x is mapping,
// with metadata.type ending in "Relation", as dbt-utils checks).
//
// Its methods are dbt's BaseRelation's: incorporate(path=, type=,
// include_policy=, quote_policy=), replace_path(database=, schema=,
// identifier=), include(...), quote(...), without_identifier() and
// render(). Each returns a copy; one that changes the path or a policy
// renders the name again from the parts, one that changes only the type
// keeps the name as given (a batch marker, an ephemeral model's CTE).
// An argument these methods do not know is an error.
type Relation struct {
	Database, Schema, Identifier string
	Quoted                       string
	// Type is "table", "view" or "" when unknown (dbt's relation.type).
	Type string
	// Excluded are the parts (database, schema, identifier) the name
	// leaves out: dbt's include_policy set to false.
	Excluded [3]bool
	// Unquoted are the parts written without quotes: dbt's quote_policy
	// set to false.
	Unquoted [3]bool
	// OnAccess, when set, is called each time an attribute is read.
	OnAccess func()
}

// partValue is a path part as dbt's relations give it: None when the
// relation has none (an empty part is one set to None by incorporate,
// replace_path or api.Relation.create, or one never given, which dbt's
// Path holds as None), else the text.
func partValue(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// relationParts are the components of a relation's path, in order.
var relationParts = [3]string{"database", "schema", "identifier"}

// String returns the quoted name.
func (r Relation) String() string { return r.Quoted }

// Attr implements jinja.Getter.
func (r Relation) Attr(name string) (any, bool) {
	if r.OnAccess != nil {
		r.OnAccess()
	}
	switch name {
	case "database":
		return partValue(r.Database), true
	case "schema":
		return partValue(r.Schema), true
	case "identifier", "name", "table":
		return partValue(r.Identifier), true
	case "path":
		d := jinja.NewDict()
		for i, v := range r.parts() {
			_ = d.Set(relationParts[i], partValue(v))
		}
		return d, true
	case "is_cte":
		return false, true
	case "type":
		if r.Type == "" {
			return nil, true
		}
		return r.Type, true
	case "is_table":
		return r.Type == "table", true
	case "is_view":
		return r.Type == "view", true
	case "render":
		return jinja.Func(func(*jinja.Call) (any, error) { return r.Quoted, nil }), true
	case "incorporate":
		return jinja.Func(r.incorporate), true
	case "replace_path":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if len(c.Args) > 0 {
				return nil, fmt.Errorf("Relation.replace_path() takes keyword arguments: database, schema, identifier")
			}
			out := r.copy()
			for _, kv := range c.Kwargs {
				if err := out.setPart("Relation.replace_path()", kv.Key, kv.Value); err != nil {
					return nil, err
				}
			}
			return out.rendered(), nil
		}), true
	case "include", "quote":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			out := r.copy()
			policy := &out.Excluded
			if name == "quote" {
				policy = &out.Unquoted
			}
			if err := setPolicy("Relation."+name+"()", policy, c); err != nil {
				return nil, err
			}
			return out.rendered(), nil
		}), true
	case "without_identifier":
		return jinja.Func(func(c *jinja.Call) (any, error) {
			if len(c.Args)+len(c.Kwargs) > 0 {
				return nil, fmt.Errorf("Relation.without_identifier() takes no arguments")
			}
			out := r.copy()
			out.Excluded[2] = true
			out.Identifier = ""
			return out.rendered(), nil
		}), true
	case "metadata":
		d := jinja.NewDict()
		_ = d.Set("type", "DuckDBRelation")
		return d, true
	}
	return nil, false
}

// parts returns database, schema and identifier.
func (r Relation) parts() [3]string { return [3]string{r.Database, r.Schema, r.Identifier} }

// copy returns r without its access callback.
func (r Relation) copy() Relation {
	r.OnAccess = nil
	return r
}

// rendered returns r with Quoted rendered from its parts and policies:
// the included, non-empty parts, quoted unless Unquoted, joined by dots.
func (r Relation) rendered() Relation {
	var q []string
	for i, p := range r.parts() {
		if r.Excluded[i] || p == "" {
			continue
		}
		if !r.Unquoted[i] {
			p = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
		}
		q = append(q, p)
	}
	r.Quoted = strings.Join(q, ".")
	return r
}

// setPart sets path part key (database, schema or identifier) to v; None
// empties it.
func (r *Relation) setPart(method, key string, v any) error {
	s := ""
	if v != nil {
		s = jinja.Str(v)
	}
	switch key {
	case "database":
		r.Database = s
	case "schema":
		r.Schema = s
	case "identifier":
		r.Identifier = s
	default:
		return fmt.Errorf("%s: a relation's path has no part %q; the parts are database, schema and identifier", method, key)
	}
	return nil
}

// incorporate is Relation.incorporate(path=, type=, include_policy=,
// quote_policy=): a copy with those replaced (path and policies merge
// into r's: the parts they do not name stay as they are).
func (r Relation) incorporate(c *jinja.Call) (any, error) {
	const method = "Relation.incorporate()"
	if len(c.Args) > 0 {
		return nil, fmt.Errorf("%s takes keyword arguments: path, type, include_policy, quote_policy", method)
	}
	out := r.copy()
	render := false
	for _, kv := range c.Kwargs {
		switch kv.Key {
		case "type":
			out.Type = ""
			if kv.Value != nil {
				out.Type = jinja.Str(kv.Value)
			}
		case "path", "include_policy", "quote_policy":
			d, ok := kv.Value.(*jinja.Dict)
			if !ok {
				if kv.Value == nil {
					continue
				}
				return nil, fmt.Errorf("%s: %s is a dict such as {'identifier': 'name'}, not %s", method, kv.Key, jinja.TypeName(kv.Value))
			}
			render = true
			for i, k := range d.Keys() {
				key, _ := k.(string)
				v := d.Values()[i]
				if kv.Key == "path" {
					if err := out.setPart(method, key, v); err != nil {
						return nil, err
					}
					continue
				}
				policy := &out.Excluded
				if kv.Key == "quote_policy" {
					policy = &out.Unquoted
				}
				if err := setPolicyPart(method+": "+kv.Key, policy, key, v); err != nil {
					return nil, err
				}
			}
		default:
			return nil, fmt.Errorf("%s takes no argument %q: kiln supports path, type, include_policy and quote_policy", method, kv.Key)
		}
	}
	if render {
		return out.rendered(), nil
	}
	return out, nil
}

// setPolicy applies include(database, schema, identifier) or quote(...)
// to policy (true marks a part excluded or unquoted): positional or
// keyword booleans, None leaving a part as it is.
func setPolicy(method string, policy *[3]bool, c *jinja.Call) error {
	if len(c.Args) > 3 {
		return fmt.Errorf("%s takes at most 3 arguments: database, schema, identifier", method)
	}
	for i, v := range c.Args {
		if err := setPolicyPart(method, policy, relationParts[i], v); err != nil {
			return err
		}
	}
	for _, kv := range c.Kwargs {
		if err := setPolicyPart(method, policy, kv.Key, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

// setPolicyPart sets part key of policy from v: v false marks it
// (excluded or unquoted), true clears it, None leaves it.
func setPolicyPart(method string, policy *[3]bool, key string, v any) error {
	for i, p := range relationParts {
		if p == key {
			if v != nil {
				policy[i] = !jinja.Truth(v)
			}
			return nil
		}
	}
	return fmt.Errorf("%s takes no argument %q: the parts are database, schema and identifier", method, key)
}

// relationKey is a relation as a dict key: by its quoted name.
type relationKey struct{ quoted string }

// HashKey implements jinja.Hashable.
func (r Relation) HashKey() any { return relationKey{r.Quoted} }

// Keys implements jinja.Mapping.
func (r Relation) Keys() []string { return []string{"database", "schema", "identifier", "metadata"} }
