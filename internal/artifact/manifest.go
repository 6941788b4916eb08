// Package artifact writes kiln's build artifacts with dbt's structure and
// field names, so that tools written for dbt can read them:
//
//   - <target>/manifest.json: the compiled project, dbt's manifest v12
//     (https://schemas.getdbt.com/dbt/manifest/v12.json,
//     https://docs.getdbt.com/reference/artifacts/manifest-json);
//   - <target>/run_results.json: what a run did, dbt's run results v6
//     (https://schemas.getdbt.com/dbt/run-results/v6.json,
//     https://docs.getdbt.com/reference/artifacts/run-results-json);
//   - <target>/compiled/<project>/...: the compiled SQL, in dbt's layout.
//
// Each resource carries the fields dbt's schema defines for its type, under
// the same names (unit tests go to "unit_tests", as in dbt), and no key
// dbt's JSON schemas do not allow (most of their objects have
// additionalProperties: false, which strict readers enforce). kiln's own
// data goes to files of its own beside them: kiln_manifest.json (exports,
// input checksums, the DuckDB file, kiln_version) and
// kiln_run_results.json (a result's expected, actual, rows, skipped_by,
// attempts and gates); a result's rows are also adapter_response's
// rows_affected, as dbt writes them.
//
// Every file is written atomically (WriteFileAtomic), and the output is
// deterministic: JSON objects have a fixed key order (struct fields, or
// sorted map keys) and lists follow the graph's sorted order, so two builds
// of the same project give byte-identical files apart from the timings and
// ids the caller passes in.
package artifact

import (
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/builtin"
	"github.com/kiln-build/kiln/compiler/graph"
)

// Artifact names and schema versions.
const (
	ManifestFile     = "manifest.json"
	RunResultsFile   = "run_results.json"
	ManifestSchema   = "https://schemas.getdbt.com/dbt/manifest/v12.json"
	RunResultsSchema = "https://schemas.getdbt.com/dbt/run-results/v6.json"
	AdapterType      = "duckdb"
)

// adapterType is the manifest's metadata.adapter_type: its target's type
// ("postgres"), AdapterType when it has none.
func adapterType(m *compiler.Manifest) string {
	if t := targetOf(m); t != nil && t.Type != "" {
		return t.Type
	}
	return AdapterType
}

// InputFile is the checksum of a file a source or seed is loaded from (an
// Excel export, a seed CSV), as recorded under the manifest's
// kiln.inputs.<unique_id>: {"path": ..., "sha256": <hex>, "size": <bytes>}.
type InputFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Metadata is what a manifest records besides the project: the kiln
// version, when and by which invocation it was written, and the checksums
// of the input files, computed by the caller.
type Metadata struct {
	KilnVersion string
	// GeneratedAt is the time written as metadata.generated_at; zero means
	// now.
	GeneratedAt  time.Time
	InvocationID string
	Inputs       map[graph.ID]InputFile
	// Database is the absolute path of the DuckDB file the project builds
	// in, recorded as kiln.database so that --defer --state can attach
	// it; "" (a server's database, in memory) records none.
	Database string
	// Executed maps the nodes rendered again at run time (Node.RenderAtRun)
	// and the incremental models that applied their is_incremental()
	// rendering, when they ran, to the SQL that ran, written as their
	// compiled_code instead of the parse-time rendering (execute false,
	// is_incremental() false), as dbt writes the executed rendering (their
	// parse-time SQL goes to kiln.parse_compiled_code, which fingerprints
	// read); nil writes every node's compiled SQL.
	Executed map[graph.ID]string
	// Selectors are selectors.yml's selectors as dbt's manifest writes
	// them (selector.ManifestSelectors: by name, each definition
	// normalised); nil writes {}.
	Selectors map[string]any
}

