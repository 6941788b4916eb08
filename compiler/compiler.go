// Package compiler turns a loaded project into a lineage graph of compiled
// nodes: it renders every model and singular test with Jinja, resolves
// ref() and source() calls to relations, expands YAML data tests into test
// nodes, inlines ephemeral models as CTEs, and rejects cycles. It collects
// every problem as a diagnostic at file:line:col and returns them all at
// once. It is pure: no database, no terminal, no network.
package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kiln-build/kiln/compiler/builtin"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/template"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Options are the inputs of a compilation besides the project.
type Options struct {
	// Vars override the project's vars (the --vars flag).
	Vars map[string]any
	// LookupEnv reads environment variables for env_var(); nil means
	// os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// ProjectDir is the project's directory on disk, used to resolve the
	// relative paths of source files. Empty means the working directory.
	ProjectDir string
	// InvocationID and StartedAt (RFC 3339, UTC) are invocation_id and
	// run_started_at in templates. run_started_at is one instant for the
	// whole compilation, as dbt's is for the whole invocation: an empty
	// StartedAt is the time Compile started (the engine passes the
	// invocation's start, Config.StartedAt).
	InvocationID, StartedAt string
	// Defer maps nodes to the relation that ref() and source() of them
	// read instead of their own: dbt's --defer, where a parent that is not
	// selected (and, without --favor-state, not built in this target) is
	// read from the state's relation (in DuckDB, in the state's database,
	// attached under another name). Nil defers nothing.
	Defer map[graph.ID]sqlq.Relation
	// NodeEntries, when set, makes dbt's model context variable: given the
	// project being compiled (its Project and Engine; Graph nil), it
	// returns the function that gives a node's manifest.json entry as
	// plain values (artifact.NodeEntries). It is called once, the first
	// time a template reads model. Nil leaves model undefined.
	NodeEntries func(*Manifest) func(*graph.Node) map[string]any
	// StoreFailures is dbt's --store-failures: every data test keeps its
	// failing rows (store_failures: true) unless its own config says
	// otherwise.
	StoreFailures bool
	// FullRefresh is dbt's --full-refresh (flags.FULL_REFRESH, and so
	// should_full_refresh() of a node without a full_refresh config);
	// Which is the command (flags.WHICH: build, run, compile...; "" is
	// build).
	FullRefresh bool
	Which       string
	// NoRollback is kiln's --no-rollback (flags.NO_ROLLBACK): a failed
	// run keeps what it built, and its on-run-end runs in its commit.
	NoRollback bool
	// Inline is the path of kiln show's --inline query among the models
	// ("" without one). dbt parses it leniently and renders it with
	// execute true when it shows it: when its template reads execute
	// (run_query, statement...), the errors of its compile rendering,
	// where run_query returns None, are left to that rendering
	// (Manifest.RenderAtRun), which reports its own.
	Inline string
}

// Manifest is a compiled project.
type Manifest struct {
	Project *project.Project
	Graph   *graph.Graph
	Engine  *template.Engine
	Vars    map[string]any // project vars with --vars applied
	// Warnings are diagnostics that did not stop the compilation.
	Warnings diag.List
	// Disabled are the nodes switched off with enabled: false.
	Disabled []*graph.Node
	// UsedVars are the names read with var(), sorted.
	UsedVars []string
	// Docs are the {% docs %} blocks of the project and its packages, by
	// unique id (<package>.<name>).
	Docs map[string]*Doc
	// Groups are the property files' groups, by name.
	Groups map[string]*Group
	// Semantic are the semantic models, metrics and saved queries, in the
	// order of the files.
	Semantic []*SemanticEntry

	c *compiler // renders models again at run time (RenderAtRun)
}

