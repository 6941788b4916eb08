package compiler

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
)

// Model versions, as dbt builds them
// (https://docs.getdbt.com/docs/mesh/govern/model-versions,
// https://docs.getdbt.com/reference/resource-properties/versions):
//
//   - a model whose properties list versions: is one node per version,
//     unique id model.<project>.<name>.v<v>, name <name>, fqn ending in
//     v<v>, built from the file <name>_v<v>.sql or the version's
//     defined_in (the latest version may also be <name>.sql);
//   - its relation is <name>_v<v> (dots as underscores) unless an alias
//     is configured (dbt's generate_alias_name);
//   - ref('name') is the latest version (latest_version, else the highest
//     version, numbers compared as numbers), ref('name', v=1) or
//     version=1 one version;
//   - each version has the model's properties with its own config,
//     description and access over them, the top-level columns its
//     include/exclude element selects plus its own, and its own tests if
//     it lists any, else the model's; tests are named after
//     <name>_v<v>.

// versionedModel is a model with versions: its properties and its nodes.
type versionedModel struct {
	props     *project.ModelProps
	propsFile string
	latest    string
	order     []string                       // versions as declared
	entries   map[string]*modelVersion       // by version
	nodes     map[string]*graph.Node         // by version, once collected
	merged    map[string]*project.ModelProps // by version: the properties each version's node takes
}

// modelVersion is one entry of versions:.
type modelVersion struct {
	v     string
	props *project.VersionProps
	file  string // the model file's base name
}

// collectVersions reads the versions: of the models' properties, before
// the model files are collected: it maps each version's file to it.
func (c *compiler) collectVersions() {
	c.versioned = map[string]*versionedModel{}
	c.versionFiles = map[string]*versionFile{}
	c.checkColumnIncludes()
	files := map[string]bool{}
	for _, f := range c.p.Models {
		files[baseName(f.Path)] = true
	}
	for _, key := range sortedKeys(c.props) {
		mp := c.props[key]
		if !strings.HasPrefix(key, "model:") || len(mp.Versions) == 0 {
			if mp.Latest != nil && strings.HasPrefix(key, "model:") {
				c.diags.Errorf(mp.Pos(c.propsAt[key]), "model %q has latest_version but no versions", mp.Name).Hint = "list its versions under versions:, or remove latest_version"
			}
			continue
		}
		file := c.propsAt[key]
		vm := &versionedModel{props: mp, propsFile: file, entries: map[string]*modelVersion{},
			nodes: map[string]*graph.Node{}, merged: map[string]*project.ModelProps{}}
		for i := range mp.Versions {
			vp := &mp.Versions[i]
			v, good := template.VersionText(vp.V)
			if !good {
				c.diags.Errorf(vp.Pos(file), "a version of model %q has v: %v", mp.Name, vp.V).Hint = "give each version an identifier, a number or a text: v: 2"
				continue
			}
			if _, dup := vm.entries[v]; dup {
				c.diags.Errorf(vp.Pos(file), "model %q lists version %s twice", mp.Name, v).Hint = "give each version its own v:"
				continue
			}
			vm.entries[v] = &modelVersion{v: v, props: vp}
			vm.order = append(vm.order, v)
		}
		if len(vm.order) == 0 {
			continue
		}
		for _, v := range vm.order {
			if vm.latest == "" || graph.VersionLess(vm.latest, v) {
				vm.latest = v
			}
		}
		if mp.Latest != nil {
			l, good := template.VersionText(mp.Latest)
			if _, listed := vm.entries[l]; !good || !listed {
				c.diags.Errorf(mp.Pos(file), "latest_version: %v is not one of model %q's versions: %s", mp.Latest, mp.Name, strings.Join(vm.order, ", ")).Hint = "set latest_version to a listed v:, or add that version"
			} else {
				vm.latest = l
			}
		}
		for _, v := range vm.order {
			e := vm.entries[v]
			e.file = e.props.DefinedIn
			if e.file == "" {
				e.file = mp.Name + "_v" + v
				if v == vm.latest && !files[e.file] && files[mp.Name] {
					e.file = mp.Name // dbt: the latest version may be defined in <name>.sql
				}
			}
			if prev, taken := c.versionFiles[e.file]; taken {
				c.diags.Errorf(e.props.Pos(file), "version %s of model %q is defined in %s, as version %s of model %q is", v, mp.Name, e.file, prev.entry.v, prev.model.props.Name).Hint = "give each version its own file with defined_in"
				continue
			}
			c.versionFiles[e.file] = &versionFile{model: vm, entry: e}
			merged, good := c.versionProps(vm, e)
			if good {
				vm.merged[v] = merged
			}
		}
		c.versioned[mp.Name] = vm
	}
}