// WriteManifest writes dir/manifest.json, creating dir if needed. Its shape
// is dbt's manifest v12 (https://schemas.getdbt.com/dbt/manifest/v12.json):
//
//	{
//	  "metadata": {"dbt_schema_version", "generated_at",
//	               "invocation_id", "project_name", "adapter_type": "duckdb"},
//	  "nodes": {unique_id: model, seed or data test},
//	  "sources": {unique_id: source table, with kiln's "external" file},
//	  "macros": {unique_id: {"name", "original_file_path", "macro_sql", ...}},
//	  "docs": {unique_id: docs block},
//	  "exposures": {unique_id: exposure, with depends_on, refs, sources},
//	  "metrics", "semantic_models", "saved_queries": {unique_id: entry},
//	  "groups": {unique_id: group}, "group_map": {group name: [unique_id]},
//	  "selectors": {name: selectors.yml's selector, as dbt writes it},
//	  "disabled": {unique_id: [node]},
//	  "parent_map", "child_map": {unique_id: [unique_id, sorted]},
//	  "unit_tests": {unique_id: unit test}
//	}
//
// with only the keys dbt's schema allows; kiln's exports, input
// checksums and DuckDB file go to kiln_manifest.json beside it
// (KilnManifestFile), written first.
//
// parent_map and child_map hold exactly the graph's edges, with a key for
// every node. Nodes carry dbt's fields (unique_id, resource_type, path
// relative to the resource folder, original_file_path, fqn, checksum,
// config, depends_on, refs, sources, raw_code, compiled_code,
// relation_name, columns in declaration order; test_metadata, column_name
// and attached_node for generic tests). m must be a compiled manifest
// (m.Graph set). The entries are encoded in parallel: about 130 ms of CPU
// for 10,000 nodes (BenchmarkWriteManifest10k).
func WriteManifest(dir string, m *compiler.Manifest, meta Metadata) error {
	finish, err := StartManifest(dir, m, meta)
	if err != nil {
		return err
	}
	return finish()
}

// StartManifest is WriteManifest in two steps: it creates dir and the
// manifest's temporary file (an error there is a target that cannot be
// written); finish builds and writes the manifest and renames it into
// place (WriteFileAtomic), and may run on another goroutine, while
// nothing changes m. Call finish exactly once.
func StartManifest(dir string, m *compiler.Manifest, meta Metadata) (finish func() error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	write, err := startAtomic(filepath.Join(dir, ManifestFile), 0o644)
	if err != nil {
		return nil, err
	}
	return func() error {
		mj := buildManifestWith(m, meta, true)
		// kiln's file first: a manifest.json is never beside the kiln
		// data of another invocation (readers check the invocation_id).
		if err := writeJSON(dir, KilnManifestFile, mj.kilnFile()); err != nil {
			write(func(io.Writer) error { return err })
			return err
		}
		fields := mj.fields()
		return write(func(w io.Writer) error { return writeObject(w, fields) })
	}, nil
}

type empty struct{}

type manifestJSON struct {
	Metadata       manifestMeta               `json:"metadata"`
	Nodes          map[graph.ID]any           `json:"nodes"`
	Sources        map[graph.ID]*sourceJSON   `json:"sources"`
	Macros         map[string]*macroJSON      `json:"macros"`
	Docs           map[string]*docJSON        `json:"docs"`
	Exposures      map[graph.ID]*exposureJSON `json:"exposures"`
	Metrics        map[string]map[string]any  `json:"metrics"`
	Groups         map[string]*groupJSON      `json:"groups"`
	Selectors      map[string]any             `json:"selectors"`
	Disabled       map[graph.ID][]any         `json:"disabled"`
	ParentMap      map[graph.ID]idsJSON       `json:"parent_map"`
	ChildMap       map[graph.ID]idsJSON       `json:"child_map"`
	GroupMap       map[string][]graph.ID      `json:"group_map"`
	SavedQueries   map[string]map[string]any  `json:"saved_queries"`
	SemanticModels map[string]map[string]any  `json:"semantic_models"`
	UnitTests      map[graph.ID]*unitTestJSON `json:"unit_tests"`
	// Exports and Kiln are kiln's: they go to kiln_manifest.json.
	Exports map[graph.ID]*exportJSON `json:"-"`
	Kiln    kilnJSON                 `json:"-"`
}