// Compile compiles p. It returns the manifest, or every error found, sorted
// by position: first a --vars value that is not of its var's declared type,
// and then nothing is rendered. Warnings are returned in Manifest.Warnings.
func Compile(p *project.Project, opts Options) (*Manifest, diag.List) {
	// The values of typed vars are checked before anything is rendered
	// (compiler/project/vartypes.go).
	if l := p.CheckVars(opts.Vars); l.HasErrors() {
		return nil, l
	}
	c := newCompiler(p, opts)
	c.run()
	c.diags = c.dropVarCascade(c.diags)
	c.diags.Sort()
	if c.diags.HasErrors() {
		return nil, c.diags.Errors()
	}
	m := &Manifest{Project: p, Graph: c.graph, Engine: c.engine, Vars: c.vars, Warnings: c.diags.Warnings(), Disabled: c.disabled,
		UsedVars: sortedKeys(c.usedVars), Docs: c.docs, Groups: c.groups, Semantic: c.semantic, c: c}
	return m, nil
}

type compiler struct {
	p            *project.Project // the project being collected: the root, or a package (pkgnodes.go)
	root         *project.Project // the root project
	opts         Options
	name         string // project name
	engine       *template.Engine
	vars         map[string]any            // var() in the root project's nodes (vars.go)
	scoped       map[string]map[string]any // var() in each package's nodes, by package name
	diags        diag.List
	nodes        map[graph.ID]*graph.Node
	byName       map[string]*graph.Node         // models and seeds, for ref() (a versioned model's latest version)
	versioned    map[string]*versionedModel     // models with versions: (versions.go)
	versionFiles map[string]*versionFile        // model file base name -> the version it defines
	sources      map[[2]string]*graph.Node      // (source, table) -> node
	srcOverrides map[[2]string]*srcOverride     // (package, source) -> the root project's override (srcoverride.go)
	shadows      []*graph.Node                  // models named like another model or a seed, until resolveNames
	scopes       packageScopes                  // the root project's and each package's names, for ref() and source() (pkgnodes.go)
	clashed      map[*graph.Node]bool           // nodes already reported for their name
	props        map[string]*project.ModelProps // model/seed name -> YAML properties
	propsAt      map[string]string              // model/seed name -> YAML file
	render       map[*graph.Node]*rendered      // render results of models and singular tests
	graph        *graph.Graph
	disabled     []*graph.Node
	varsMu       sync.Mutex
	namingFails  namingFails           // naming macros' failures, until flushNamingFails (namingfail.go)
	usedVars     map[string]bool       // names read with var()
	unreadVars   map[string]bool       // package name -> its vars: could not be read (vars.go)
	varCascade   map[string]bool       // messages of vars missing in such a scope, dropped (dropVarCascade)
	varNotes     map[string]bool       // package.var already warned about (packageVarNote)
	customSeen   map[string]bool       // place + "\x00" + key of the project's own already warned about (firstCustomKeys)
	varWarnings  diag.List             // packageVarNote's warnings, until flushVarNotes
	docs         map[string]*Doc       // docs blocks by unique id
	descAt       map[graph.ID]diag.Pos // where a node's description is written, when not at n.Pos
	descEnv      *jinja.Env            // renders descriptions
	// runtimeTests render the generic tests whose macros read execute
	// again at run time.
	runtimeTests map[*graph.Node]func(template.DB, *logSink) (string, error)
	groups       map[string]*Group // groups: of the property files
	semantic     []*SemanticEntry  // semantic_models:, metrics:, saved_queries:
	graphOnce    sync.Once
	graphFn      func() map[string]any            // dbt's graph variable, set by SetGraph
	logFn        func(*graph.Node, graph.LogLine) // run-time log() and print(), set by SetLog
	graphValue   map[string]any
	entryOnce    sync.Once
	entryFn      func(*graph.Node) map[string]any // Options.NodeEntries' function
	naming       map[string]namingSet             // the overridden naming macros, by package ("": the root's) (naming.go)
}

// InvocationID returns invocation_id as the templates of m render it
// (Options.InvocationID; "" when none was given).
func (m *Manifest) InvocationID() string {
	if m.c == nil {
		return ""
	}
	return m.c.opts.InvocationID
}

// RunStartedAt returns run_started_at as the templates of m render it
// with {{ run_started_at }} (Python's str of an aware datetime in UTC:
// "2026-12-06 15:20:00.123456+00:00"), and the other renderings of the
// same instant that a template commonly writes: its isoformat() and its
// strftime to the second, with a space or a T. Longest first.
func (m *Manifest) RunStartedAt() []string {
	if m.c == nil {
		return nil
	}
	return RunStartedAtTexts(m.c.opts.StartedAt)
}

