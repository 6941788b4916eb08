package compiler

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
)

// dbt's values of an exposure's type and maturity
// (https://docs.getdbt.com/reference/exposure-properties).
var (
	exposureTypes    = []string{"dashboard", "notebook", "analysis", "ml", "application"}
	exposureMaturity = []string{"high", "medium", "low"}
)

// Group is a group of property files' groups: (dbt's groups), as written.
type Group struct {
	Name        string
	Package     string
	Path        string // the property file
	Pos         diag.Pos
	Description string
	Owner       map[string]any
	Config      map[string]any
}

// UniqueID is the group's unique_id: group.<package>.<name>.
func (g *Group) UniqueID() string { return "group." + g.Package + "." + g.Name }

// collectExposures creates a node per exposure: its depends_on entries
// (ref(), source(), metric()) become its parents, so that +exposure:x
// selects what it needs. Exposures never run.
func (c *compiler) collectExposures() {
	seen := map[string]string{}
	for _, pf := range c.p.Properties {
		dirs := folders(pf.Path, c.p.Config.ModelPaths)
		for i := range pf.Exposures {
			e := &pf.Exposures[i]
			pos := e.Pos(pf.Path)
			if e.Name == "" {
				c.diags.Errorf(pos, "an exposure has no name").Hint = "add \"name: <exposure name>\""
				continue
			}
			if !isName(e.Name) {
				c.diags.Errorf(pos, "exposure name %q may hold only letters, digits and underscores", e.Name).Hint = "put the display name in label:"
				continue
			}
			if prev, dup := seen[e.Name]; dup {
				c.diags.Errorf(pos, "exposure %q is declared twice: in %s and in %s", e.Name, prev, pf.Path).Hint = "keep one declaration"
				continue
			}
			seen[e.Name] = pf.Path
			c.addExposure(pf.Path, dirs, e)
		}
	}
}

func (c *compiler) addExposure(file string, dirs []string, e *project.ExposureProps) {
	pos := e.Pos(file)
	switch {
	case e.Type == "":
		c.diags.Errorf(pos, "exposure %q has no type", e.Name).Hint = "add \"type:\" with one of " + quoteList(exposureTypes)
	case !contains(exposureTypes, e.Type):
		d := diag.Errorf(keyPos(e.ValueAt, file, pos)("type"), "exposure %q has type %q", e.Name, e.Type)
		d.Hint = "use one of " + quoteList(exposureTypes)
		if h := diag.DidYouMean(e.Type, exposureTypes); h != "" {
			d.Hint = h
		}
		c.diags.Add(d)
	}
	if e.Maturity != "" && !contains(exposureMaturity, e.Maturity) {
		c.diags.Errorf(keyPos(e.ValueAt, file, pos)("maturity"), "exposure %q has maturity %q", e.Name, e.Maturity).Hint = "use one of " + quoteList(exposureMaturity)
	}
	c.checkOwner("exposure", e.Name, e.Owner, e.OwnerAt, file, pos, true)
	c.checkConfigAt(e.Config, keyValuePos(e.ConfigAt, file, pos), graph.Exposure, innerPos(e.ConfigAt, file))
	raw := mergeConfigs(e.Config, map[string]any{"tags": e.Tags, "meta": e.Meta})
	n := &graph.Node{
		ID: graph.ID("exposure." + c.name + "." + e.Name), Kind: graph.Exposure, Name: e.Name, Package: c.name,
		Path: file, Pos: pos, FQN: fqn(c.name, dirs, e.Name), Description: e.Description,
		Config:   toConfig(raw, ""),
		Exposure: &graph.ExposureInfo{Type: e.Type, Owner: e.Owner, Label: e.Label, Maturity: e.Maturity, URL: e.URL},
	}
	for _, d := range e.DependsOn {
		at := d.Pos(file)
		fn, args, ok := parseCall(d.Text)
		switch {
		case !ok:
			c.diags.Errorf(at, "exposure %q depends on %q, which is not a ref(), source() or metric() call", e.Name, d.Text).
				Hint = "write ref('model'), source('source', 'table') or metric('name')"
		case fn == "ref" && (len(args) == 1 || len(args) == 2):
			name := args[len(args)-1]
			if len(args) == 2 && args[0] != c.name {
				c.diags.Errorf(at, "exposure %q depends on ref(%q, %q): package %q has no nodes kiln builds", e.Name, args[0], name, args[0]).
					Hint = "ref a node of this project (" + c.name + ")"
				continue
			}
			t, found := c.byName[name]
			if !found {
				d := diag.Errorf(at, "exposure %q depends on unknown model %q", e.Name, name)
				d.Hint = diag.DidYouMean(name, sortedKeys(c.byName))
				c.diags.Add(d)
				continue
			}
			pkg := ""
			if len(args) == 2 {
				pkg = args[0]
			}
			n.Refs = append(n.Refs, graph.Ref{Package: pkg, Name: name, Pos: at})
			n.DependsOn = append(n.DependsOn, t.ID)
		case fn == "source" && len(args) == 2:
			t, found := c.sources[[2]string{args[0], args[1]}]
			if !found {
				c.diags.Add(diag.Errorf(at, "exposure %q depends on unknown source %s.%s", e.Name, args[0], args[1]))
				continue
			}
			n.SourceRef = append(n.SourceRef, graph.Ref{Package: args[0], Name: args[1], Pos: at})
			n.DependsOn = append(n.DependsOn, t.ID)
		case fn == "metric" && len(args) == 1:
			n.Exposure.Metrics = append(n.Exposure.Metrics, graph.Ref{Name: args[0], Pos: at})
		default:
			c.diags.Errorf(at, "exposure %q depends on %q: expected ref('model'), source('source', 'table') or metric('name')", e.Name, d.Text)
		}
	}
	c.add(n)
}

