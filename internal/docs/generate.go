package docs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/adapter/duckdb"
	"github.com/kiln-build/kiln/adapter/postgres"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/lineage"
	"github.com/kiln-build/kiln/internal/state"
)

// Options are the inputs of Generate besides the compiled project.
type Options struct {
	// TargetDir receives catalog.json, and the site in TargetDir/docs; its
	// run_results.json, when present, is the last run shown.
	TargetDir string
	// DBPath is the database of the last build. When it is "", missing,
	// or held by another process, or when EmptyCatalog is set, the docs are
	// made without it: no column types, no row counts, and columns known
	// from the models' SQL and the YAML only.
	DBPath string
	// Database, when set, is the server database (PostgreSQL) of the last
	// build, read instead of DBPath; a database that cannot be opened is
	// an error, one held by a run (its lock) makes the docs without it.
	Database     *adapter.Target
	EmptyCatalog bool
	KilnVersion  string
	InvocationID string
	// Select, when set, limits catalog.json to these nodes, as dbt's docs
	// generate --select does; the page keeps every node.
	Select map[graph.ID]bool
	// Now is the generation time; zero means now.
	Now time.Time
}

// Summary tells what Generate wrote.
type Summary struct {
	Dir     string // the docs folder
	Nodes   int
	Models  int // models whose lineage was analysed
	Columns int // columns with lineage
	// Catalog is true when the database was read; NoCatalog says why not.
	Catalog   bool
	NoCatalog string
	// LineageErrors are the models whose SQL could not be analysed.
	LineageErrors map[graph.ID]string
	// RunResults is false when there was no readable run_results.json.
	RunResults bool
}

// Generate reads the database's catalog, analyses the column lineage of
// every model with the target's parser (DuckDB's, or PostgreSQL's for a
// PostgreSQL target), and writes TargetDir/catalog.json,
// TargetDir/docs/index.html and TargetDir/docs/lineage.json. Errors are
// those of DuckDB and of writing the files; a database held by another
// process (a build) is a *KeptError when the docs there were made with
// the database (completeDocs): they are kept, not replaced by docs
// without column types or row counts. Without such docs, a locked
// database gives docs without it, and Summary.NoCatalog says why.
func Generate(ctx context.Context, m *compiler.Manifest, opt Options) (*Summary, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	sum := &Summary{Dir: filepath.Join(opt.TargetDir, "docs"), Nodes: m.Graph.Len()}
	meta := CatalogMetadata{DbtVersion: opt.KilnVersion, InvocationID: opt.InvocationID,
		GeneratedAt: opt.Now.UTC().Format("2006-01-02T15:04:05.000000Z")}
	// Opening a database of many tables takes a while: read the catalog
	// while a private in-memory DuckDB parses the models.
	catc := make(chan catalogResult, 1)
	go func() { catc <- readCatalogFile(ctx, m, opt, meta) }()
	var ids []graph.ID
	var sqls []string
	for _, n := range m.Graph.Nodes() {
		if n.Kind == graph.Model && n.CompiledCode != "" {
			ids = append(ids, n.ID)
			sqls = append(sqls, n.CompiledCode)
		}
	}
	parsed, err := parseModels(ctx, opt.Database, sqls)
	cr := <-catc
	if err != nil {
		return nil, err
	}
	if cr.err != nil {
		return nil, cr.err
	}
	cat := cr.cat
	if cat == nil && cr.locked && completeDocs(opt.TargetDir) {
		// A nightly docs job during a build: never replace docs made
		// with the database by docs without it.
		return nil, &KeptError{Docs: filepath.Join(sum.Dir, IndexFile), Why: cr.why}
	}
	if cat == nil {
		cat = EmptyCatalog(meta)
		sum.NoCatalog = cr.why
	} else {
		sum.Catalog = true
	}
	trees := make(map[graph.ID][]byte, len(ids))
	for i, id := range ids {
		trees[id] = parsed[i]
	}
	lp := lineage.AnalyzeProject(m.Graph, trees, cat.Columns())
	sum.Models, sum.LineageErrors = len(lp.Models), lp.Errors
	for _, r := range lp.Models {
		sum.Columns += len(r.Columns)
	}
	in := &Input{Manifest: m, Catalog: cat, Lineage: lp, KilnVersion: opt.KilnVersion, GeneratedAt: opt.Now, Intervals: cr.intervals, Built: cr.built,
		Inputs: ReadRunInputs(opt.TargetDir)}
	if rr, err := artifact.ReadRunResults(filepath.Join(opt.TargetDir, artifact.RunResultsFile)); err == nil {
		in.Results, sum.RunResults = rr, true
	}
	if err := Write(sum.Dir, in); err != nil {
		return nil, err
	}
	if opt.Select != nil {
		cat = cat.only(opt.Select)
	}
	cj, err := jsonIndent(cat)
	if err != nil {
		return nil, err
	}
	if err := artifact.WriteFileAtomic(filepath.Join(opt.TargetDir, CatalogFile), cj, 0o644); err != nil {
		return nil, err
	}
	return sum, nil
}

// KeptError says Generate wrote nothing because the database is held by
// another process and the docs already there were made with it.
type KeptError struct {
	Docs string // the docs kept: <target>/docs/index.html
	Why  string // the lock's message (who holds the database)
}

