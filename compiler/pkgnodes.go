package compiler

import (
	"fmt"
	"sort"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
)

// The nodes of installed packages, as dbt builds them
// (https://docs.getdbt.com/docs/build/packages):
//
//   - every model, seed, snapshot, singular test, source and property file
//     of a package is a node of that package: package_name is the
//     package, unique ids are model.<package>.<name>, ..., the fqn starts
//     with the package's name;
//   - its configuration is the package's own dbt_project.yml, then the
//     root project's blocks under the package's name
//     (models: {my_pkg: {+enabled: false}}), then the properties, then
//     config(): project.ConfigTree.Override;
//   - ref('x') in a package's node is the root project's x, else the
//     package's own, else another package's (dbt-core's
//     _packages_to_search); ref('pkg', 'x') names the package. source()
//     and doc() search the same way. Its unqualified macros
//     resolve in the package first (template.Engine.RenderIn) and var()
//     reads the package's scope (vars.go);
//   - relations are named by the root project's naming (naming.go).
//
// The collect functions of the root project are reused: while a package
// is collected (inPackage), c.p, c.name and the name indexes are the
// package's.

// pkgScope is the collection state of one project: the root or a package.
type pkgScope struct {
	p       *project.Project // for a package, its config trees overridden by the root project's
	byName  map[string]*graph.Node
	sources map[[2]string]*graph.Node
	props   map[string]*project.ModelProps
	propsAt map[string]string
	shadows []*graph.Node
}

// packageScopes holds the scopes of the root project (under its name) and
// of each installed package.
type packageScopes map[string]*pkgScope

// collectPackageNodes collects the nodes of every installed package, in
// name order, after the root project's.
func (c *compiler) collectPackageNodes() {
	c.scopes = packageScopes{c.root.Config.Name: {p: c.root, byName: c.byName, sources: c.sources, props: c.props, propsAt: c.propsAt}}
	for _, q := range c.root.Packages {
		s := c.packageScope(q)
		c.scopes[q.Config.Name] = s
		c.inPackage(s, func() {
			// The values of the package's own project file, at their
			// positions in it (the root project's were checked).
			for _, t := range []*project.ConfigTree{q.ModelConfig, q.SnapshotConfig, q.SeedConfig, q.TestConfig, q.SourceConfig, q.ExportConfig} {
				if t != nil {
					c.checkTree(t)
				}
			}
			c.refusePackageProps()
			c.collectProps()
			c.collectSources()
			c.collectSeeds()
			c.collectModels()
			c.collectSnapshots()
			c.collectSingularTests()
		})
		for _, n := range s.shadows {
			first := s.byName[n.Name]
			c.diags.Errorf(n.Pos, "%s %q of package %q has the name of the %s in %s", n.Kind, n.Name, q.Config.Name, first.Kind, first.Path).
				Hint = "two nodes of one package sharing a name (one of them disabled) is not supported yet; rename or remove one file"
		}
	}
}

// collectPackageTests creates the data tests of the packages' property
// files, once their models are rendered.
func (c *compiler) collectPackageTests() {
	for _, q := range c.root.Packages {
		if s := c.scopes[q.Config.Name]; s != nil {
			c.inPackage(s, c.collectYAMLTests)
		}
	}
}

// packageScope returns a fresh scope for package q: its project with each
// config tree overridden by the root project's configs written directly
// under the resource key, then by its subtree under q's name (the more
// specific winning), as dbt's walk of the root project's configs along the
// node's fqn.
func (c *compiler) packageScope(q *project.Project) *pkgScope {
	name := q.Config.Name
	over := func(own, root *project.ConfigTree) *project.ConfigTree {
		var o *project.ConfigTree
		if root != nil {
			o = withGlobals(root.Global, root.Children[name])
		}
		if own == nil {
			own = &project.ConfigTree{Configs: map[string]project.ConfigValue{}, Children: map[string]*project.ConfigTree{}}
		}
		return own.WithOverride(o)
	}
	cp := *q
	cp.Target = c.root.Target
	cp.ModelConfig = over(q.ModelConfig, c.root.ModelConfig)
	cp.SeedConfig = over(q.SeedConfig, c.root.SeedConfig)
	cp.SnapshotConfig = over(q.SnapshotConfig, c.root.SnapshotConfig)
	cp.TestConfig = over(q.TestConfig, c.root.TestConfig)
	cp.SourceConfig = over(q.SourceConfig, c.root.SourceConfig)
	cp.ExportConfig = over(q.ExportConfig, c.root.ExportConfig)
	return &pkgScope{p: &cp, byName: map[string]*graph.Node{}, sources: map[[2]string]*graph.Node{},
		props: map[string]*project.ModelProps{}, propsAt: map[string]string{}}
}

// withGlobals returns the package's override o under the root project's
// top-level configs: o itself when there are none, else a tree holding the
// globals and overridden by o (tags accumulate, meta merges, the rest of
// o's values win).
func withGlobals(globals map[string]project.ConfigValue, o *project.ConfigTree) *project.ConfigTree {
	if len(globals) == 0 {
		return o
	}
	g := &project.ConfigTree{Configs: map[string]project.ConfigValue{}, Children: map[string]*project.ConfigTree{}}
	for k, v := range globals {
		g.Configs[k] = v
	}
	return g.WithOverride(o)
}

