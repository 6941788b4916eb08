package compiler

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/project"
)

// Doc is a {% docs name %} block of a .md file under the docs paths
// (https://docs.getdbt.com/docs/build/documentation#using-docs-blocks):
// descriptions include it with {{ doc("name") }}.
type Doc struct {
	Name     string
	Package  string // the project or package that defines it
	Path     string // the .md file, relative to the root project
	Contents string // the block's text, rendered with an empty context and trimmed, as dbt does
}

// UniqueID is dbt's id of a doc: <package>.<name>.
func (d *Doc) UniqueID() string { return d.Package + "." + d.Name }

// collectDocs reads the docs blocks of the project and its packages. Two
// blocks with one name in one package are an error naming both files.
func (c *compiler) collectDocs() {
	c.docs = map[string]*Doc{}
	env := jinja.NewEnv()
	for _, p := range c.allProjects() {
		for _, f := range p.Docs {
			t, l := env.Parse(f.Path, string(f.Content))
			if len(l) > 0 {
				c.diags.Append(l)
				continue
			}
			for _, m := range t.Macros {
				name, ok := strings.CutPrefix(m.Name, "docs_")
				if !ok {
					continue
				}
				key := p.Config.Name + "." + name
				if prev, dup := c.docs[key]; dup {
					c.diags.Errorf(t.Position(m.Pos), "docs block %q is defined twice: in %s and in %s", name, prev.Path, f.Path).Hint = "rename or delete one of them"
					continue
				}
				v, cl := env.Call(f.Path, jinja.NewMacro(m), nil, nil, jinja.MapGlobals{})
				if len(cl) > 0 {
					c.diags.Append(cl)
					continue
				}
				c.docs[key] = &Doc{Name: name, Package: p.Config.Name, Path: f.Path, Contents: strings.TrimSpace(jinja.Str(v))}
			}
		}
	}
}

// DocList returns the docs blocks, sorted by unique id.
func (m *Manifest) DocList() []*Doc {
	out := make([]*Doc, 0, len(m.Docs))
	for _, d := range m.Docs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UniqueID() < out[j].UniqueID() })
	return out
}

// allProjects returns the root project and its packages.
func (c *compiler) allProjects() []*project.Project {
	return append([]*project.Project{c.p}, c.p.Packages...)
}

// lookupDoc resolves doc(name) or doc(package, name) as dbt does
// (_packages_to_search): a name alone is looked up in the root project,
// then the calling package, then every package.
func (c *compiler) lookupDoc(pkg string, args []string) (*Doc, error) {
	switch len(args) {
	case 1:
		for _, p := range []string{c.rootName(), pkg} {
			if d, ok := c.docs[p+"."+args[0]]; ok {
				return d, nil
			}
		}
		for _, q := range c.p.Packages {
			if d, ok := c.docs[q.Config.Name+"."+args[0]]; ok {
				return d, nil
			}
		}
	case 2:
		if d, ok := c.docs[args[0]+"."+args[1]]; ok {
			return d, nil
		}
	default:
		return nil, fmt.Errorf("doc() takes a name, or a package and a name")
	}
	var names []string
	for _, d := range c.docs {
		names = append(names, d.Name)
	}
	sort.Strings(names)
	msg := fmt.Sprintf("no docs block is named %q", strings.Join(args, "."))
	if h := diag.DidYouMean(args[len(args)-1], names); h != "" {
		return nil, fmt.Errorf("%s; %s", msg, h)
	}
	return nil, fmt.Errorf("%s; write {%% docs %s %%}...{%% enddocs %%} in a .md file under the model paths", msg, args[len(args)-1])
}

// renderDescription renders the Jinja of a description (of a node, a
// column, a source) written at pos in package pkg: doc(), var, env_var and
// target, as dbt renders descriptions. Text without Jinja is returned as
// it is.
func (c *compiler) renderDescription(text, pkg string, pos diag.Pos) string {
	if !strings.Contains(text, "{{") && !strings.Contains(text, "{%") {
		return text
	}
	docFn := jinja.Func(func(call *jinja.Call) (any, error) {
		args := make([]string, len(call.Args))
		for i, a := range call.Args {
			s, ok := a.(string)
			if !ok {
				return nil, fmt.Errorf("doc() takes names as strings")
			}
			args[i] = s
		}
		d, err := c.lookupDoc(pkg, args)
		if err != nil {
			return nil, err
		}
		return d.Contents, nil
	})
	return c.renderYAMLText(text, pos, "a description", jinja.MapGlobals{"doc": docFn})
}

// renderYAMLText renders text, a template written at pos in a YAML file
// (a description, a loaded_at_query), with g and descGlobals (var,
// env_var, target). An error is a diagnostic at pos that says it is in
// what ("a description"), and text is returned as written.
func (c *compiler) renderYAMLText(text string, pos diag.Pos, what string, g jinja.MapGlobals) string {
	for k, v := range c.descGlobals() {
		g[k] = v
	}
	t, l := c.descEnv.Parse(pos.File, text)
	if len(l) == 0 {
		var out string
		if out, l = c.descEnv.Render(t, g); len(l) == 0 {
			return out
		}
	}
	for _, d := range l {
		d.Pos = pos
		d.Msg = "in " + what + ": " + strings.TrimPrefix(d.Msg, "template error: ")
		c.diags.Add(d)
	}
	return text
}

// descGlobals are var, env_var and target for descriptions.
func (c *compiler) descGlobals() map[string]any {
	out := map[string]any{
		"var": jinja.Func(func(call *jinja.Call) (any, error) {
			name, def, has, err := nameArgs("var", call)
			if err != nil {
				return nil, err
			}
			v, err := c.lookupVar(name, def, has, call.Pos)
			return jinja.FromGo(v), err
		}),
		"env_var": jinja.Func(func(call *jinja.Call) (any, error) {
			name, def, has, err := nameArgs("env_var", call)
			if err != nil {
				return nil, err
			}
			v, err := c.lookupEnv(name, def, has, call.Pos)
			return jinja.FromGo(v), err
		}),
	}
	if c.p.Target != nil {
		out["target"] = jinja.FromGo(c.p.Target.Context)
	}
	return out
}

func nameArgs(fn string, call *jinja.Call) (string, any, bool, error) {
	if len(call.Args) < 1 || len(call.Args) > 2 {
		return "", nil, false, fmt.Errorf("%s() takes a name and an optional default", fn)
	}
	name, ok := call.Args[0].(string)
	if !ok {
		return "", nil, false, fmt.Errorf("%s() takes a name as a string", fn)
	}
	if len(call.Args) == 2 {
		return name, jinja.Plain(call.Args[1]), true, nil
	}
	return name, nil, false, nil
}

// renderDescriptions renders the descriptions of every node and column.
func (c *compiler) renderDescriptions() {
	for _, id := range c.ids() {
		n := c.nodes[id]
		pkg := n.Package
		pos := n.Pos
		if at, ok := c.descAt[n.ID]; ok {
			pos = at
		}
		n.Description = c.renderDescription(n.Description, pkg, pos)
		for i := range n.Columns {
			col := &n.Columns[i]
			col.Description = c.renderDescription(col.Description, pkg, col.Pos)
		}
		if n.Kind == graph.Source && n.Source != nil {
			n.Source.Description = c.renderDescription(n.Source.Description, pkg, pos)
		}
	}
	for _, e := range c.semantic {
		e.Description = c.renderDescription(e.Description, e.Package, e.Pos)
	}
	for _, name := range sortedKeys(c.groups) {
		g := c.groups[name]
		g.Description = c.renderDescription(g.Description, g.Package, g.Pos)
	}
}
