package template

import (
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// overridable are the names of dbt's context a project's macro may take
// over (dbt's builtins variable keeps the originals reachable).
var overridable = []string{"ref", "source"}

// findOverrides records the project's macros named ref or source, which
// {{ ref(...) }} and {{ source(...) }} call instead of dbt's, as dbt does
// for the root project (a package's macro of such a name overrides
// nothing in dbt, nor here: it is only reachable as package.ref). A
// project macro named config is an error at its position: not supported
// yet.
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
	if m, ok := e.index.InPackage("", "config"); ok {
		l.Add(diag.Errorf(m.Def.Tmpl.Position(m.Def.Pos), "a macro named config overrides dbt's config: not supported yet").
			WithHint("rename the macro, and call it where the project needs it; dbt's config stays config(...)"))
	}
	return l
}

// builtins is dbt's builtins variable: the context's ref, source and
// config, which stay reachable as builtins.ref(...) when the project
// defines macros of those names. An attribute whose function the
// context lacks (ref in a test's config rendering, say) is undefined.
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
	}
	return nil, false
}

// Keys implements jinja.Getter.
func (b builtins) Keys() []string { return []string{"ref", "source", "config"} }