// inPackage runs f with s as the project being collected.
func (c *compiler) inPackage(s *pkgScope, f func()) {
	p, name, byName, sources, props, propsAt, shadows := c.p, c.name, c.byName, c.sources, c.props, c.propsAt, c.shadows
	c.p, c.name, c.byName, c.sources, c.props, c.propsAt, c.shadows = s.p, s.p.Config.Name, s.byName, s.sources, s.props, s.propsAt, nil
	defer func() {
		for _, n := range c.nodes {
			if n.Package == c.name && n.PkgPath == "" {
				n.PkgPath = s.p.Rel(n.Path)
			}
		}
		s.shadows = append(s.shadows, c.shadows...)
		c.p, c.name, c.byName, c.sources, c.props, c.propsAt, c.shadows = p, name, byName, sources, props, propsAt, shadows
	}()
	f()
}

// refusePackageProps reports what a package's property files declare that
// kiln does not build for a package yet.
func (c *compiler) refusePackageProps() {
	for _, pf := range c.p.Properties {
		refuse := func(at project.At, what string) {
			c.diags.Errorf(at.Pos(pf.Path), "%s of an installed package (%s) are not supported yet", what, c.name).
				Hint = "remove them from the package, or declare them in the root project"
		}
		for _, u := range pf.UnitTests {
			refuse(u.At, "unit tests")
		}
		for _, e := range pf.Exposures {
			refuse(e.At, "exposures")
		}
		for _, e := range pf.Exports {
			refuse(e.At, "exports")
		}
		for _, g := range pf.Groups {
			refuse(g.At, "groups")
		}
		for _, l := range [][]project.SemanticProps{pf.SemanticModels, pf.Metrics, pf.SavedQueries} {
			for _, e := range l {
				refuse(e.At, "semantic models, metrics and saved queries")
			}
		}
	}
}

// rootName is the root project's name.
func (c *compiler) rootName() string { return c.root.Config.Name }

// refTarget resolves ref(args...) written in a node of package from (the
// root project's name for its own nodes), as dbt does: ref('pkg', 'x') is
// x of package pkg; ref('x') is the root project's x, else from's, else
// the first package's (by name) that has one.
func (c *compiler) refTarget(from string, args []string) (*graph.Node, error) {
	name := args[len(args)-1]
	if c.scopes == nil { // before the packages are collected
		if len(args) == 2 && args[0] != c.name {
			return nil, fmt.Errorf("unknown package %q in ref(); this project is %q", args[0], c.name)
		}
		if t, ok := c.byName[name]; ok {
			return t, nil
		}
		return nil, c.unknownRef(name)
	}
	if len(args) == 2 {
		s := c.scopes[args[0]]
		if s == nil {
			var pkgs []string
			for _, q := range c.root.Packages {
				pkgs = append(pkgs, q.Config.Name)
			}
			if len(pkgs) == 0 {
				return nil, fmt.Errorf("unknown package %q in ref(); this project is %q", args[0], c.rootName())
			}
			return nil, hintless(fmt.Sprintf("unknown package %q in ref(); this project is %q, its packages %s", args[0], c.rootName(), quoteList(pkgs)))
		}
		if t, ok := s.byName[name]; ok {
			return t, nil
		}
		msg := fmt.Sprintf("unknown model %q of package %q in ref()", name, args[0])
		if h := diag.DidYouMean(name, sortedKeys(s.byName)); h != "" {
			return nil, hintless(msg + "; " + h)
		}
		return nil, hintless(msg + "; no model or seed of that package has that name")
	}
	for _, s := range c.searchOrder(from) {
		if t, ok := s.byName[name]; ok {
			return t, nil
		}
	}
	return nil, c.unknownRef(name)
}

// sourceTarget resolves source(src, table) written in a node of package
// from, searching as refTarget does.
func (c *compiler) sourceTarget(from, src, table string) (*graph.Node, bool) {
	if c.scopes == nil {
		t, ok := c.sources[[2]string{src, table}]
		return t, ok
	}
	for _, s := range c.searchOrder(from) {
		if t, ok := s.sources[[2]string{src, table}]; ok {
			return t, true
		}
	}
	return nil, false
}

// searchOrder is the scopes ref() and source() search from package from,
// as dbt-core's _packages_to_search: the root project's first, then from's
// own, then the others by name (so the root project can override a
// package's model or source by name).
func (c *compiler) searchOrder(from string) []*pkgScope {
	out := make([]*pkgScope, 0, len(c.scopes))
	seen := map[string]bool{}
	add := func(name string) {
		if s := c.scopes[name]; s != nil && !seen[name] {
			seen[name] = true
			out = append(out, s)
		}
	}
	add(c.rootName())
	add(from)
	names := sortedKeys(c.scopes)
	sort.Strings(names)
	for _, n := range names {
		add(n)
	}
	return out
}

// renderIn renders the code of node n: a package's node as code of its
// package, whose unqualified macro names resolve there first.
func (c *compiler) renderIn(n *graph.Node, ctx *template.Context) (string, diag.List) {
	if n.Package == "" || n.Package == c.rootName() {
		return c.engine.Render(n.Path, n.RawCode, ctx)
	}
	// packageVarNote is about package macros read from root nodes.
	ctx.OnPackageVar = nil
	return c.engine.RenderIn(n.Package, n.Path, n.RawCode, ctx)
}

// nodeProps returns the YAML properties of model, seed or snapshot n in
// its own project's property files, and the file, or nil.
func (c *compiler) nodeProps(n *graph.Node) (*project.ModelProps, string) {
	key := string(n.Kind) + ":" + n.Name
	if s := c.scopes[n.Package]; s != nil {
		return s.props[key], s.propsAt[key]
	}
	return c.props[key], c.propsAt[key]
}