// KilnManifestFile is kiln's companion of manifest.json, written beside
// it with what dbt's manifest schema has no place for:
//
//	{
//	  "metadata": {"kiln_version", "invocation_id", "generated_at"},
//	  "exports": {unique_id: {"format", "path", "sheets", "depends_on", ...}},
//	  "kiln": {"inputs": {unique_id: {"path", "sha256", "size"}},
//	           "database": the DuckDB file's absolute path, when there is one,
//	           "parse_compiled_code", "run_started_at", "target"}
//	}
//
// Readers of a manifest (state:, --defer) read it when its invocation_id
// is the manifest's; a --state directory needs both files.
const KilnManifestFile = "kiln_manifest.json"

// kilnManifestJSON is kiln_manifest.json (KilnManifestFile).
type kilnManifestJSON struct {
	Metadata struct {
		KilnVersion  string `json:"kiln_version"`
		InvocationID string `json:"invocation_id"`
		GeneratedAt  string `json:"generated_at"`
	} `json:"metadata"`
	Exports map[graph.ID]*exportJSON `json:"exports"`
	Kiln    kilnJSON                 `json:"kiln"`
}

// kilnFile returns kiln_manifest.json's value for mj.
func (mj *manifestJSON) kilnFile() *kilnManifestJSON {
	k := &kilnManifestJSON{Exports: mj.Exports, Kiln: mj.Kiln}
	k.Metadata.KilnVersion = mj.Metadata.KilnVersion
	k.Metadata.InvocationID = mj.Metadata.InvocationID
	k.Metadata.GeneratedAt = mj.Metadata.GeneratedAt
	return k
}

// fields lists the manifest's fields in manifestJSON's order, for
// encodeObject.
func (mj *manifestJSON) fields() []field {
	return []field{
		{name: "metadata", value: mj.Metadata},
		mapField("nodes", mj.Nodes),
		mapField("sources", mj.Sources),
		mapField("macros", mj.Macros),
		mapField("docs", mj.Docs),
		mapField("exposures", mj.Exposures),
		mapField("metrics", mj.Metrics),
		mapField("groups", mj.Groups),
		{name: "selectors", value: mj.Selectors},
		mapField("disabled", mj.Disabled),
		mapField("parent_map", mj.ParentMap),
		mapField("child_map", mj.ChildMap),
		mapField("group_map", mj.GroupMap),
		mapField("saved_queries", mj.SavedQueries),
		mapField("semantic_models", mj.SemanticModels),
		mapField("unit_tests", mj.UnitTests),
	}
}

type manifestMeta struct {
	SchemaVersion string `json:"dbt_schema_version"`
	KilnVersion   string `json:"-"` // kiln_manifest.json's
	GeneratedAt   string `json:"generated_at"`
	InvocationID  string `json:"invocation_id"`
	ProjectName   string `json:"project_name"`
	AdapterType   string `json:"adapter_type"`
}

type kilnJSON struct {
	Inputs   map[graph.ID]InputFile `json:"inputs"`
	Database string                 `json:"database,omitempty"`
	// ParseCompiled holds, for the nodes whose compiled_code is the SQL
	// that ran (Metadata.Executed), their compiled SQL as parsed: what
	// their fingerprint hashes (a node is modified by its definition, not
	// by what a run executed, such as an incremental run's rendering).
	ParseCompiled map[graph.ID]string `json:"parse_compiled_code,omitempty"`
	// RunStartedAt is run_started_at of the compilation (RFC 3339, UTC)
	// when a template read it ("": none did, and the key is left out):
	// the fingerprints read back from the manifest hash its renderings as
	// a placeholder (RunStartedAtPlaceholder).
	RunStartedAt string `json:"run_started_at,omitempty"`
	// Target is the target the manifest was written for (TargetInfo);
	// left out when the project has none.
	Target *TargetInfo `json:"target,omitempty"`
}