// RunStartedAtRead returns run_started_at of m's templates as RFC 3339 in
// UTC (Options.StartedAt, or when Compile started) once a template of m
// has read it, at compile or at run time; "" before.
func (m *Manifest) RunStartedAtRead() string {
	if m.c == nil || m.Engine == nil || !m.Engine.ReadRunStartedAt() {
		return ""
	}
	return m.c.opts.StartedAt
}

// RunStartedAtTexts returns the renderings of run_started_at for
// startedAt (RFC 3339; Manifest.RunStartedAt), nil when it does not
// parse.
func RunStartedAtTexts(startedAt string) []string {
	return template.RunStartedAtTexts(startedAt)
}

// SetGraph gives the templates that render at run time dbt's graph
// context variable: fn (such as artifact.FlatGraph of m) is called once,
// the first time a template reads graph.
func (m *Manifest) SetGraph(fn func() map[string]any) {
	if m.c != nil {
		m.c.graphFn = fn
	}
}

// graphVar is the graph variable of templates rendered at run time.
func (c *compiler) graphVar() map[string]any {
	c.graphOnce.Do(func() {
		if c.graphFn != nil {
			c.graphValue = c.graphFn()
		}
	})
	return c.graphValue
}

func newCompiler(p *project.Project, opts Options) *compiler {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.StartedAt == "" {
		opts.StartedAt = time.Now().UTC().Format(time.RFC3339Nano)
	}
	// Maps sized for the project's files: grown from empty, their
	// rehashing was a twentieth of compiling 30,000 trivial models.
	files := len(p.Models) + len(p.Seeds) + len(p.Snapshots) + len(p.Tests)
	c := &compiler{
		p: p, root: p, opts: opts, name: p.Config.Name,
		nodes:        make(map[graph.ID]*graph.Node, files),
		byName:       make(map[string]*graph.Node, files),
		sources:      map[[2]string]*graph.Node{},
		srcOverrides: map[[2]string]*srcOverride{},
		props:        make(map[string]*project.ModelProps, files),
		propsAt:      make(map[string]string, files),
		render:       make(map[*graph.Node]*rendered, files),
		clashed:      map[*graph.Node]bool{},
		usedVars:     map[string]bool{},
		varCascade:   map[string]bool{},
		varNotes:     map[string]bool{},
		customSeen:   map[string]bool{},
		descEnv:      jinja.NewEnv(),
		descAt:       make(map[graph.ID]diag.Pos, files),

		runtimeTests: map[*graph.Node]func(template.DB, *logSink) (string, error){},
	}
	// The vars read by the project files' and property files' values
	// (+enabled: "{{ var('using_x', true) }}") are used by the run.
	for _, q := range append([]*project.Project{p}, p.Packages...) {
		for _, k := range q.VarsRead() {
			c.usedVars[k] = true
		}
	}
	c.buildScopes()
	return c
}