// checkOwner checks an owner: mapping (of an exposure or a group): email
// (a text or a list of texts) and name, at least one of them when
// required, as dbt's Owner.
func (c *compiler) checkOwner(kind, name string, owner map[string]any, at map[string]project.At, file string, pos diag.Pos, required bool) {
	posOf := keyPos(at, file, pos)
	if owner == nil {
		if required {
			c.diags.Errorf(pos, "%s %q has no owner", kind, name).Hint = "add \"owner: {name: ..., email: ...}\""
		}
		return
	}
	if _, ok := owner["email"]; !ok {
		if _, ok := owner["name"]; !ok && required {
			c.diags.Errorf(pos, "the owner of %s %q has neither email nor name", kind, name).Hint = "add \"email:\" or \"name:\" under owner:"
		}
	}
	for _, k := range sortedKeys(owner) {
		switch v := owner[k].(type) {
		case string:
		case []any:
			if k != "email" {
				c.diags.Errorf(posOf(k), "owner.%s of %s %q must be a text", k, kind, name)
				continue
			}
			for _, x := range v {
				if _, ok := x.(string); !ok {
					c.diags.Errorf(posOf(k), "owner.email of %s %q must be a text or a list of texts", kind, name)
					break
				}
			}
		default:
			if k == "email" || k == "name" {
				c.diags.Errorf(posOf(k), "owner.%s of %s %q must be a text, not %v", k, kind, name, v)
			}
		}
	}
}

// collectGroups reads the groups of the property files.
func (c *compiler) collectGroups() {
	c.groups = map[string]*Group{}
	for _, pf := range c.p.Properties {
		for i := range pf.Groups {
			g := &pf.Groups[i]
			pos := g.Pos(pf.Path)
			if g.Name == "" {
				c.diags.Errorf(pos, "a group has no name").Hint = "add \"name: <group name>\""
				continue
			}
			if prev, dup := c.groups[g.Name]; dup {
				c.diags.Errorf(pos, "group %q is declared twice: in %s and in %s", g.Name, prev.Path, pf.Path).Hint = "keep one declaration"
				continue
			}
			c.checkOwner("group", g.Name, g.Owner, g.OwnerAt, pf.Path, pos, true)
			for _, k := range sortedKeys(g.Config) {
				if k != "meta" {
					key, _ := keyValuePos(g.ConfigAt, pf.Path, pos)(k)
					c.diags.Errorf(key, "unknown config %q of group %q", k, g.Name).Hint = "a group's config has meta only"
				}
			}
			c.groups[g.Name] = &Group{Name: g.Name, Package: c.name, Path: pf.Path, Pos: pos, Description: g.Description, Owner: g.Owner, Config: g.Config}
		}
	}
}