// parseCompiled returns the compiled SQL of the nodes of executed whose
// SQL that ran is not it (kilnJSON.ParseCompiled); nil when none.
func parseCompiled(m *compiler.Manifest, executed map[graph.ID]string) map[graph.ID]string {
	var out map[graph.ID]string
	for id, sql := range executed {
		if n := m.Graph.Node(id); n != nil && n.CompiledCode != sql {
			if out == nil {
				out = map[graph.ID]string{}
			}
			out[id] = n.CompiledCode
		}
	}
	return out
}

// timeFormat is dbt's timestamp format: UTC, microseconds, "Z". It is a
// valid RFC 3339 time.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeFormat)
}

// builder converts a compiled project into the manifest's JSON values.
type builder struct {
	m        *compiler.Manifest
	project  string
	roots    map[graph.Kind][]string // resource folders, for "path"
	executed map[graph.ID]string     // Metadata.Executed
}

func newBuilder(m *compiler.Manifest) *builder {
	b := &builder{m: m, roots: map[graph.Kind][]string{}}
	if p := m.Project; p != nil {
		b.project = p.Config.Name
		b.roots[graph.Model] = p.Config.ModelPaths
		b.roots[graph.Seed] = p.Config.SeedPaths
		b.roots[graph.Test] = p.Config.TestPaths
		b.roots[graph.Analysis] = p.Config.AnalysisPaths
	}
	return b
}

func buildManifest(m *compiler.Manifest, meta Metadata) *manifestJSON {
	return buildManifestWith(m, meta, false)
}

// lazyEntry is the entry of n in the manifest's nodes, built when it is
// encoded (appendMarshal): the entries of 100,000 models are a hundred
// megabytes, which the writer then never holds all at once.
type lazyEntry struct {
	b *builder
	n *graph.Node
}

// buildManifestWith is buildManifest; with lazy set, the values of Nodes
// are lazyEntry, for WriteManifest alone.
func buildManifestWith(m *compiler.Manifest, meta Metadata, lazy bool) *manifestJSON {
	b := newBuilder(m)
	b.executed = meta.Executed
	size := m.Graph.Len()
	out := &manifestJSON{
		Metadata: manifestMeta{
			SchemaVersion: ManifestSchema,
			KilnVersion:   meta.KilnVersion,
			GeneratedAt:   formatTime(orNow(meta.GeneratedAt)),
			InvocationID:  meta.InvocationID,
			ProjectName:   b.project,
			AdapterType:   adapterType(m),
		},
		Selectors: meta.Selectors,
		Nodes:     make(map[graph.ID]any, size),
		Sources:   map[graph.ID]*sourceJSON{},
		Macros:    b.macros(),
		Docs:      b.docs(),
		Disabled:  map[graph.ID][]any{},
		ParentMap: make(map[graph.ID]idsJSON, size),
		ChildMap:  make(map[graph.ID]idsJSON, size),
		UnitTests: map[graph.ID]*unitTestJSON{},
		Exports:   map[graph.ID]*exportJSON{},
		Exposures: map[graph.ID]*exposureJSON{},
		Kiln:      kilnJSON{Inputs: map[graph.ID]InputFile{}, Database: meta.Database, ParseCompiled: parseCompiled(m, meta.Executed), RunStartedAt: m.RunStartedAtRead(), Target: targetOf(m)},
	}
	if out.Selectors == nil {
		out.Selectors = map[string]any{}
	}
	out.Groups, out.GroupMap = b.groups()
	out.SemanticModels, out.Metrics, out.SavedQueries = b.semantic()
	for id, in := range meta.Inputs {
		out.Kiln.Inputs[id] = in
	}
	nodes := m.Graph.Nodes()
	built := make([]any, len(nodes))
	parallel(len(nodes), func(i int) error {
		switch n := nodes[i]; {
		case lazy && n.Kind != graph.Source && n.Kind != graph.UnitTest && n.Kind != graph.Export && n.Kind != graph.Exposure:
			built[i] = lazyEntry{b, n} // entry's other cases: the nodes section
		default:
			built[i] = b.entry(n)
		}
		return nil
	})
	for i, n := range nodes {
		switch v := built[i].(type) {
		case *sourceJSON:
			out.Sources[n.ID] = v
		case *unitTestJSON:
			out.UnitTests[n.ID] = v
		case *exportJSON:
			out.Exports[n.ID] = v
		case *exposureJSON:
			out.Exposures[n.ID] = v
		default:
			out.Nodes[n.ID] = v
		}
		out.ParentMap[n.ID] = idList(m.Graph.Parents(n.ID))
		out.ChildMap[n.ID] = idList(m.Graph.Children(n.ID))
	}
	for _, n := range m.Disabled {
		out.Disabled[n.ID] = append(out.Disabled[n.ID], b.entry(n))
	}
	return out
}