// versionFile is the version a model file defines.
type versionFile struct {
	model *versionedModel
	entry *modelVersion
}

// versionProps returns the properties of version e of vm: the model's,
// with the version's config, description and access over them, its
// columns and its tests.
func (c *compiler) versionProps(vm *versionedModel, e *modelVersion) (*project.ModelProps, bool) {
	mp, vp, file := vm.props, e.props, vm.propsFile
	out := *mp
	out.Versions = nil
	out.Config = mergeConfigs(mp.Config, vp.Config)
	out.ConfigAt = map[string]project.At{}
	for k, a := range mp.ConfigAt {
		out.ConfigAt[k] = a
	}
	for k, a := range vp.ConfigAt {
		out.ConfigAt[k] = a
	}
	if vp.Description != "" {
		out.Description = vp.Description
	}
	if vp.Access != "" {
		out.Access = vp.Access
	}
	if vp.Deprecation != "" {
		out.Deprecation = vp.Deprecation
	}
	out.Constraints = append(append([]any(nil), mp.Constraints...), vp.Constraints...)
	out.ConstraintsAt = make([]map[string]project.At, len(mp.Constraints), len(out.Constraints))
	copy(out.ConstraintsAt, mp.ConstraintsAt)
	out.ConstraintsAt = append(out.ConstraintsAt, vp.ConstraintsAt...)
	if tests, given := vp.AllTests(); given {
		out.Tests, out.DataTests = tests, nil
	}
	cols, ok := c.versionColumns(mp, vp, file)
	out.Columns = cols
	return &out, ok
}

// versionColumns returns a version's columns: the top-level columns its
// include/exclude element selects (all when it has none), then its own,
// an own column replacing a top-level one of the same name.
func (c *compiler) versionColumns(mp *project.ModelProps, vp *project.VersionProps, file string) ([]project.ColumnProps, bool) {
	includeAll, include, exclude := true, map[string]bool{}, map[string]bool{}
	var own []project.ColumnProps
	seenIE := false
	ok := true
	for _, col := range vp.Columns {
		if col.Include == nil && col.Exclude == nil {
			own = append(own, col)
			continue
		}
		if seenIE {
			c.diags.Errorf(col.Pos(file), "version %v of model %q has two include/exclude entries", vp.V, mp.Name).Hint = "a version's columns hold at most one include/exclude entry"
			ok = false
			continue
		}
		seenIE = true
		if col.Name != "" {
			c.diags.Errorf(col.Pos(file), "a columns entry with include or exclude has no name (here %q)", col.Name).Hint = "write the include/exclude entry and the column as two entries"
			ok = false
		}
		switch x := col.Include.(type) {
		case nil:
		case string:
			if x != "*" && x != "all" {
				c.diags.Errorf(col.Pos(file), "include: %q", x).Hint = `write include: "*", include: all, or a list of column names`
				ok = false
			}
		case []any:
			includeAll = false
			for _, n := range x {
				s, isStr := n.(string)
				if !isStr {
					c.diags.Errorf(col.Pos(file), "include lists %v, not a column name", n).Hint = "list column names"
					ok = false
					continue
				}
				include[strings.ToLower(s)] = true
			}
		default:
			c.diags.Errorf(col.Pos(file), "include: %v", x).Hint = `write include: "*", include: all, or a list of column names`
			ok = false
		}
		if len(col.Exclude) > 0 && !includeAll {
			c.diags.Errorf(col.Pos(file), "exclude goes with include: \"*\" or all, not with a list").Hint = "leave the excluded names out of the include list"
			ok = false
		}
		for _, n := range col.Exclude {
			exclude[strings.ToLower(n)] = true
		}
	}
	ownNames := map[string]bool{}
	for _, col := range own {
		ownNames[strings.ToLower(col.Name)] = true
	}
	var out []project.ColumnProps
	for _, col := range mp.Columns {
		name := strings.ToLower(col.Name)
		if (includeAll || include[name]) && !exclude[name] && !ownNames[name] {
			out = append(out, col)
		}
	}
	return append(out, own...), ok
}