func (c *compiler) run() {
	defer c.flushNamingFails() // those of the steps after the first flush
	srcs := []template.Source{{Path: builtin.TestsPath, Text: builtin.Tests}, {Path: builtin.AnomalyTestsPath, Text: builtin.AnomalyTests}}
	srcs = append(srcs, template.Source{Path: builtin.DBTPath, Text: builtin.DBT})
	srcs = append(srcs, template.Source{Path: builtin.GlobalPath, Text: builtin.Global})
	defaults := builtin.NamingKiln
	if c.root.DBT {
		defaults = builtin.NamingDBT
	}
	srcs = append(srcs, template.Source{Path: builtin.NamingPath, Text: builtin.Naming + defaults})
	for _, f := range c.p.Macros {
		srcs = append(srcs, template.Source{Path: f.Path, Text: string(f.Content)})
	}
	for _, q := range c.p.Packages {
		for _, f := range q.Macros {
			srcs = append(srcs, template.Source{Path: f.Path, Text: string(f.Content), Package: q.Config.Name})
		}
	}
	var l diag.List
	c.engine, l = template.NewEngine(srcs)
	c.diags.Append(l)
	c.engine.SetDispatch(c.dispatchConfig())
	run := template.Run{ProjectName: c.name, StartedAt: c.opts.StartedAt, InvocationID: c.opts.InvocationID,
		FullRefresh: c.opts.FullRefresh, StoreFailures: c.opts.StoreFailures, Which: c.opts.Which,
		NoRollback: c.opts.NoRollback, ProjectDir: c.opts.ProjectDir, Vars: c.opts.Vars}
	if c.p.Target != nil {
		run.Target = c.p.Target.Context
	}
	c.engine.SetRun(run)
	c.findNamingMacros()

	c.checkProjectQuoting()
	c.checkProjectFreshness()
	for _, t := range []*project.ConfigTree{c.p.ModelConfig, c.p.SnapshotConfig, c.p.SeedConfig, c.p.TestConfig, c.p.SourceConfig, c.p.ExportConfig, c.p.AnalysisConfig} {
		c.checkTree(t)
	}
	c.collectDocs()
	c.collectProps()
	c.collectGroups()
	c.collectSources()
	c.collectVersions()
	c.collectSeeds()
	c.collectModels()
	c.settleVersions()
	c.collectSnapshots()
	c.collectSingularTests()
	c.collectAnalyses()
	c.collectPackageNodes()
	c.warnUnusedOverrides()
	c.renderModels()
	c.checkAccess()
	c.checkDeprecations()
	c.checkConstraints()
	c.collectYAMLTests()
	c.collectPackageTests()
	c.checkAuditRelations()
	c.collectUnitTests()
	c.collectExports()
	c.collectExposures()
	c.collectSemantic()
	c.warnUnusedConfig()
	c.renderDescriptions()
	c.flushVarNotes()
	c.flushNamingFails()
	if c.diags.HasErrors() {
		return
	}
	c.buildGraph()
	if c.diags.HasErrors() {
		return
	}
	c.inlineEphemerals()
	c.checkHooks()
}

func (c *compiler) add(n *graph.Node) {
	c.nodes[n.ID] = n
}

// describedAt records that n's properties entry (its description,
// columns, config) is at pos, in a properties (YAML) file: the docs point
// there, and n.PatchPath names the file.
func (c *compiler) describedAt(n *graph.Node, pos diag.Pos) {
	c.descAt[n.ID] = pos
	n.PatchPath = pos.File
}

// ids returns sorted node IDs, for deterministic iteration.
func (c *compiler) ids() []graph.ID {
	out := make([]graph.ID, 0, len(c.nodes))
	for id := range c.nodes {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// resolvePath resolves a file location relative to the project directory.
func (c *compiler) resolvePath(loc string) string {
	if filepath.IsAbs(loc) || c.opts.ProjectDir == "" {
		return filepath.Clean(loc)
	}
	return filepath.Join(c.opts.ProjectDir, filepath.FromSlash(loc))
}

func checksum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// folders returns the folders of file below its resource root (one of
// roots), e.g. models/staging/x.sql -> ["staging"].
func folders(file string, roots []string) []string {
	for _, r := range roots {
		r = path.Clean(r) + "/"
		if strings.HasPrefix(file, r) {
			dir := path.Dir(strings.TrimPrefix(file, r))
			if dir == "." {
				return nil
			}
			return strings.Split(dir, "/")
		}
	}
	return nil
}

func baseName(file string) string {
	b := path.Base(file)
	return strings.TrimSuffix(b, path.Ext(b))
}

func fqn(project string, dirs []string, name string) []string {
	out := append([]string{project}, dirs...)
	return append(out, name)
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// dispatchConfig is adapter.dispatch's configuration: the target's
// adapter type, the project's dispatch: entries and its installed packages.
func (c *compiler) dispatchConfig() template.Dispatch {
	d := template.Dispatch{AdapterType: "duckdb", RootPackage: c.name, SearchOrder: map[string][]string{}}
	for _, q := range c.p.Packages {
		d.Packages = append(d.Packages, q.Config.Name)
	}
	if c.p.Target != nil && c.p.Target.Type != "" {
		d.AdapterType = c.p.Target.Type
	}
	for _, e := range c.p.Config.Dispatch {
		d.SearchOrder[e.MacroNamespace] = e.SearchOrder
	}
	return d
}