// Error says what was kept, why, and what to do.
func (e *KeptError) Error() string {
	return fmt.Sprintf("kept the previous docs %s, made with the database: %s; they are not replaced by docs without column types or row counts. "+
		"Run kiln docs generate again once it is let go, or pass --empty-catalog to write docs without the database", e.Docs, e.Why)
}

// completeDocs reports whether targetDir holds docs made with the
// database: its index.html and a catalog.json that lists relations.
func completeDocs(targetDir string) bool {
	if _, err := os.Stat(filepath.Join(targetDir, "docs", IndexFile)); err != nil {
		return false
	}
	data, err := os.ReadFile(filepath.Join(targetDir, CatalogFile))
	if err != nil {
		return false
	}
	var c Catalog
	return json.Unmarshal(data, &c) == nil && len(c.Nodes)+len(c.Sources) > 0
}

type catalogResult struct {
	cat *Catalog // nil without a database
	why string   // why there is none
	// locked says another process holds the database.
	locked bool
	err    error
	// intervals are the interval state of the microbatch models.
	intervals map[graph.ID][]adapter.Interval
	// built are the runs whose data the relations hold.
	built map[graph.ID]adapter.RunRecord
}

// readCatalogFile reads the catalog of the build's database when it can;
// why says what kept the file out.
func readCatalogFile(ctx context.Context, m *compiler.Manifest, opt Options, meta CatalogMetadata) catalogResult {
	target := adapter.Target{Type: "duckdb", Path: opt.DBPath}
	switch {
	case opt.EmptyCatalog:
		return catalogResult{why: "--empty-catalog"}
	case opt.Database != nil:
		target = *opt.Database
	case opt.DBPath == "":
		return catalogResult{why: "no database path"}
	default:
		if _, err := os.Stat(opt.DBPath); err != nil {
			return catalogResult{why: fmt.Sprintf("no database at %s: run kiln build first", opt.DBPath)}
		}
	}
	db, err := adapter.Open(ctx, target)
	if err != nil {
		var le *adapter.LockError
		if errors.As(err, &le) {
			return catalogResult{why: le.Error(), locked: true}
		}
		return catalogResult{err: err}
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		return catalogResult{err: err}
	}
	defer c.Close()
	cat, err := ReadCatalog(ctx, c, m.Graph, meta)
	if err != nil {
		return catalogResult{err: err}
	}
	ivs, err := readIntervals(ctx, c, m.Graph)
	if err != nil {
		return catalogResult{err: err}
	}
	built, err := readBuilt(ctx, c, m.Graph)
	return catalogResult{cat: cat, err: err, intervals: ivs, built: built}
}

// readBuilt returns, by node of g, the run whose data the node's relation
// holds, when the database has kiln's records: the run that recorded its
// up-to-date state, which a run rolled back does not replace.
func readBuilt(ctx context.Context, c adapter.Conn, g *graph.Graph) (map[graph.ID]adapter.RunRecord, error) {
	out := map[graph.ID]adapter.RunRecord{}
	if k, err := c.RelationKind(ctx, adapter.Relation{Schema: adapter.HistorySchema, Name: "state"}); err != nil || k == "" {
		return out, err
	}
	var keys []string
	for _, n := range g.Nodes() {
		if n.Relation.Name != "" {
			keys = append(keys, state.Key(g, n.ID), state.Legacy(n.ID))
		}
	}
	built, err := c.Store().BuiltBy(ctx, keys)
	if err != nil {
		return nil, err
	}
	// The state of the node's relation (state.Key), else the one a kiln
	// before it kept by unique id.
	for _, n := range g.Nodes() {
		if n.Relation.Name == "" {
			continue
		}
		if r, ok := built[state.Key(g, n.ID)]; ok {
			out[n.ID] = r
		} else if r, ok := built[state.Legacy(n.ID)]; ok {
			out[n.ID] = r
		}
	}
	return out, nil
}

// readIntervals returns the interval state of the microbatch models of g
// (the batches built), when the database has kiln's records.
func readIntervals(ctx context.Context, c adapter.Conn, g *graph.Graph) (map[graph.ID][]adapter.Interval, error) {
	out := map[graph.ID][]adapter.Interval{}
	if k, err := c.RelationKind(ctx, adapter.Relation{Schema: adapter.HistorySchema, Name: "intervals"}); err != nil || k == "" {
		return out, err
	}
	for _, n := range g.Nodes() {
		if n.Incremental == nil || n.Incremental.Batch == nil {
			continue
		}
		ivs, err := c.Store().Intervals(ctx, string(n.ID))
		if err != nil {
			return nil, err
		}
		out[n.ID] = ivs
	}
	return out, nil
}

// parseModels returns the parse trees of sqls in the shape of DuckDB's
// json_serialize_sql: for a PostgreSQL target, from PostgreSQL's own
// parser (pg_query_go, see adapter/postgres.ParseSQL); else from DuckDB's,
// in a private in-memory database.
func parseModels(ctx context.Context, target *adapter.Target, sqls []string) ([][]byte, error) {
	if target != nil && target.Type == "postgres" {
		return postgres.ParseSQL(sqls)
	}
	return duckdb.ParseSQL(ctx, sqls)
}

func jsonIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
