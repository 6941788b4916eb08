package yamljinja

import (
	"fmt"
	"os"
	"sort"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// Names is dbt's context for rendering YAML files: env_var(name,
// default), var(name, default) over the --vars only (a project's own vars
// are not known yet), and target when known (dbt_project.yml and
// packages.yml have it, profiles.yml does not).
type Names struct {
	Vars      map[string]any
	LookupEnv func(string) (string, bool) // nil: os.LookupEnv
	Target    map[string]any              // nil: target is undefined
}

// Globals returns the names as jinja.Globals.
func (n Names) Globals() jinja.Globals {
	g := jinja.MapGlobals{
		"env_var": jinja.Func(n.envVar),
		"var":     jinja.Func(n.variable),
	}
	if n.Target != nil {
		g["target"] = jinja.FromGo(n.Target)
	}
	return g
}

func nameArg(fn string, c *jinja.Call) (string, any, bool, error) {
	if len(c.Args) < 1 || len(c.Args) > 2 || len(c.Kwargs) > 0 {
		return "", nil, false, fmt.Errorf("%s() takes a name and an optional default, such as %s('DBT_SCHEMA', 'dev')", fn, fn)
	}
	name, ok := c.Args[0].(string)
	if !ok {
		return "", nil, false, fmt.Errorf("%s() takes a name as a string, not %s", fn, jinja.Str(c.Args[0]))
	}
	if len(c.Args) == 2 {
		return name, c.Args[1], true, nil
	}
	return name, nil, false, nil
}

func (n Names) envVar(c *jinja.Call) (any, error) {
	name, def, has, err := nameArg("env_var", c)
	if err != nil {
		return nil, err
	}
	look := n.LookupEnv
	if look == nil {
		look = os.LookupEnv
	}
	if v, ok := look(name); ok {
		return v, nil
	}
	if has && def != nil {
		return def, nil
	}
	return nil, fmt.Errorf("environment variable %q is not set; export it or give env_var() a default", name)
}

func (n Names) variable(c *jinja.Call) (any, error) {
	name, def, has, err := nameArg("var", c)
	if err != nil {
		return nil, err
	}
	if v, ok := n.Vars[name]; ok {
		return jinja.FromGo(v), nil
	}
	if has {
		return def, nil
	}
	given := make([]string, 0, len(n.Vars))
	for k := range n.Vars {
		given = append(given, k)
	}
	sort.Strings(given)
	if len(given) == 0 {
		return nil, fmt.Errorf("var %q is not set: here only --vars are known; pass --vars '{%s: ...}' or give var() a default", name, name)
	}
	return nil, fmt.Errorf("var %q is not set: here only --vars are known (%v); pass it with --vars or give var() a default", name, given)
}
