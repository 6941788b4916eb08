package compiler

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
	"github.com/kiln-build/kiln/compiler/yamljinja"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// rendered is what rendering a model or singular test found.
type rendered struct {
	out        string
	refs       []graph.Ref // resolved: Ref.Name holds the target node ID
	sources    []graph.Ref // Ref.Package = source name, Ref.Name = table
	deps       []graph.ID
	config     map[string]any
	configPos  diag.Pos                   // the first config() call
	configAt   map[string]template.ArgPos // where a config() call writes a key and its value, when known
	macros     []string                   // the dbt ids of the macros called, in call order, unique
	attrAccess bool                       // the template read a ref's attributes: render again once relations are final
	execute    bool                       // the template read execute: render again at run time
	readsBatch bool                       // the template read model.batch: a microbatch model renders again for each batch
	diags      diag.List
	logs       []graph.LogLine // log() and print() messages, in order
}

// configKeyPos returns where config key k and its value are written in
// the config() calls of the rendering: at the key and the value when
// known, else at the first config() call.
func (r *rendered) configKeyPos(k string) (key, value diag.Pos) {
	if a, ok := r.configAt[k]; ok {
		return a.Key, a.Value
	}
	return r.configPos, r.configPos
}

// collectProps indexes the YAML properties of models, seeds and singular
// tests by name.
func (c *compiler) collectProps() {
	for _, pf := range c.p.Properties {
		analyses := make([]project.ModelProps, len(pf.Analyses))
		for i := range pf.Analyses {
			analyses[i] = *pf.Analyses[i].ModelProps()
		}
		for kind, list := range map[string][]project.ModelProps{"model": pf.Models, "seed": pf.Seeds, "test": pf.Tests, "snapshot": pf.Snapshots, "analysis": analyses} {
			for i := range list {
				mp := &list[i]
				if mp.Relation != "" && kind != "snapshot" {
					c.diags.Errorf(mp.Pos(pf.Path), "a %s entry has no relation: (it is a snapshot's)", kind).Hint = "remove it, or move the entry under snapshots:"
				}
				key := kind + ":" + mp.Name
				if mp.Name == "" {
					c.diags.Errorf(mp.Pos(pf.Path), "a %s entry has no name", kind).Hint = "add \"name: <" + kind + " name>\""
					continue
				}
				if prev, dup := c.propsAt[key]; dup {
					c.diags.Errorf(mp.Pos(pf.Path), "%s %q is described twice: first at %s, again here", kind, mp.Name, c.props[key].Pos(prev)).Hint = "merge the two entries into one"
					continue
				}
				c.props[key] = mp
				c.propsAt[key] = pf.Path
			}
		}
	}
}

// propsConfig returns the config block of YAML properties, with their tags.
func propsConfig(mp *project.ModelProps) map[string]any {
	if mp == nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range mp.Config {
		out[k] = v
	}
	if len(mp.Tags) > 0 {
		project.Merge(out, "tags", mp.Tags)
	}
	if len(mp.Meta) > 0 {
		project.Merge(out, "meta", mp.Meta)
	}
	if len(mp.Docs) > 0 {
		// The docs property (dbt's top-level key, before config: docs in
		// 1.10) under the entry's own config: docs.
		cfgDocs := out["docs"]
		delete(out, "docs")
		project.Merge(out, "docs", mp.Docs)
		project.Merge(out, "docs", cfgDocs)
	}
	return out
}

func columns(mp *project.ModelProps, file string) []graph.Column {
	if mp == nil {
		return nil
	}
	out := make([]graph.Column, 0, len(mp.Columns))
	for _, col := range mp.Columns {
		out = append(out, graph.Column{Name: col.Name, Description: col.Description, DataType: col.DataType, Tags: col.Tags, Meta: col.Meta, Pos: col.Pos(file)})
	}
	return out
}

