package yamljinja

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// Names is dbt's context for rendering YAML files: env_var(name,
// default), var(name, default) over the --vars only (a project's own vars
// are not known yet), and target when known (dbt_project.yml and
// packages.yml have it, profiles.yml does not).
//
// A var's value that is a string holding Jinja renders with these
// names when var() reads it, as dbt's Var.get_rendered_var does with the
// rendering's context (dbt-core core/dbt/context/base.py); a var that
// reads itself is an error.
type Names struct {
	Vars      map[string]any
	LookupEnv func(string) (string, bool) // nil: os.LookupEnv
	Target    map[string]any              // nil: target is undefined
	// Secrets allows env_var() of DBT_ENV_SECRET_ variables: dbt's
	// SecretContext, for profiles.yml and packages.yml only.
	Secrets bool
	// RawVars returns the vars' values as written, unrendered, as dbt's
	// ConfiguredVar does in property files (SchemaYamlContext, dbt-core
	// core/dbt/context/configured.py: "return all_vars[var_name]").
	RawVars bool
	// Read, when set, is called with the name of each var() read (set or
	// not), from any goroutine rendering with these names.
	Read func(name string)
}

// Globals returns the names as jinja.Globals.
func (n Names) Globals() jinja.Globals {
	g := jinja.MapGlobals{"env_var": jinja.Func(n.envVar)}
	var stack []string // the vars being rendered
	g["var"] = jinja.Func(func(c *jinja.Call) (any, error) {
		v, err := n.variable(c)
		if err != nil {
			return v, err
		}
		name, _ := c.Args[0].(string)
		s, ok := v.(string)
		if _, set := n.Vars[name]; n.RawVars || !set || !ok || !HasJinja(s) && !strings.Contains(s, "{#") {
			return v, nil
		}
		for i, k := range stack {
			if k == name {
				path := append(append([]string(nil), stack[i:]...), name)
				return nil, diag.Diagnostic{Msg: fmt.Sprintf("var %q renders itself: %s", name, strings.Join(path, " -> ")),
					Hint: "a var's value may read other vars with var(), but not, through them or directly, itself"}
			}
		}
		stack = append(stack, name)
		defer func() { stack = stack[:len(stack)-1] }()
		env := jinja.NewEnv()
		t, l := env.Parse("var "+name, s)
		if len(l) == 0 {
			var out string
			if out, l = env.Render(t, g); len(l) == 0 {
				return out, nil
			}
		}
		msg := strings.TrimPrefix(l[0].Msg, "template error: ")
		if strings.Contains(msg, "renders itself: ") {
			return nil, diag.Diagnostic{Msg: msg, Hint: l[0].Hint}
		}
		return nil, diag.Diagnostic{Msg: fmt.Sprintf("var %q: its value %q does not render: %s", name, s, msg), Hint: l[0].Hint}
	})
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
	if !n.Secrets && IsSecret(name) {
		return nil, SecretError(name)
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
	if n.Read != nil {
		n.Read(name)
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