// docJSON is a docs block, as dbt's manifest records it.
type docJSON struct {
	Name             string `json:"name"`
	ResourceType     string `json:"resource_type"`
	PackageName      string `json:"package_name"`
	Path             string `json:"path"`
	OriginalFilePath string `json:"original_file_path"`
	UniqueID         string `json:"unique_id"`
	BlockContents    string `json:"block_contents"`
}

// docs lists the docs blocks, keyed by unique_id as dbt writes it
// (doc.<package>.<name>, as doc.jaffle_shop.__overview__), with dbt's
// built-in overview (doc.dbt.__overview__, builtinOverview).
func (b *builder) docs() map[string]*docJSON {
	out := map[string]*docJSON{builtinOverviewID: builtinOverview()}
	for _, d := range b.m.DocList() {
		file := d.Path
		if p := b.m.Project; p != nil {
			if q := p.Package(d.Package); q != nil {
				file = q.Rel(file)
			}
		}
		id := "doc." + d.UniqueID()
		out[id] = &docJSON{Name: d.Name, ResourceType: "doc", PackageName: d.Package,
			Path: path.Base(file), OriginalFilePath: file, UniqueID: id, BlockContents: d.Contents}
	}
	return out
}

// macroJSON is a macro, with the fields dbt's schema requires.
type macroJSON struct {
	Name             string    `json:"name"`
	ResourceType     string    `json:"resource_type"`
	PackageName      string    `json:"package_name"`
	Path             string    `json:"path"`
	OriginalFilePath string    `json:"original_file_path"`
	UniqueID         string    `json:"unique_id"`
	MacroSQL         string    `json:"macro_sql"`
	DependsOn        macroDeps `json:"depends_on"`
	Description      string    `json:"description"`
	Meta             empty     `json:"meta"`
	Docs             docsJSON  `json:"docs"`
	PatchPath        *string   `json:"patch_path"`
	Arguments        []any     `json:"arguments"`
}

// macros lists every macro, keyed by unique_id ("macro.<package>.<name>"):
// the root project's, each installed package's, and kiln's built-ins
// under the package dbt names for them (template.BuiltinPackage: "dbt"
// for dbt's own, as macro.dbt.test_not_null). path and
// original_file_path are relative to the macro's package, as dbt's.
func (b *builder) macros() map[string]*macroJSON {
	out := map[string]*macroJSON{}
	e := b.m.Engine
	if e == nil {
		return out
	}
	naming := builtin.Naming + builtin.NamingKiln
	p := b.m.Project
	if p != nil && p.DBT {
		naming = builtin.Naming + builtin.NamingDBT
	}
	texts := map[string]string{builtin.TestsPath: builtin.Tests, builtin.AnomalyTestsPath: builtin.AnomalyTests,
		builtin.DBTPath: builtin.DBT, builtin.GlobalPath: builtin.Global, builtin.NamingPath: naming}
	if p != nil {
		for _, f := range p.Macros {
			texts[f.Path] = string(f.Content)
		}
		for _, q := range p.Packages {
			for _, f := range q.Macros {
				texts[f.Path] = string(f.Content)
			}
		}
	}
	for _, d := range e.AllMacros() {
		id := "macro." + d.ID
		file := d.File
		if p != nil && d.Package != b.project {
			if q := p.Package(d.Package); q != nil {
				file = q.Rel(file)
			}
		}
		out[id] = &macroJSON{
			Name: d.Name, ResourceType: "macro", PackageName: d.Package,
			Path: file, OriginalFilePath: file, UniqueID: id,
			MacroSQL:  macroSQL(texts[d.File], d.Name),
			DependsOn: macroDeps{Macros: macroIDs(d.Calls)},
			Docs:      docsJSON{Show: true}, Arguments: []any{},
		}
	}
	return out
}