// collectModels creates a node per model file, with its project.yml and
// YAML configuration (config() calls are applied after rendering).
func (c *compiler) collectModels() {
	for _, f := range c.p.Models {
		if n := c.versionNode(f); n != nil {
			c.markEmpty(n)
			c.add(n)
			continue
		}
		name := baseName(f.Path)
		fc := c.fileConfig(graph.Model, f, c.p.Config.ModelPaths, c.p.ModelConfig, graph.View)
		n := &graph.Node{
			ID:       graph.ID("model." + c.name + "." + name),
			Kind:     graph.Model,
			Name:     name,
			Package:  c.name,
			Path:     f.Path,
			Pos:      diag.Pos{File: f.Path},
			FQN:      fqn(c.name, fc.dirs, name),
			RawCode:  string(f.Content),
			Checksum: checksum(f.Content),
			Config:   fc.config,
			Columns:  columns(fc.props, fc.propsFile),
		}
		if fc.props != nil {
			n.Description = fc.props.Description
			c.describedAt(n, fc.props.Pos(fc.propsFile))
		}
		c.nodeConstraints(n, fc.props, fc.propsFile)
		n.Relation = c.relationOf(n)
		c.markEmpty(n)
		if _, taken := c.byName[name]; taken {
			// Another model or a seed has this name: resolveNames keeps
			// the enabled one, once config() calls are known.
			c.shadows = append(c.shadows, n)
			continue
		}
		c.add(n)
		c.byName[name] = n
	}
}

// markEmpty disables model n when its file holds only whitespace: dbt's
// node.empty (raw code blank once stripped), which dbt keeps out of every
// selection, so that nothing builds it; a warning says so at the file.
func (c *compiler) markEmpty(n *graph.Node) {
	if strings.TrimSpace(n.RawCode) != "" {
		return
	}
	n.Config.Enabled = false
	n.Empty = true
	c.diags.Warnf(diag.Pos{File: n.Path, Line: 1, Col: 1}, "model %q is empty: %s holds no SQL, so it is skipped, as dbt skips empty models", n.DisplayName(), n.Path).
		Hint = "write its select statement, or delete the file"
}

// fileConfig is the configuration of a model or seed file: its folders
// below the resource path, its YAML properties, and its config merged from
// project.yml's folders and the properties (config() calls come later).
type fileConfig struct {
	dirs      []string
	props     *project.ModelProps
	propsFile string
	config    graph.Config
}

func (c *compiler) fileConfig(kind graph.Kind, f project.File, roots []string, tree *project.ConfigTree, materialized string) fileConfig {
	key := string(kind) + ":" + baseName(f.Path)
	return c.fileConfigWith(kind, f, roots, tree, materialized, c.props[key], c.propsAt[key])
}

// fileConfigWith is fileConfig with the YAML properties props, written in
// propsFile (nil: none), such as a model version's.
func (c *compiler) fileConfigWith(kind graph.Kind, f project.File, roots []string, tree *project.ConfigTree, materialized string, props *project.ModelProps, propsFile string) fileConfig {
	fc := fileConfig{dirs: folders(f.Path, roots)}
	path := append(append([]string(nil), fc.dirs...), baseName(f.Path))
	projCfg := tree.Resolve(path)
	fc.props, fc.propsFile = props, propsFile
	yamlCfg := propsConfig(fc.props)
	if fc.props != nil {
		// docs: from config: docs (which wins), else the docs property.
		docsProp := func(k, sub string) (diag.Pos, bool) {
			a, ok := fc.props.DocsAt[sub]
			return a.Pos(fc.propsFile), ok && k == "docs"
		}
		c.checkConfigAt(yamlCfg, keyValuePos(fc.props.ConfigAt, fc.propsFile, fc.props.Pos(fc.propsFile)), kind,
			innerPos(fc.props.ConfigAt, fc.propsFile), docsProp)
	}
	fc.config = toConfig(mergeConfigs(projCfg, yamlCfg), materialized)
	return fc
}

// templated returns the models and singular tests, sorted by ID, then
// the models that share a name with another (sorted by path).
func (c *compiler) templated() []*graph.Node {
	var out []*graph.Node
	for _, id := range c.ids() {
		n := c.nodes[id]
		if n.RawCode != "" && (n.Kind == graph.Model || n.Kind == graph.Snapshot || n.Kind == graph.Analysis || (n.Kind == graph.Test && n.Test.Generic == "")) {
			out = append(out, n)
		}
	}
	return append(out, c.shadows...)
}

const refMark = "__kiln_ref("

func placeholder(id graph.ID) string { return refMark + string(id) + ")__" }

