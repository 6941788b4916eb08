package template

import (
	"fmt"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// configObj is dbt's config context variable: config(...) sets configs;
// config.get(name, default=None, validator=None) and
// config.require(name, validator=None) read the node's config (custom
// keys included), config.meta_get and config.meta_require read its meta
// first, then its top level (dbt >= 1.10.x), and config.set(name, value)
// is config(name=value). Reads are available when Context.ConfigValue
// is set.
type configObj struct{ g *globals }

// CallJinja implements jinja.Callable: config(...).
func (o configObj) CallJinja(call *jinja.Call) (any, error) { return o.g.config(call) }

// Attr implements jinja.Getter.
func (o configObj) Attr(name string) (any, bool) {
	c := o.g.c
	switch name {
	case "set":
		return jinja.Func(func(call *jinja.Call) (any, error) {
			if len(call.Args) != 2 || len(call.Kwargs) > 0 {
				return nil, fmt.Errorf("config.set() takes a name and a value, such as config.set('materialized', 'table')")
			}
			key, ok := call.Args[0].(string)
			if !ok {
				return nil, fmt.Errorf("config.set() takes a name as its first argument, not %s", jinja.Str(call.Args[0]))
			}
			return "", c.Config(map[string]any{key: jinja.Plain(call.Args[1])}, call.Root(), nil)
		}), true
	}
	if c.ConfigValue == nil {
		switch name {
		case "get", "meta_get", "require", "meta_require":
			return jinja.Func(func(*jinja.Call) (any, error) {
				return nil, fmt.Errorf("config.%s() is not supported yet here: kiln reads a node's config in models, snapshots, seeds' hooks, singular and generic tests and the macros they call; in on-run-start and on-run-end dbt reads the hook's own operation node, whose config kiln does not make", name)
			}), true
		}
		return nil, false
	}
	switch name {
	case "get", "meta_get":
		return jinja.Func(func(call *jinja.Call) (any, error) {
			key, def, err := configArgs("config."+name, call, true)
			if err != nil {
				return nil, err
			}
			if v, ok := o.lookup(key, name == "meta_get"); ok {
				return jinja.FromGo(v), nil
			}
			return def, nil
		}), true
	case "require", "meta_require":
		return jinja.Func(func(call *jinja.Call) (any, error) {
			key, _, err := configArgs("config."+name, call, false)
			if err != nil {
				return nil, err
			}
			if v, ok := o.lookup(key, name == "meta_require"); ok {
				return jinja.FromGo(v), nil
			}
			if c.ConfigPending {
				return "", nil
			}
			return nil, fmt.Errorf("the node does not set the config %q, which config.%s() requires", key, name)
		}), true
	}
	return nil, false
}

// lookup reads config key, in meta first when meta is set.
func (o configObj) lookup(key string, meta bool) (any, bool) {
	get := o.g.c.ConfigValue
	if meta {
		if m, ok := get("meta"); ok {
			if mm, isMap := m.(map[string]any); isMap {
				if v, in := mm[key]; in {
					return v, true
				}
			}
		}
	}
	return get(key)
}

// configArgs reads the arguments of config.get (name, default=None,
// validator=None; withDefault) or config.require (name, validator=None):
// the name and the default (nil when not given).
func configArgs(fn string, call *jinja.Call, withDefault bool) (string, any, error) {
	names := []string{"name", "validator"}
	if withDefault {
		names = []string{"name", "default", "validator"}
	}
	args := make([]any, len(names))
	given := make([]bool, len(names))
	if len(call.Args) > len(names) {
		return "", nil, fmt.Errorf("%s() takes at most %d arguments (%d given)", fn, len(names), len(call.Args))
	}
	for i, a := range call.Args {
		args[i], given[i] = a, true
	}
	for _, kv := range call.Kwargs {
		found := false
		for i, n := range names {
			if n == kv.Key {
				if given[i] {
					return "", nil, fmt.Errorf("%s() got multiple values for argument %q", fn, n)
				}
				args[i], given[i], found = kv.Value, true, true
			}
		}
		if !found {
			return "", nil, fmt.Errorf("%s() got an unexpected keyword argument %q", fn, kv.Key)
		}
	}
	key, ok := args[0].(string)
	if !given[0] || !ok {
		return "", nil, fmt.Errorf("%s() takes the config's name, such as %s('materialized')", fn, fn)
	}
	var def any
	if withDefault {
		def = args[1]
	}
	return key, def, nil
}