// versionNode returns the node of model file f when it defines a version
// of a versioned model, or nil.
func (c *compiler) versionNode(f project.File) *graph.Node {
	vf := c.versionFiles[baseName(f.Path)]
	if vf == nil {
		return nil
	}
	vm, e := vf.model, vf.entry
	mp := vm.merged[e.v]
	if mp == nil {
		mp = vm.props
	}
	name := vm.props.Name
	fc := c.fileConfigWith(graph.Model, f, c.p.Config.ModelPaths, c.p.ModelConfig, graph.View, mp, vm.propsFile)
	n := &graph.Node{
		ID:            graph.ID("model." + c.name + "." + name + ".v" + e.v),
		Kind:          graph.Model,
		Name:          name,
		Package:       c.name,
		Path:          f.Path,
		Pos:           diag.Pos{File: f.Path},
		FQN:           append(fqn(c.name, fc.dirs, name), "v"+e.v),
		RawCode:       string(f.Content),
		Checksum:      checksum(f.Content),
		Config:        fc.config,
		Columns:       columns(mp, vm.propsFile),
		Version:       e.v,
		LatestVersion: vm.latest,
		Description:   mp.Description,
	}
	if mp.Access != "" {
		n.Config.Extra["access"] = mp.Access
	}
	c.describedAt(n, e.props.Pos(vm.propsFile))
	c.nodeConstraints(n, mp, vm.propsFile)
	n.Relation = c.relationOf(n)
	vm.nodes[e.v] = n
	return n
}

// settleVersions names the latest version of each versioned model for
// ref() without a version, and reports versions without a file and a
// model file that has a versioned model's name without being a version.
func (c *compiler) settleVersions() {
	for _, name := range sortedKeys(c.versioned) {
		vm := c.versioned[name]
		for _, v := range vm.order {
			if vm.nodes[v] == nil {
				e := vm.entries[v]
				d := c.diags.Errorf(e.props.Pos(vm.propsFile), "version %s of model %q has no model file %s.sql", v, name, e.file)
				if e.props.DefinedIn != "" {
					d.Hint = "create it, or point defined_in at the file that defines it"
				} else {
					d.Hint = fmt.Sprintf("create %s.sql, or name its file with defined_in", e.file)
				}
			}
		}
		if other, taken := c.byName[name]; taken {
			d := c.diags.Errorf(other.Pos, "%s %q has the name of versioned model %q", other.Kind, name, name)
			d.Hint = fmt.Sprintf("make it a version (list it under versions: with defined_in: %s), or rename it", baseName(other.Path))
			continue
		}
		if latest := vm.nodes[vm.latest]; latest != nil {
			c.byName[name] = latest
		}
	}
}

// refVersioned resolves ref() written in a node of package from, with
// the version its v= or version= names ("" for none): a versioned model's
// latest or named version, else what refTarget finds (pkgnodes.go).
func (c *compiler) refVersioned(from string, args []string, version string) (*graph.Node, error) {
	name := args[len(args)-1]
	if vm := c.versioned[name]; vm != nil && (len(args) == 1 || args[0] == c.rootName()) {
		if version == "" {
			if n := vm.nodes[vm.latest]; n != nil {
				return n, nil
			}
			return nil, fmt.Errorf("model %q has no file for its latest version %s", name, vm.latest)
		}
		if n := vm.nodes[version]; n != nil {
			return n, nil
		}
		return nil, hintless(fmt.Sprintf("model %q has no version %s; its versions are %s", name, version, strings.Join(vm.order, ", ")))
	}
	t, err := c.refTarget(from, args)
	if err != nil {
		return nil, err
	}
	if version != "" {
		return nil, hintless(fmt.Sprintf("%s %q has no versions, so ref() cannot name version %s; ref('%s') without v=", t.Kind, name, version, name))
	}
	return t, nil
}

// versionTests are the versions of a versioned model, each with the
// properties its tests come from, in the order declared.
func (c *compiler) versionTests(name string) []versionedTests {
	vm := c.versioned[name]
	if vm == nil {
		return nil
	}
	var out []versionedTests
	versions := append([]string(nil), vm.order...)
	sort.SliceStable(versions, func(i, j int) bool { return graph.VersionLess(versions[i], versions[j]) })
	for _, v := range versions {
		if n, mp := vm.nodes[v], vm.merged[v]; n != nil && mp != nil {
			out = append(out, versionedTests{node: n, props: mp})
		}
	}
	return out
}

type versionedTests struct {
	node  *graph.Node
	props *project.ModelProps
}

// checkColumnIncludes reports include/exclude entries among columns that
// are not a model version's: only a version's columns choose from the
// model's.
func (c *compiler) checkColumnIncludes() {
	check := func(file string, cols []project.ColumnProps) {
		for _, col := range cols {
			if col.Include != nil || col.Exclude != nil {
				c.diags.Errorf(col.Pos(file), "include/exclude belongs in a model version's columns").Hint = "list the columns themselves here; include/exclude chooses, under versions:, which of these a version has"
			}
		}
	}
	for _, pf := range c.p.Properties {
		for _, list := range [][]project.ModelProps{pf.Models, pf.Seeds, pf.Tests, pf.Snapshots} {
			for _, mp := range list {
				check(pf.Path, mp.Columns)
			}
		}
		for _, s := range pf.Sources {
			for _, t := range s.Tables {
				check(pf.Path, t.Columns)
			}
		}
	}
}