// renderModels renders every model and singular test, in parallel. ref()
// returns a placeholder, replaced once every node's config() is known.
func (c *compiler) renderModels() {
	nodes := c.templated()
	results := make([]*rendered, len(nodes))
	var wg sync.WaitGroup
	next := make(chan int)
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = c.renderNode(nodes[i], renderMode{})
			}
		}()
	}
	for i := range nodes {
		next <- i
	}
	close(next)
	wg.Wait()

	// Apply config() calls, then finalise relations.
	for i, n := range nodes {
		r := results[i]
		c.lateErrors(n, r)
		c.diags.Append(r.diags)
		c.render[n] = r
		if r.config == nil {
			continue
		}
		c.checkConfigAt(r.config, r.configKeyPos, n.Kind)
		before := n.Relation
		n.Config = toConfig(mergeConfigs(configMap(n.Config), r.config), n.Config.Materialized)
		if n.Kind == graph.Snapshot {
			n.Config.Materialized = string(graph.Snapshot)
		}
		if n.Kind == graph.Model || n.Kind == graph.Snapshot {
			n.Relation = c.relationOf(n)
			if n.Relation != before && strings.Contains(n.RawCode, "this") {
				r.attrAccess = true
			}
		}
	}
	for _, n := range nodes {
		if n.Kind == graph.Model && n.Config.Materialized == graph.Ephemeral {
			n.Named, n.Relation = c.relationOf(n), sqlq.Relation{}
		}
		if n.Kind == graph.Analysis {
			n.Named = c.relationOf(n) // manifest.json's names: an analysis builds nothing
		}
	}
	c.resolveNames()
	c.checkRelations()
	// Refs to disabled nodes are errors, as in dbt.
	for _, n := range nodes {
		r := c.render[n]
		for _, ref := range r.refs {
			if t := c.nodes[graph.ID(ref.Name)]; t != nil && !t.Config.Enabled && n.Config.Enabled {
				if t.Empty {
					// dbt compiles the ref and fails at run time on a relation
					// nothing built (or reads one left from before).
					c.diags.Errorf(ref.Pos, "model %q is empty (%s holds no SQL), so nothing builds it, but %q refs it", t.Name, t.Path, n.Name).Hint = "write the select statement of " + t.Path + ", or remove the ref"
					continue
				}
				c.diags.Errorf(ref.Pos, "%s %q is disabled, but %q refs it", t.Kind, t.Name, n.Name).Hint = "enable it, or remove the ref"
			}
		}
		for _, src := range r.sources {
			if t := c.sources[[2]string{src.Package, src.Name}]; t != nil && !t.Config.Enabled && n.Config.Enabled {
				c.diags.Errorf(src.Pos, "source %q is disabled, but %q reads it", t.DisplayName(), n.Name).Hint = "enable it, or remove the source() call"
			}
		}
	}
	for _, n := range nodes {
		r := c.render[n]
		// The refs, sources and dependencies of the first rendering are
		// set before the second, whose model.refs and model.depends_on
		// read them (checkLateRefs reads r.deps, not r.refs).
		n.Refs, n.SourceRef = r.refs, r.sources
		for i := range n.Refs {
			n.Refs[i].Name = c.nodes[graph.ID(n.Refs[i].Name)].Name
		}
		n.DependsOn = append(n.DependsOn, r.deps...)
		n.Macros = r.macros
		if r.attrAccess {
			again := c.renderNode(n, renderMode{final: true})
			c.lateErrors(n, again)
			c.diags.Append(again.diags)
			r.out, r.logs = again.out, again.logs
			c.checkLateRefs(n, r, again)
		}
		n.Logs = r.logs
		n.CompiledCode = c.statement(n, c.substitute(r.out))
		if n.Kind == graph.Model && n.Config.Enabled && !r.execute && !n.Empty && !r.diags.HasErrors() && sqlBlank(n.CompiledCode) {
			c.diags.Errorf(diag.Pos{File: n.Path, Line: 1, Col: 1}, "model %q has no SQL: %s renders to comments and whitespace only", n.Name, n.Path).
				Hint = "write its select statement; a file with nothing in it is skipped, as dbt skips empty models, but one with a comment would be run, and fail"
		}
		n.RenderAtRun = r.execute
		if n.Kind == graph.Model && n.Config.Enabled && n.Config.Materialized == graph.Ephemeral && n.ContractEnforced() {
			// dbt: "Model contracts are not supported for
			// ephemeral-materialized SQL models": no relation holds the
			// columns to check.
			pos, _ := c.configValuePos(n, r, "contract", n.Pos)
			c.diags.Errorf(pos, "model %q is ephemeral: its enforced contract cannot be checked (as in dbt, contracts are for tables, views and incremental models)", n.Name).
				Hint = "materialize it as a table, view or incremental model, or set contract: {enforced: false} for it"
		}
		if n.Kind == graph.Model && n.Config.Materialized == graph.Incremental && n.Config.Enabled {
			c.compileIncremental(n, r)
		} else if n.Kind == graph.Model && n.Config.Enabled {
			c.warnIncrementalKeys(n, r)
		}
		if n.Kind == graph.Snapshot && n.Config.Enabled {
			pos := n.Pos
			if r.config != nil {
				pos = r.configPos
			}
			c.compileSnapshot(n, r, pos)
		}
	}
}

