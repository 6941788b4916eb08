package jinja

// MacroCall is a call in a macro's code that may be of another macro, as
// dbt's static extraction of macro calls finds them: name(...),
// package.name(...), and adapter.dispatch('name', 'namespace').
type MacroCall struct {
	// Package is the namespace of package.name(...); "" for name(...).
	Package string
	// Name is the name called, or the macro name given to
	// adapter.dispatch.
	Name string
	// Dispatch marks adapter.dispatch's macro name; Namespace is its
	// macro_namespace when a constant string is given ("" otherwise).
	Dispatch  bool
	Namespace string
}

// Calls lists the calls of d's parameters' defaults and body (nested
// macros and call blocks included), in source order, each once.
func (d *MacroDef) Calls() []MacroCall {
	var out []MacroCall
	seen := map[MacroCall]bool{}
	add := func(c MacroCall) {
		if c.Name != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	walkMacro(d, func(x any) {
		c, ok := x.(*callExpr)
		if !ok {
			return
		}
		switch fn := c.fn.(type) {
		case *nameExpr:
			add(MacroCall{Name: fn.name})
		case *getattrExpr:
			obj, ok := fn.x.(*nameExpr)
			if !ok {
				return
			}
			if obj.name == "adapter" && fn.name == "dispatch" {
				add(dispatchCall(c.args))
				return
			}
			add(MacroCall{Package: obj.name, Name: fn.name})
		}
	})
	return out
}

// dispatchCall is adapter.dispatch's call with args: its macro name and
// namespace, when given as constant strings.
func dispatchCall(a argList) MacroCall {
	c := MacroCall{Dispatch: true}
	str := func(x Expr) string {
		if k, ok := x.(*constExpr); ok {
			s, _ := k.val.(string)
			return s
		}
		return ""
	}
	if len(a.pos) > 0 {
		c.Name = str(a.pos[0])
	}
	if len(a.pos) > 1 {
		c.Namespace = str(a.pos[1])
	}
	for _, k := range a.kw {
		switch k.name {
		case "macro_name":
			c.Name = str(k.x)
		case "macro_namespace":
			c.Namespace = str(k.x)
		}
	}
	return c
}
