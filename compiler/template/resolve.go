package template

import (
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// Resolver finds what a name that a template neither defines nor gets
// from dbt's context designates: a macro (*jinja.Macro) or a package's
// namespace (a jinja.Getter whose attributes are the package's macros).
// pkg is the package of the node being rendered ("" for the project),
// whatever the package of the macro whose code asks: dbt renders every
// macro a node calls with the node's context (dbt-core's
// MacroNamespaceBuilder, whose search_package is the node's). The
// engine asks it for every such name, so that package namespaces, dbt's
// resolution order and dispatch live in one place that can be replaced
// (Engine.SetResolver).
type Resolver interface {
	Resolve(name, pkg string) (any, bool)
	// Names lists the names the project's code can use, for hints.
	Names() []string
}

// MacroIndex holds macros by package and resolves a name in dbt's order:
// the macros of the node's package, then the project's, then
// kiln's built-ins (which the project's override); the name of a package
// resolves to its namespace, so that dbt_utils.star(...) calls the
// package's macro.
type MacroIndex struct {
	pkgs    map[string]map[string]*jinja.Macro // "" is the project
	builtin map[string]*jinja.Macro
	// root is the root project's name, which also names its namespace
	// (mist.my_macro() in project mist, as in dbt); "" when unknown.
	root string
}

func newMacroIndex() *MacroIndex {
	return &MacroIndex{pkgs: map[string]map[string]*jinja.Macro{"": {}}, builtin: map[string]*jinja.Macro{}}
}

// add registers the macros of template t, parsed from f.
func (x *MacroIndex) add(f Source, t *jinja.Template) diag.List {
	var l diag.List
	builtin := strings.HasPrefix(f.Path, builtinPrefix)
	pkg := x.pkgs[f.Package]
	if pkg == nil {
		pkg = map[string]*jinja.Macro{}
		x.pkgs[f.Package] = pkg
	}
	for _, def := range t.Macros {
		m := jinja.NewMacro(def)
		if builtin {
			x.builtin[def.Name] = m
			continue
		}
		if prev, dup := pkg[def.Name]; dup {
			l.Add(diag.Errorf(t.Position(def.Pos), "macro %q is defined twice: in %s and in %s",
				strings.TrimPrefix(def.Name, "test_"), prev.Def.Tmpl.Path, f.Path).WithHint("rename or delete one of them"))
			continue
		}
		pkg[def.Name] = m
	}
	return l
}

// materializationName returns the name of the materialization a
// {% materialization name, adapter %} block defines, from its macro's
// name (materialization_<name>_<adapter>), and whether it is one.
func materializationName(macro string) (string, bool) {
	rest, ok := strings.CutPrefix(macro, "materialization_")
	if !ok {
		return "", false
	}
	i := strings.LastIndex(rest, "_")
	if i <= 0 {
		return "", false
	}
	return rest[:i], true
}

// Materialization returns where a {% materialization %} block of the
// project or of a package defines the materialization name (for any
// adapter), the project's first, then the packages' in the order of their
// names; ok is false when none does.
func (x *MacroIndex) Materialization(name string) (pos diag.Pos, ok bool) {
	for _, pkg := range append([]string{""}, x.Packages()...) {
		var names []string
		for macro := range x.pkgs[pkg] {
			if n, ok := materializationName(macro); ok && n == name {
				names = append(names, macro)
			}
		}
		if len(names) > 0 {
			sort.Strings(names)
			def := x.pkgs[pkg][names[0]].Def
			return def.Tmpl.Position(def.Pos), true
		}
	}
	return diag.Pos{}, false
}

// Resolve implements Resolver.
func (x *MacroIndex) Resolve(name, pkg string) (any, bool) {
	if pkg != "" {
		if m, ok := x.pkgs[pkg][name]; ok {
			return m, true
		}
	}
	if m, ok := x.pkgs[""][name]; ok {
		return m, true
	}
	if m, ok := x.builtin[name]; ok {
		return m, true
	}
	if ns, ok := x.pkgs[name]; ok && name != "" {
		return namespace(ns), true
	}
	if name == x.root && name != "" {
		return namespace(x.pkgs[""]), true
	}
	if name == InternalPackage {
		return namespace(x.builtin), true
	}
	return nil, false
}

// InternalPackage is the namespace of kiln's built-in macros, dbt's
// global project: dbt.date_trunc(...) calls the built-in date_trunc.
const InternalPackage = "dbt"

// InPackage returns the macro name defined by package pkg itself ("dbt"
// for kiln's built-ins, "" for the project), without falling back.
func (x *MacroIndex) InPackage(pkg, name string) (*jinja.Macro, bool) {
	if pkg == InternalPackage {
		m, ok := x.builtin[name]
		return m, ok
	}
	m, ok := x.pkgs[pkg][name]
	return m, ok
}

// Packages returns the names of the packages that define macros, sorted
// (the project, "", excepted).
func (x *MacroIndex) Packages() []string {
	var out []string
	for p := range x.pkgs {
		if p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// FindAny finds a macro by name as dbt finds a generic test or a
// materialization that names no package: the project's first, then the
// packages' in the order of their names, then kiln's built-ins. It
// returns the macro and the package that defines it.
func (x *MacroIndex) FindAny(name string) (*jinja.Macro, string, bool) {
	if m, ok := x.pkgs[""][name]; ok {
		return m, "", true
	}
	for _, p := range x.Packages() {
		if m, ok := x.pkgs[p][name]; ok {
			return m, p, true
		}
	}
	if m, ok := x.builtin[name]; ok {
		return m, InternalPackage, true
	}
	return nil, "", false
}

// Names implements Resolver: the project's and the built-in macros,
// sorted.
func (x *MacroIndex) Names() []string {
	seen := map[string]bool{}
	var out []string
	for _, set := range []map[string]*jinja.Macro{x.pkgs[""], x.builtin} {
		for n := range set {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// namespace is a package's macros as a value: dbt_utils.star.
type namespace map[string]*jinja.Macro

func (n namespace) Attr(name string) (any, bool) {
	m, ok := n[name]
	return m, ok
}