// lateErrors drops the errors of r, a compile rendering of node n, when
// n is kiln show's --inline query (Options.Inline) and its template reads
// execute: it renders again with the database before it is shown, and
// that rendering's errors are reported (dbt parses it leniently, with
// run_query returning None, and renders it with execute true).
func (c *compiler) lateErrors(n *graph.Node, r *rendered) {
	if c.opts.Inline == "" || n.Path != c.opts.Inline || !r.execute || !r.diags.HasErrors() {
		return
	}
	r.diags, r.out = r.diags.Warnings(), ""
}

// checkLateRefs reports the refs and sources that the final rendering
// again of n reaches and its first rendering r did not (a branch on
// config.get, say): the first gives n's dependencies, so such a node
// could be built before its parent. dbt refuses them too ("dbt was unable
// to infer all dependencies for the model").
func (c *compiler) checkLateRefs(n *graph.Node, r, again *rendered) {
	known := map[graph.ID]bool{}
	for _, id := range r.deps {
		known[id] = true
	}
	late := func(id graph.ID, what string, pos diag.Pos) {
		if known[id] {
			return
		}
		known[id] = true
		c.diags.Errorf(pos, "%s %q reads %s only once its config is final (config.get), so kiln cannot order it after it", n.Kind, n.Name, what).
			Hint = fmt.Sprintf("add a line \"-- depends_on: {{ %s }}\" to %s, as dbt asks", what, n.Path)
	}
	for _, ref := range again.refs {
		if t := c.nodes[graph.ID(ref.Name)]; t != nil {
			late(t.ID, fmt.Sprintf("ref('%s')", t.Name), ref.Pos)
		}
	}
	for _, src := range again.sources {
		if t, ok := c.sourceTarget(n.Package, src.Package, src.Name); ok {
			late(t.ID, fmt.Sprintf("source('%s', '%s')", src.Package, src.Name), src.Pos)
		}
	}
}

// configMap converts a Config back to raw configs, to merge a config() call
// over it.
func configMap(cfg graph.Config) map[string]any {
	out := map[string]any{"enabled": cfg.Enabled, "materialized": cfg.Materialized}
	if cfg.Schema != "" {
		out["schema"] = cfg.Schema
	}
	if cfg.Alias != "" {
		out["alias"] = cfg.Alias
	}
	if cfg.Severity != "" {
		out["severity"] = cfg.Severity
	}
	if len(cfg.Tags) > 0 {
		out["tags"] = cfg.Tags
	}
	if cfg.Meta != nil {
		out["meta"] = cfg.Meta
	}
	for k, v := range cfg.Extra {
		out[k] = v
	}
	return out
}

// substitute replaces ref placeholders by the final relations (or the CTE
// names of ephemeral models).
func (c *compiler) substitute(s string) string {
	if !strings.Contains(s, refMark) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, refMark)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i:], ")__")
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		id := graph.ID(s[i+len(refMark) : i+j])
		b.WriteString(s[:i])
		b.WriteString(c.relationText(c.nodes[id]))
		s = s[i+j+3:]
	}
}

