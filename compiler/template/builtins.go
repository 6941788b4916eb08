package template

import (
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// overridable are the names of dbt's context a project's macro may take
// over (dbt's builtins variable keeps the originals reachable).
var overridable = []string{"ref", "source"}

// findOverrides records the project's macros named ref or source, which
// {{ ref(...) }} and {{ source(...) }} call instead of dbt's (see
// override). A macro named config, the project's or a package's, is an
// error at its position: not supported yet.
func (e *Engine) findOverrides() diag.List {
	var l diag.List
	for _, name := range overridable {
		if m, ok := e.index.InPackage("", name); ok {
			if e.overrides == nil {
				e.overrides = map[string]*jinja.Macro{}
			}
			e.overrides[name] = m
		}
	}
	// The project's config macro, then each package's (which dbt would
	// call in that package's nodes).
	for _, pkg := range append([]string{""}, e.index.Packages()...) {
		if pkg == InternalPackage {
			continue
		}
		if m, ok := e.index.InPackage(pkg, "config"); ok {
			l.Add(diag.Errorf(m.Def.Tmpl.Position(m.Def.Pos), "a macro named config overrides dbt's config: not supported yet").
				WithHint("rename the macro, and call it where the project needs it; dbt's config stays config(...)"))
		}
	}
	return l
}

// override returns the macro that name (ref or source) calls in the code
// of a node of package node ("" for the project's), nil for dbt's own:
// as dbt's macro namespace resolves it, the node's package's own macro of
// that name, else the project's. The package of the macro that makes the
// call does not count: a package's ref macro applies to that package's
// nodes only, and the project's to every other node.
func (e *Engine) override(name, node string) *jinja.Macro {
	if name != "ref" && name != "source" {
		return nil
	}
	if node != "" {
		if m, ok := e.index.InPackage(node, name); ok && node != InternalPackage {
			return m
		}
	}
	return e.overrides[name]
}

// builtins is dbt's builtins variable: the context's own members (ref,
// source, config, var, adapter, ...), without the macros, so that a
// project's macro named like one still reaches dbt's (builtins.ref(...)
// in an override of ref). An attribute whose function the context lacks
// (ref in a test's config rendering, say) is undefined.
type builtins struct{ g *globals }

// Attr implements jinja.Getter.
func (b builtins) Attr(name string) (any, bool) {
	c := b.g.c
	switch name {
	case "ref":
		if c.Ref != nil {
			return jinja.Func(b.g.ref), true
		}
	case "source":
		if c.Source != nil {
			return jinja.Func(b.g.source), true
		}
	case "config":
		if c.Config != nil {
			return configObj{b.g}, true
		}
	default:
		// Not ref or source, so never a project's override (see
		// Engine.override).
		if !b.g.defined(name) {
			return nil, false
		}
		if v, ok := b.g.member(name); ok {
			return v, true
		}
		for _, n := range dbtNames {
			if n == name {
				return b.g.dbtName(name)
			}
		}
	}
	return nil, false
}

// Keys implements jinja.Mapping.
func (b builtins) Keys() []string { return b.g.memberNames() }