// MacroDeps returns what gives a node's depends_on.macros as
// manifest.json writes them: the unique_ids ("macro.<package>.<name>")
// of the macros the node's code calls, in the order of their first call
// (graph.Node.Macros).
func MacroDeps(m *compiler.Manifest) func(n *graph.Node) []string {
	return func(n *graph.Node) []string { return macroIDs(n.Macros) }
}

// macroIDs returns the unique_ids of the macros of graph.Node.Macros.
func macroIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "macro." + id
	}
	return out
}

var macroEnd = regexp.MustCompile(`\{%-?\s*end(?:macro|test)\s*-?%\}`)

// macroSQL returns the {% macro name(...) %} ... {% endmacro %} block of
// text (or {% test short(...) %} ... {% endtest %} for "test_<short>"), or
// "" when it cannot be found.
func macroSQL(text, name string) string {
	short := strings.TrimPrefix(name, "test_")
	start := regexp.MustCompile(`\{%-?\s*(?:macro\s+` + regexp.QuoteMeta(name) + `|test\s+` + regexp.QuoteMeta(short) + `)\s*\(`)
	loc := start.FindStringIndex(text)
	if loc == nil {
		return ""
	}
	end := macroEnd.FindStringIndex(text[loc[0]:])
	if end == nil {
		return text[loc[0]:]
	}
	return text[loc[0] : loc[0]+end[1]]
}

func (b *builder) macroDeps(ids []string) []string { return macroIDs(ids) }

// resourcePath is dbt's "path": the file relative to its resource folder
// for models, seeds and singular tests ("staging/stg_orders.sql"), the
// test's name for YAML tests ("unique_orders_id.sql"), the YAML file
// otherwise.
func (b *builder) resourcePath(n *graph.Node) string {
	if n.Kind == graph.Test && n.Test != nil && n.Test.Generic != "" {
		return testFile(n)
	}
	if n.Kind == graph.Analysis {
		return analysisPath(n.Path, b.roots[graph.Analysis])
	}
	roots := b.roots[n.Kind]
	if n.PkgPath != "" && b.m.Project != nil {
		// A package's resource folders, as paths in the root project.
		if q := b.m.Project.Package(n.Package); q != nil {
			roots = map[graph.Kind][]string{graph.Model: q.Config.ModelPaths, graph.Seed: q.Config.SeedPaths, graph.Test: q.Config.TestPaths, graph.Snapshot: q.Config.SnapshotPaths}[n.Kind]
		}
	}
	for _, r := range roots {
		r = path.Clean(r) + "/"
		if strings.HasPrefix(n.Path, r) {
			return strings.TrimPrefix(n.Path, r)
		}
	}
	return n.Path
}

// analysisPath is an analysis's "path" in manifest.json, as dbt's
// AnalysisParser writes it: "analysis/" and the file's path under its
// analysis-paths folder, whatever that folder's name
// ("analyses/finance/revenue.sql" -> "analysis/finance/revenue.sql").
func analysisPath(file string, roots []string) string {
	for _, r := range roots {
		if rest, ok := strings.CutPrefix(file, path.Clean(r)+"/"); ok {
			return path.Join("analysis", rest)
		}
	}
	return path.Join("analysis", path.Base(file))
}

func idList(ids []graph.ID) []graph.ID {
	if ids == nil {
		return []graph.ID{}
	}
	return ids
}

func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// nullable returns nil (JSON null) for "".
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