// relationText is how a ref to n is written in compiled SQL.
func (c *compiler) relationText(n *graph.Node) string {
	if n == nil {
		return "NULL"
	}
	if n.Kind == graph.Model && n.Config.Materialized == graph.Ephemeral {
		return cteName(n.Name)
	}
	if n.Kind == graph.Source && n.Source != nil && n.Source.ExternalLocation != "" {
		return n.Source.ExternalLocation
	}
	return c.readRel(n).String()
}

// tmplRelation is rel as templates see it, printed as quoted: its
// database, schema and identifier as ref(), source() and this give them
// (ref('x').database is the database its name is rendered with).
func tmplRelation(rel sqlq.Relation, quoted string) template.Relation {
	return template.Relation{Database: rel.Database, Schema: rel.Schema, Identifier: rel.Name, Quoted: quoted}
}

// readRel is the relation that ref() or source() of n reads: n's own, or
// the state's under Options.Defer.
func (c *compiler) readRel(n *graph.Node) sqlq.Relation {
	if rel, ok := c.opts.Defer[n.ID]; ok {
		return rel
	}
	return n.Relation
}

// EphemeralPrefix starts the name of the CTE an ephemeral model is inlined
// as: __dbt__cte__<model>, dbt's name, which tools that read compiled_code
// (column lineage, catalogs) recognise.
const EphemeralPrefix = "__dbt__cte__"

func cteName(model string) string { return EphemeralPrefix + model }

// renderMode says how to render a model: with final set, ref() returns
// real relations instead of placeholders; incremental is what
// is_incremental() returns; with batch set, ref() and source() of an
// input with an event_time return graph.BatchMarker (final must be set).
type renderMode struct {
	final, incremental, batch bool
	// db is the database at run time (execute true); nil while compiling.
	db template.DB
	// batchOf is the batch a microbatch model renders for at run time
	// (model.batch); nil renders its first batch (batchVar).
	batchOf *adapter.Batch
}

// renderNode renders a model or singular test as mode says.
func (c *compiler) renderNode(n *graph.Node, mode renderMode) *rendered {
	final := mode.final
	r := &rendered{}
	seenDep := map[graph.ID]bool{}
	dep := func(id graph.ID) {
		if !seenDep[id] {
			seenDep[id] = true
			r.deps = append(r.deps, id)
		}
	}
	this := tmplRelation(n.Relation, n.Relation.String())
	ctx := &template.Context{
		Ref: func(args []string, version string, pos diag.Pos) (any, error) {
			target, err := c.refVersioned(n.Package, args, version) // versions.go, pkgnodes.go
			if err != nil {
				return nil, err
			}
			pkg := ""
			if len(args) == 2 {
				pkg = args[0]
			}
			r.refs = append(r.refs, graph.Ref{Package: pkg, Name: string(target.ID), Version: version, Pos: pos})
			dep(target.ID)
			if final {
				rel := c.readRel(target)
				quoted := c.relationText(target)
				if mode.batch && eventTime(target) != "" {
					quoted = graph.BatchMarker(target.ID)
				}
				return tmplRelation(rel, quoted), nil
			}
			return template.Relation{Quoted: placeholder(target.ID), OnAccess: func() { r.attrAccess = true }}, nil
		},
		Source: func(src, table string, pos diag.Pos) (any, error) {
			target, ok := c.sourceTarget(n.Package, src, table) // pkgnodes.go
			if !ok {
				return nil, c.unknownSource(src, table)
			}
			r.sources = append(r.sources, graph.Ref{Package: src, Name: table, Pos: pos})
			dep(target.ID)
			rel := c.readRel(target)
			quoted := c.relationText(target)
			if mode.batch && eventTime(target) != "" {
				quoted = graph.BatchMarker(target.ID)
			}
			return tmplRelation(rel, quoted), nil
		},
		Config: func(kw map[string]any, pos diag.Pos, at map[string]template.ArgPos) error {
			if r.config == nil {
				r.config = map[string]any{}
				r.configPos = pos
			}
			for k, v := range kw {
				project.Merge(r.config, k, v)
				if a, ok := at[k]; ok {
					if r.configAt == nil {
						r.configAt = map[string]template.ArgPos{}
					}
					r.configAt[k] = a
				} else {
					delete(r.configAt, k)
				}
			}
			return nil
		},
		// config.get reads the configs known so far: the project's,
		// the YAML's and the config() calls rendered before it; a
		// template that reads them is rendered again once the node's
		// config is final, as dbt reads the final config when it
		// compiles.
		ConfigValue: func(key string) (any, bool) {
			m := configMap(n.Config)
			if !final {
				r.attrAccess = true
				m = mergeConfigs(m, r.config)
			}
			return configValue(n.Kind, m, key)
		},
		ConfigPending: !final,
		Var:           c.varIn(n.Package),
		OnPackageVar:  c.packageVarNote,
		EnvVar:        c.lookupEnv,
		This:          this,
		IsIncremental: mode.incremental,
		OnMacro: func(id string) {
			if !slices.Contains(r.macros, id) {
				r.macros = append(r.macros, id)
			}
		},
		DB:        mode.db,
		OnExecute: func() { r.execute = true },
		Graph:     c.graphVar,
		Log:       func(msg string) { r.logs = append(r.logs, graph.LogLine{Text: msg}) },
		Debug:     func(msg string) { r.logs = append(r.logs, graph.LogLine{Text: msg, Debug: true}) },
	}
	if n.Kind == graph.Model {
		this.Database = n.Relation.Database
		ctx.This = this
	}
	// dbt's model, schema and database: the node's manifest entry. The
	// first rendering reads the config and relation before its config()
	// calls are merged (as dbt's parse does), so a template that reads
	// them renders again once they are final, with its refs and
	// depends_on set (renderModels).
	model := func() map[string]any {
		if !final {
			r.attrAccess = true
		}
		return c.withBatch(c.modelVar(n, false), n, mode, r)
	}
	if c.opts.NodeEntries != nil {
		ctx.Model = model
		ctx.Where = c.modelWhere(model)
	}
	out, l := c.renderIn(n, ctx) // pkgnodes.go
	r.out = out
	r.diags = l
	return r
}