// accessLevels are dbt's values of access (https://docs.getdbt.com/reference/resource-configs/access).
var accessLevels = []string{"private", "protected", "public"}

// checkAccess resolves each model's access and group (the property's
// access:/group:, or the config's) into its config, checks them, and
// refuses, as dbt, a ref() to a private model from a model or snapshot
// outside its group. protected (the default) lets the project's own nodes,
// and the root project's for a package's model, ref the model.
func (c *compiler) checkAccess() {
	for _, id := range c.ids() {
		n := c.nodes[id]
		if n.Kind != graph.Model {
			continue
		}
		mp, file := c.nodeProps(n) // pkgnodes.go
		pos := n.Pos
		if mp != nil {
			pos = mp.Pos(file)
		}
		if mp != nil && mp.Access != "" {
			if _, set := n.Config.Extra["access"]; !set {
				n.Config.Extra["access"] = mp.Access
			}
		}
		if mp != nil && mp.Group != "" {
			if _, set := n.Config.Extra["group"]; !set {
				n.Config.Extra["group"] = mp.Group
			}
		}
		if a, set := n.Config.Extra["access"]; set {
			if s, ok := a.(string); !ok || !contains(accessLevels, s) {
				c.diags.Errorf(pos, "model %q has access %v", n.Name, a).Hint = "use one of " + quoteList(accessLevels)
			} else if s == "public" && n.Config.Materialized == graph.Ephemeral {
				// As dbt's parser (dbt-core #7226): an ephemeral model has
				// no relation another project could read.
				d := diag.Errorf(pos, "node %s with 'ephemeral' materialization has an invalid value (public) for the access field", n.ID)
				d.Hint = "an ephemeral model builds no relation to share: make it protected or private, or materialize it as a view or table"
				c.diags.Add(d)
			}
		}
		if g, set := n.Config.Extra["group"]; set && g != nil {
			s, _ := g.(string)
			if _, ok := c.groups[s]; !ok {
				d := diag.Errorf(pos, "model %q names group %v, which no property file declares", n.Name, g)
				d.Hint = diag.DidYouMean(s, sortedKeys(c.groups))
				if d.Hint == "" {
					d.Hint = "declare it under groups: with a name and an owner"
				}
				c.diags.Add(d)
			}
		}
	}
	for _, id := range c.ids() {
		n := c.nodes[id]
		if n.Kind != graph.Model && n.Kind != graph.Snapshot {
			continue
		}
		for _, r := range n.Refs {
			args := []string{r.Name}
			if r.Package != "" {
				args = []string{r.Package, r.Name}
			}
			t, _ := c.refTarget(n.Package, args) // pkgnodes.go
			if t == nil || t == n || modelAccess(t) != "private" {
				continue
			}
			if group(t) == "" || group(n) != group(t) {
				d := diag.Errorf(r.Pos, "%s %q refs model %q, which is private to group %q", n.Kind, n.Name, t.Name, group(t))
				d.Hint = fmt.Sprintf("put %q in group %q, or make %q protected or public", n.Name, group(t), t.Name)
				c.diags.Add(d)
			}
		}
	}
}

func modelAccess(n *graph.Node) string {
	if s, ok := n.Config.Extra["access"].(string); ok {
		return s
	}
	return "protected"
}

func group(n *graph.Node) string {
	s, _ := n.Config.Extra["group"].(string)
	return s
}

// GroupList returns the project's groups, sorted by name.
func (m *Manifest) GroupList() []*Group {
	var out []*Group
	for _, g := range m.Groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// isName reports whether s is a name dbt accepts for an exposure: letters,
// digits and underscores.
func isName(s string) bool {
	return s != "" && strings.Trim(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz0123456789_") == ""
}
