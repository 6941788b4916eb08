package template

import (
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/builtin"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// dbtTests are the generic tests of dbt's own (its global project's
// test_not_null, ...) among kiln's built-in tests; the others (row_count,
// the dbt_utils-like ones, the anomaly tests) are kiln's.
var dbtTests = map[string]bool{"test_not_null": true, "test_unique": true, "test_accepted_values": true, "test_relationships": true}

// KilnPackage is the package manifest.json names for the built-in macros
// that are kiln's own (its generic tests beyond dbt's four), as "dbt"
// (InternalPackage) names those that are dbt's.
const KilnPackage = "kiln"

// BuiltinPackage is the package of the built-in macro name, defined in
// file (a "<builtin>/..." path), as dbt names the package that defines it:
// "dbt_duckdb" and "dbt_postgres" for an adapter's implementation
// (duckdb__..., postgres__...), "kiln" for kiln's own generic tests,
// "dbt" for dbt's global project.
func BuiltinPackage(name, file string) string {
	switch {
	case strings.HasPrefix(name, "duckdb__"):
		return "dbt_duckdb"
	case strings.HasPrefix(name, "postgres__"):
		return "dbt_postgres"
	case file == builtin.AnomalyTestsPath, file == builtin.TestsPath && !dbtTests[name]:
		return KilnPackage
	}
	return InternalPackage
}

// MacroID returns macro m's id as dbt writes it after "macro." in a
// unique_id: "<package>.<name>", the package being the one that defines
// it (the root project's name for the project's macros, BuiltinPackage's
// for kiln's built-ins).
func (e *Engine) MacroID(m *jinja.Macro) string {
	return e.macroPackage(m) + "." + m.Def.Name
}

func (e *Engine) macroPackage(m *jinja.Macro) string {
	t := m.Def.Tmpl
	switch {
	case t == nil:
		return e.index.root
	case strings.HasPrefix(t.Path, builtinPrefix):
		return BuiltinPackage(m.Def.Name, t.Path)
	case t.Package == "":
		return e.index.root
	}
	return t.Package
}

// ResolveID returns the dbt id (MacroID) of the macro name resolves to for
// a node of package pkg ("" for the project's), as a call of name from
// that node's code finds it; ok is false when name is no macro.
func (e *Engine) ResolveID(name, pkg string) (string, bool) {
	v, ok := e.resolver.Resolve(name, pkg)
	if m, isMacro := v.(*jinja.Macro); ok && isMacro {
		return e.MacroID(m), true
	}
	return "", false
}

// MacroDef is one macro as manifest.json lists it.
type MacroDef struct {
	// ID is "<package>.<name>" (MacroID).
	ID, Package, Name string
	// File is the path of the file that defines it, as the project sees
	// it ("<builtin>/..." for kiln's built-ins).
	File string
	// Calls are the ids (MacroID) of the macros its code calls, as dbt's
	// static extraction finds them (manifest.json's depends_on.macros of
	// a macro): name(...) and package.name(...) that resolve to a macro,
	// and the macro adapter.dispatch('name', 'namespace') resolves to for
	// this project's adapter; in the order of their first call, itself
	// left out.
	Calls []string
}

// AllMacros lists every macro the engine parsed, sorted by ID: the root
// project's, each package's and the built-ins (a built-in that the
// project overrides is listed too, as dbt lists dbt's macro beside the
// project's).
func (e *Engine) AllMacros() []MacroDef {
	var out []MacroDef
	add := func(key string, set map[string]*jinja.Macro) {
		for _, m := range set {
			d := MacroDef{Package: e.macroPackage(m), Name: m.Def.Name}
			d.ID = d.Package + "." + d.Name
			if m.Def.Tmpl != nil {
				d.File = m.Def.Tmpl.Path
			}
			d.Calls = e.macroCalls(key, d.ID, m)
			out = append(out, d)
		}
	}
	add("", e.index.builtin)
	for key, set := range e.index.pkgs {
		add(key, set)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// macroCalls returns MacroDef.Calls of macro m, of package key ("" for
// the project's and the built-ins) and id self.
func (e *Engine) macroCalls(key, self string, m *jinja.Macro) []string {
	out := []string{}
	seen := map[string]bool{self: true}
	add := func(v any, ok bool) {
		if mac, isMacro := v.(*jinja.Macro); ok && isMacro {
			if id := e.MacroID(mac); !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	for _, c := range m.Def.Calls() {
		switch {
		case c.Dispatch:
			var ns any
			if c.Namespace != "" {
				ns = c.Namespace
			}
			v, err := e.resolveDispatch(key, c.Name, ns)
			add(v, err == nil)
		case c.Package == "":
			add(e.resolver.Resolve(c.Name, key))
		default:
			pkg := c.Package
			if pkg == e.index.root {
				pkg = ""
			}
			if mac, ok := e.index.InPackage(pkg, c.Name); ok {
				add(mac, true)
			}
		}
	}
	return out
}