func (c *compiler) unknownRef(name string) error {
	names := make([]string, 0, len(c.byName))
	for k := range c.byName {
		names = append(names, k)
	}
	msg := fmt.Sprintf("unknown model %q in ref()", name)
	if h := diag.DidYouMean(name, names); h != "" {
		return hintless(msg + "; " + h)
	}
	return hintless(msg + "; no model or seed has that name")
}

func (c *compiler) unknownSource(src, table string) error {
	var names []string
	tables := map[string]bool{}
	for k := range c.sources {
		names = append(names, k[0]+"."+k[1])
		if k[0] == src {
			tables[k[1]] = true
		}
	}
	sort.Strings(names)
	msg := fmt.Sprintf("unknown source %q in source()", src+"."+table)
	if h := diag.DidYouMean(src+"."+table, names); h != "" {
		msg += "; " + strings.Replace(h, "did you mean ", "did you mean source ", 1)
	} else if len(tables) == 0 {
		msg += fmt.Sprintf("; no source is named %q: declare it under sources: in a YAML file", src)
	} else {
		msg += fmt.Sprintf("; source %q has tables %s", src, quoteList(sortedKeys(tables)))
	}
	return hintless(msg)
}

type hintless string

func (h hintless) Error() string { return string(h) }

func (c *compiler) lookupEnv(name string, def any, has bool, pos diag.Pos) (any, error) {
	if yamljinja.IsSecret(name) {
		return nil, yamljinja.SecretError(name) // dbt's SecretEnvVarLocationError, at parse
	}
	if v, ok := c.opts.LookupEnv(name); ok {
		return v, nil
	}
	if has {
		return def, nil
	}
	return nil, hintless(fmt.Sprintf("environment variable %q is not set; export it or give env_var() a default", name))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sqlBlank reports whether q holds nothing but whitespace, -- comments
// and /* comments */: no statement.
func sqlBlank(q string) bool {
	for i := 0; i < len(q); i++ {
		switch {
		case q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r' || q[i] == '\f' || q[i] == '\v':
		case strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				return true
			}
			i += j
		case strings.HasPrefix(q[i:], "/*"):
			end := sqlq.BlockCommentEnd(q, i)
			if end < 0 {
				return true
			}
			i = end - 1
		default:
			return false
		}
	}
	return true
}
