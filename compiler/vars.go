package compiler

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/template"
	"github.com/kiln-build/kiln/compiler/yamlsrc"
)

// Vars scoping follows dbt (https://docs.getdbt.com/docs/build/project-variables,
// "Variable precedence"): var() in a node of package P reads, highest
// first,
//
//  1. the --vars;
//  2. the block named P under vars: in the root project's file
//     (vars: {P: {name: value}});
//  3. the root project's other (global) vars;
//  4. when P is an installed package: the block named P under vars: in
//     P's own dbt_project.yml, then P's global vars;
//  5. var()'s default argument.
//
// The scope is the node's (or the run hook's, or the operation's), not
// the macro's: a package's macro called from a model of the root project
// reads the root project's scope, as in dbt (dbt-core#5587; dbt's docs:
// "a macro's context is derived from its calling model's project").

// scopeVars returns the vars var() reads in the nodes of package pkg (the
// root project's name, or an installed package's), merged as above; the
// maps are built once (newCompiler) and read concurrently after.
func (c *compiler) scopeVars(pkg string) map[string]any {
	if m, ok := c.scoped[pkg]; ok {
		return m
	}
	return c.vars
}

// buildScopes fills c.vars (the root project's scope) and c.scoped.
func (c *compiler) buildScopes() {
	c.scoped = map[string]map[string]any{}
	build := func(pkg string, own map[string]any) map[string]any {
		out := map[string]any{}
		overlay := func(vars map[string]any) {
			for k, v := range vars {
				out[k] = templateValue(v)
			}
			if block, ok := vars[pkg].(map[string]any); ok {
				for k, v := range block {
					out[k] = templateValue(v)
				}
			}
		}
		overlay(own)
		overlay(c.p.Config.Vars)
		for k, v := range c.opts.Vars {
			out[k] = templateValue(v)
		}
		return out
	}
	c.vars = build(c.name, nil)
	c.scoped[c.name] = c.vars
	c.unreadVars = map[string]bool{c.name: c.p.VarsUnread}
	for _, q := range c.p.Packages {
		c.scoped[q.Config.Name] = build(q.Config.Name, q.Config.Vars)
		c.unreadVars[q.Config.Name] = c.p.VarsUnread || q.VarsUnread
	}
}

// lookupVar is var() in the root project's nodes.
func (c *compiler) lookupVar(name string, def any, has bool, pos diag.Pos) (any, error) {
	return c.lookupVarIn(c.name, name, def, has)
}

// varIn returns var() for the nodes, run hooks and operations of package
// pkg.
func (c *compiler) varIn(pkg string) func(string, any, bool, diag.Pos) (any, error) {
	return func(name string, def any, has bool, _ diag.Pos) (any, error) {
		return c.lookupVarIn(pkg, name, def, has)
	}
}

func (c *compiler) lookupVarIn(pkg, name string, def any, has bool) (any, error) {
	c.varsMu.Lock()
	c.usedVars[name] = true
	c.varsMu.Unlock()
	vars := c.scopeVars(pkg)
	if v, ok := vars[name]; ok {
		return v, nil
	}
	if has {
		return def, nil
	}
	var msg string
	if h := diag.DidYouMean(name, sortedKeys(vars)); h != "" {
		msg = fmt.Sprintf("required var %q is not set; %s", name, h)
	} else {
		file := c.p.File
		if file == "" {
			file = "project.yml"
		}
		msg = fmt.Sprintf("required var %q is not set; set it under vars: in %s or pass --vars '{%s: ...}'", name, file, name)
	}
	if c.unreadVars[pkg] {
		c.varsMu.Lock()
		c.varCascade[msg] = true
		c.varsMu.Unlock()
	}
	return nil, hintless(msg)
}

// dropVarCascade returns l without the errors of vars reported missing
// in a scope whose vars: could not be read (project.Project.VarsUnread):
// the project file's error says what is wrong, and one error per var()
// would bury it.
func (c *compiler) dropVarCascade(l diag.List) diag.List {
	if len(c.varCascade) == 0 {
		return l
	}
	out := l[:0:0]
	for _, d := range l {
		drop := false
		for msg := range c.varCascade {
			if d.Severity == diag.Error && strings.Contains(d.Msg, msg) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, d)
		}
	}
	return out
}

// packageVarNote records, for a warning, a var() that package macroPkg's
// macro calls while rendering a node of the root project, when the var
// is set only for macroPkg's own nodes (its dbt_project.yml, or the root
// project's vars: {macroPkg: ...} block): dbt does not apply those there
// (see above), which would otherwise go unnoticed.
func (c *compiler) packageVarNote(macroPkg, name string, pos diag.Pos) {
	if macroPkg == "" || macroPkg == c.name {
		return
	}
	if _, ok := c.vars[name]; ok {
		return
	}
	pv, ok := c.scoped[macroPkg]
	if !ok {
		return
	}
	if _, set := pv[name]; !set {
		return
	}
	c.varsMu.Lock()
	defer c.varsMu.Unlock()
	key := macroPkg + "." + name
	if c.varNotes[key] {
		return
	}
	c.varNotes[key] = true
	where := fmt.Sprintf("package %s's vars", macroPkg)
	if block, ok := c.p.Config.Vars[macroPkg].(map[string]any); ok {
		if _, in := block[name]; in {
			where = fmt.Sprintf("the vars: %s: block of %s", macroPkg, c.p.File)
		}
	}
	d := diag.Diagnostic{Pos: pos, Severity: diag.Warning,
		Msg:  fmt.Sprintf("var %q, read by a macro of package %s, is set only in %s, which apply to %s's own nodes: here the var's default is used, as in dbt", name, macroPkg, where, macroPkg),
		Hint: fmt.Sprintf("to set it for the project's models, declare %s as a global var under vars: in %s (or pass --vars)", name, c.p.File)}
	c.varWarnings = append(c.varWarnings, d)
}

// flushVarNotes adds the notes of packageVarNote to the diagnostics, in
// the order of their positions.
func (c *compiler) flushVarNotes() {
	c.varsMu.Lock()
	defer c.varsMu.Unlock()
	sort.SliceStable(c.varWarnings, func(i, j int) bool {
		return strings.Compare(c.varWarnings[i].Pos.String(), c.varWarnings[j].Pos.String()) < 0
	})
	for _, d := range c.varWarnings {
		c.diags.Add(d)
	}
	c.varWarnings = nil
}

// templateValue is a var's value as templates see it: a YAML timestamp
// (yamlsrc.Time) becomes a Python date or datetime value, in lists and
// mappings too; other values are returned as they are.
func templateValue(v any) any {
	switch x := v.(type) {
	case yamlsrc.Time:
		return template.YAMLTime(x.T, x.DateOnly, x.Aware)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = templateValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = templateValue(e)
		}
		return out
	}
	return v
}
