// Package engine is kiln as a library: it loads and compiles a project,
// selects and plans nodes, runs the plan against the project's database
// through an adapter, and publishes the run (the database's changes, the
// exports, the up-to-date state, the run history and the artifacts) as
// one outcome. The command line (internal/cli), the benchmark harness and
// any embedding (an orchestrator's plugin, a server) call it:
//
//	p, err := engine.Load(engine.Config{Dir: dir, Listener: print})
//	ids, err := p.Select(engine.Selection{Select: []string{"stg_erp+"}, Kinds: engine.BuildKinds})
//	res, err := p.Run(ctx, p.Plan(ids), engine.RunOptions{Command: "build"})
//
// Progress reaches the caller as typed events (see Event) on Config's
// listener: the terminal printer, the JSON log and the JUnit report are
// listeners. An error returned by Load, Select or Run means the command
// could not start (exit code 2 on the command line); what happened to the
// nodes of a run that started is in its Result.
package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/kiln-build/kiln/adapter"
	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/profile"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/execute"
	"github.com/kiln-build/kiln/internal/parsecache"
	"github.com/kiln-build/kiln/internal/sqlq"
)

// Config locates a project and says how to report on it.
type Config struct {
	Dir        string         // the project's directory (holding project.yml)
	TargetPath string         // where artifacts go; "" uses project.yml's target-path
	Vars       map[string]any // --vars, overriding project.yml's vars
	// VarsText is Vars as the user wrote them, recorded in run_results.json
	// and the run history; "" when none.
	VarsText string
	// InvocationID identifies this invocation in the artifacts and the run
	// history; "" generates a UUID.
	InvocationID string
	// StartedAt is when the invocation started: run_started_at in every
	// template of the project (models, hooks, on-run-start and on-run-end,
	// operations), and the start of its run (RunOptions.Start, the run
	// history's started_at, run_results.json's elapsed_time) unless
	// RunOptions.Start says otherwise. Zero is the time Load is called.
	StartedAt time.Time
	// Version is kiln's version, written in the artifacts' metadata.
	Version string
	// Listener receives the events; nil discards them.
	Listener Listener
	// Render, when set, renders models again at run time against the
	// database (dbt's execute phase: run_query, the adapter object); see
	// execute.Renderer.
	Render execute.Renderer
	// ProfilesDir is --profiles-dir: where profiles.yml is; "" searches
	// DBT_PROFILES_DIR, the project's folder and ~/.dbt, as dbt does.
	ProfilesDir string
	// Profile is --profile, overriding the profile the project names.
	Profile string
	// Target is --target: the output of the profile to build into; ""
	// reads DBT_TARGET, then the profile's target:.
	Target string
	// Inline is SQL to compile with the project as one more model named
	// inline_query (kiln show --inline): its ref(), source() and macros
	// resolve as in a model; diagnostics in it are at "--inline:line:col".
	Inline string
	// Deps reads the project for kiln deps: declared packages that are
	// not installed yet are not an error.
	Deps bool
	// NoProfile reads the project without its profile when profiles.yml
	// (or the profile in it) cannot be loaded, for kiln deps and kiln
	// clean, which open no database (dbt-core's UnsetProfile: deps and
	// clean need no profile since dbt 1.0); the target is then kiln's
	// default DuckDB file, never opened.
	NoProfile bool
	// WarnError is dbt's --warn-error: every warning is an error. The
	// warnings of the project's files stop the load (ErrInvalid, after a
	// Diagnostics event of errors), a selection that matches nothing is a
	// *UsageError, and a test that warns fails (status fail).
	WarnError bool
	// WarnOptions is dbt's --warn-error-options (diag.ParseWarnOptions):
	// the warnings it names become errors as under WarnError, those of
	// its silence: are not printed. nil: the project file's flags:
	// warn_error_options, if any. WarnError and WarnOptions are not both
	// set (the command line refuses them together, as dbt).
	WarnOptions *diag.WarnOptions
	// StoreFailures is dbt's --store-failures (compiler.Options).
	StoreFailures bool
	// FullRefresh is dbt's --full-refresh and Which the command, as the
	// templates' flags.FULL_REFRESH and flags.WHICH (compiler.Options).
	FullRefresh bool
	Which       string
	// NoRollback is kiln's --no-rollback as the templates'
	// flags.NO_ROLLBACK (compiler.Options); RunOptions.NoRollback is what
	// the run does.
	NoRollback bool
	// Record, when set, records every file and folder the load reads, the
	// paths it finds missing and the environment variables it reads, for
	// the partial parse cache (internal/parsecache).
	Record *parsecache.Recorder
	// LookupEnv, when set, is the environment env_var() reads in the
	// project's files and the profile, in every compilation of the
	// project (--defer's too); nil reads the process's (os.LookupEnv).
	// The partial parse cache, which records the process's, is then off.
	LookupEnv func(name string) (string, bool)
}

// lookupEnv is the LookupEnv of every compilation of the project (Load's,
// Defer's): LookupEnv, else Record's, else nil (os.LookupEnv).
func (cfg Config) lookupEnv() func(string) (string, bool) {
	if cfg.LookupEnv != nil {
		return cfg.LookupEnv
	}
	if cfg.Record != nil {
		return cfg.Record.LookupEnv
	}
	return nil
}

// compileOptions are the options of every compilation of the project in
// dir (Load's, Defer's), deferring the nodes of deferred (nil: none):
// one place, so that no compilation misses one (invocation_id rendered
// as an empty string where a call site left InvocationID out).
func (cfg Config) compileOptions(dir string, deferred map[graph.ID]sqlq.Relation) compiler.Options {
	return compiler.Options{Vars: cfg.Vars, ProjectDir: dir, LookupEnv: cfg.lookupEnv(), Defer: deferred, NodeEntries: artifact.NodeEntries,
		InvocationID: cfg.InvocationID, StartedAt: cfg.startedAt(), StoreFailures: cfg.StoreFailures, FullRefresh: cfg.FullRefresh, Which: cfg.Which,
		NoRollback: cfg.NoRollback}
}

// startedAt is StartedAt as compiler.Options takes it: RFC 3339 in UTC,
// to the nanosecond ("" when zero).
func (cfg Config) startedAt() string {
	if cfg.StartedAt.IsZero() {
		return ""
	}
	return cfg.StartedAt.UTC().Format(time.RFC3339Nano)
}

// ErrInvalid is returned by Load and Select when the project's files hold
// errors; they were reported as a Diagnostics event.
var ErrInvalid = errors.New("the project has errors")

// Project is a loaded and compiled project with its resolved paths.
type Project struct {
	// warnOpts are the warnings made errors or silenced (--warn-error,
	// --warn-error-options, flags: warn_error_options), nil when none;
	// warnWhy says which made an error one (see Config.warnOptions).
	warnOpts *diag.WarnOptions
	warnWhy  string
	Dir      string // absolute project directory
	Target   string // absolute target path
	DBPath   string // absolute database path (":memory:" for an in-memory target)
	// Profile is the profiles.yml target the project builds into; nil for
	// a kiln project that names no profile (it builds into database-path).
	Profile  *profile.Target
	Project  *project.Project
	Manifest *compiler.Manifest
	cfg      Config
	emitMu   sync.Mutex
	// events, while a run's nodes execute, delivers the events to the
	// listener on a goroutine of its own (see eventQueue); nil otherwise.
	events atomic.Pointer[eventQueue]

	// inputFiles caches the checksums of the input files, fingerprints the
	// nodes' fingerprints.
	inputFiles   map[graph.ID]artifact.InputFile
	fingerprints map[graph.ID]artifact.Fingerprint
	// fpFuture is the manifest's fingerprints being computed in the
	// background (startFingerprints), nil when none is.
	fpFuture *fpFuture
	// hashes are the input files' hashes cached in the database (by
	// absolute path), and newHashes those computed in this invocation.
	hashes, newHashes map[string]adapter.FileHash
	// inlinePath is the path given to Config.Inline's model, "" without.
	inlinePath string
	// defaultRender is set when cfg.Render is the manifest's RenderAtRun
	// (no Config.Render), so that a new compilation (Defer) replaces it.
	defaultRender bool
	// attach are the databases attached to the run's (Defer's state).
	attach []adapter.Attachment
	// deferred are the relations Defer's refs read instead of the nodes'.
	deferred map[graph.ID]sqlq.Relation
	// opens counts OpenDatabase's opens of the database (a test of how
	// often a command opens it reads it).
	opens atomic.Int64
	// deferState is Defer's --state, as given.
	deferState string
	// held are the nodes' warnings, printed by the commands that select
	// the nodes (nodewarnings.go).
	held []*heldWarning
}

// Graph returns the project's compiled graph.
func (p *Project) Graph() *graph.Graph { return p.Manifest.Graph }

// Name returns the project's name.
func (p *Project) Name() string { return p.Project.Config.Name }

// InvocationID returns the id of this invocation.
func (p *Project) InvocationID() string { return p.cfg.InvocationID }

// StartedAt returns when this invocation started (Config.StartedAt):
// run_started_at in its templates.
func (p *Project) StartedAt() time.Time { return p.cfg.StartedAt }

// Vars returns the vars given to the compilation (--vars), and their text.
func (p *Project) Vars() (map[string]any, string) { return p.cfg.Vars, p.cfg.VarsText }

func (p *Project) emit(ev Event) {
	if d, ok := ev.(Diagnostics); ok && p.inlinePath != "" {
		ev = Diagnostics{List: inlineDiags(d.List, p.inlinePath)}
	}
	if p.cfg.Listener == nil {
		return
	}
	if q := p.events.Load(); q != nil {
		q.post(func() { p.deliver(ev) })
		return
	}
	p.deliver(ev)
}

// deliver gives ev to the listener. Progress comes from the workers: one
// event at a time.
func (p *Project) deliver(ev Event) {
	p.emitMu.Lock()
	defer p.emitMu.Unlock()
	p.cfg.Listener(ev)
}

// log emits l, logged by node n's template (nil: a hook of the run or an
// operation).
func (p *Project) log(n *graph.Node, l graph.LogLine) {
	p.emit(Log{Node: n, Text: l.Text, Debug: l.Debug})
}

// nodeLogs emits the messages of n's compile rendering when n starts,
// unless it renders again at run time, whose rendering emits its own.
func (p *Project) nodeLogs(n *graph.Node) {
	if (n.RenderAtRun || n.Incremental != nil && n.Incremental.Batch != nil && n.Incremental.Batch.ReadsBatch) && p.defaultRender {
		return
	}
	for _, l := range n.Logs {
		p.log(n, l)
	}
}

// ShowLogs emits, in the order of ids, the log() and print() messages of
// each node's compile rendering (Node.Logs) as Log events, except for the
// nodes of renderedNow, which RenderNow rendered again (their messages
// came then): what kiln compile shows.
func (p *Project) ShowLogs(ids []graph.ID, renderedNow map[graph.ID]string) {
	for _, id := range ids {
		if _, ok := renderedNow[id]; ok {
			continue
		}
		if n := p.Graph().Node(id); n != nil {
			for _, l := range n.Logs {
				p.log(n, l)
			}
		}
	}
}

func (p *Project) printf(level Level, format string, args ...any) {
	p.emit(Message{Level: level, Text: fmt.Sprintf(format, args...)})
}

// Load reads and compiles the project in cfg.Dir. Diagnostics (errors and
// warnings) are reported as one Diagnostics event; a project with errors
// returns ErrInvalid, a missing directory or project.yml an error that
// says what to do, and a --vars key that no file of the project names an
// error with the nearest name.
func Load(cfg Config) (*Project, error) {
	if cfg.InvocationID == "" {
		cfg.InvocationID = uuid.NewString()
	}
	if cfg.StartedAt.IsZero() {
		cfg.StartedAt = time.Now()
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("project directory %q does not exist", cfg.Dir)
	}
	p := &Project{Dir: dir, cfg: cfg}
	files, err := ReadFiles(cfg)
	if err != nil {
		return nil, err
	}
	proj, l := files.Project, files.Diags
	if cfg.Inline != "" {
		if err := p.addInline(proj, cfg.Inline); err != nil {
			return nil, err
		}
	}
	p.Profile, p.DBPath = files.Profile, files.DBPath
	if l.HasErrors() && (proj.Config.Name == "" || proj.PackagesMissing()) {
		// Without the project's name, or its packages (kiln deps not run),
		// compiling would add an error for each use of what is missing:
		// dbt_utils' integration tests gave 126 "undefined" errors around
		// the one that says to run kiln deps.
		p.emit(Diagnostics{List: l})
		return nil, ErrInvalid
	}
	// Compile even when project.yml has problems, to report every problem
	// of the project at once.
	o := cfg.compileOptions(dir, nil)
	o.Inline = p.inlinePath
	m, cl := compiler.Compile(proj, o)
	if cl != nil || l.HasErrors() {
		all := append(append(diag.List(nil), l...), cl...)
		all.Sort()
		p.emit(Diagnostics{List: all.Errors()})
		return nil, ErrInvalid
	}
	p.warnOpts, p.warnWhy = cfg.warnOptions(proj)
	if len(l)+len(m.Warnings) > 0 {
		all := append(l, m.Warnings...)
		if p.warnOpts != nil {
			if we := p.warnOpts.Apply(all, p.warnWhy); we.HasErrors() {
				we.Sort()
				p.emit(Diagnostics{List: we})
				return nil, ErrInvalid
			}
			l, m.Warnings = p.warnOpts.Apply(l, ""), p.warnOpts.Apply(m.Warnings, "")
		}
		if now := append(l, p.holdNodeWarnings(m.Graph, m.Warnings)...); len(now) > 0 {
			p.emit(Diagnostics{List: now})
		}
	}
	p.Project, p.Manifest = proj, m
	if p.cfg.Render == nil {
		// Models whose templates read execute render again at run time.
		p.cfg.Render, p.defaultRender = m.RenderAtRun, true
	}
	m.SetGraph(func() map[string]any { return artifact.FlatGraph(m) }) // dbt's graph variable at run time
	m.SetLog(p.log)
	if err := p.checkVars(); err != nil {
		return nil, err
	}
	// dbt parses selectors.yml at every parse, used or not: a broken one
	// is reported by compile, ls and parse too, not only by --selector.
	if cfg.Record != nil {
		cfg.Record.StatOutside(filepath.Join(dir, "selectors.yml"))
	}
	if _, err := p.selectors(); err != nil {
		return nil, err
	}
	c := proj.Config
	target := c.TargetPath
	if cfg.TargetPath != "" {
		target = cfg.TargetPath
	}
	p.Target = AbsUnder(dir, target)
	given := proj.File + "'s target-path " + target
	if cfg.TargetPath != "" {
		given = "--target-path " + target
	}
	if err := checkFolderPath(dir, p.Target, given, "choose another target path"); err != nil {
		return nil, err
	}
	if p.DBPath != "" && p.DBPath != ":memory:" {
		if err := checkFolderPath(dir, filepath.Dir(p.DBPath), "the database "+Rel(dir, p.DBPath), "choose another database-path"); err != nil {
			return nil, err
		}
	}
	if err := p.checkProfileFolder(); err != nil {
		return nil, err
	}
	return p, nil
}

// LoadConfig reads only the project file of cfg.Dir and its profile, for
// the commands that need the project's database and none of its models
// (kiln runs): a model, macro or property file that does not compile does
// not stop them. The Project has no Manifest (Graph and the run methods
// are not for it); its diagnostics are reported as Load's, a project file
// with errors returns ErrInvalid.
func LoadConfig(cfg Config) (*Project, error) {
	if cfg.InvocationID == "" {
		cfg.InvocationID = uuid.NewString()
	}
	files, err := ReadConfig(cfg)
	if err != nil {
		return nil, err
	}
	p := &Project{Dir: files.Dir, cfg: cfg, Project: files.Project, Profile: files.Profile, DBPath: files.DBPath}
	if len(files.Diags) > 0 {
		p.emit(Diagnostics{List: files.Diags})
	}
	if files.Diags.HasErrors() {
		return nil, ErrInvalid
	}
	target := files.Project.Config.TargetPath
	if cfg.TargetPath != "" {
		target = cfg.TargetPath
	}
	p.Target = AbsUnder(p.Dir, target)
	if err := p.checkProfileFolder(); err != nil {
		return nil, err
	}
	return p, nil
}

// checkProfileFolder returns a diag.Diagnostic, at the profile's path:,
// when the folder of a profile's DuckDB file does not exist: DuckDB
// cannot create a file in a missing folder, and dbt-duckdb fails there,
// so kiln does not make the folder (a typo would build into a new, empty
// database). The project's target path is the exception: kiln creates it
// as dbt does, before it opens the database (path: target/dev.duckdb).
// kiln's own database-path (no profile) is created as ever.
func (p *Project) checkProfileFolder() error {
	pr := p.Profile
	if pr == nil || pr.Type != "duckdb" || pr.Path == "" {
		return nil
	}
	folder := filepath.Dir(filepath.Clean(pr.Path))
	if folder == filepath.Clean(p.Target) {
		return nil
	}
	if _, err := os.Stat(folder); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return diag.Errorf(pr.PathAt, "the folder of the DuckDB database %s does not exist: %s", pr.Path, folder).
		WithHint("create the folder (mkdir -p %s), or fix the path; dbt-duckdb does not create it either", folder)
}

// checkFolderPath returns an error when a file (not a folder) lies at
// path, a folder kiln creates, or at one of the folders above it: "--target-path
// somefile/target: somefile is a file, not a folder; choose another
// target path, or move the file". given is the path as the user wrote it,
// with where it was written; fix says what else to do.
func checkFolderPath(dir, path, given, fix string) error {
	for q := path; ; q = filepath.Dir(q) {
		st, err := os.Stat(q)
		if err == nil {
			if st.IsDir() {
				return nil
			}
			return fmt.Errorf("%s: %s is a file, not a folder; %s, or move the file", given, Rel(dir, q), fix)
		}
		if filepath.Dir(q) == q {
			return nil
		}
	}
}

// AbsUnder returns p made absolute against dir (p itself when absolute).
func AbsUnder(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, filepath.FromSlash(p))
}

// Rel returns p relative to dir when it is below dir or beside it, else p.
func Rel(dir, p string) string {
	if r, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(r, "../..") {
		return r
	}
	return p
}

// checkVars refuses --vars keys that project.yml does not declare and
// that appear in no file of the project: a typo such as raw_dri for
// raw_dir would otherwise build silently with the default (the sample
// month, over the production tables). A key that no template read in this
// compilation but that a file names (a var() in a branch not taken, such
// as under is_incremental()) is only warned about.
func (p *Project) checkVars() error {
	known := map[string]bool{}
	declare := func(vars map[string]any, scopes map[string]bool) {
		for k, v := range vars {
			known[k] = true
			// dbt scopes the vars under a project's or package's name to it.
			if m, ok := v.(map[string]any); ok && scopes[k] {
				for kk := range m {
					known[kk] = true
				}
			}
		}
	}
	scopes := map[string]bool{p.Project.Config.Name: true}
	for _, q := range p.Project.Packages {
		scopes[q.Config.Name] = true
	}
	declare(p.Project.Config.Vars, scopes)
	for _, q := range p.Project.Packages {
		declare(q.Config.Vars, scopes)
	}
	for _, k := range p.Manifest.UsedVars {
		known[k] = true
	}
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	keys := make([]string, 0, len(p.cfg.Vars))
	for k := range p.cfg.Vars {
		if !known[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var errs []string
	for _, k := range keys {
		hint := ""
		if h := diag.DidYouMean(k, names); h != "" {
			hint = "; " + h
		}
		switch {
		case namedInProject(p.Project, k):
			p.printf(Warn, "warning: --vars sets %q, which %s does not declare and no model read in this run%s", k, p.Project.File, hint)
		case hint != "":
			// A near miss of a declared var is a typo, not a var for
			// another project: a typo of raw_dir must not build the
			// default month.
			errs = append(errs, fmt.Sprintf("--vars sets %q, which %s does not declare and no file of the project names%s", k, p.Project.File, hint))
		default:
			p.printf(Warn, "warning: --vars sets %q, which nothing in the project or its packages names: it has no effect", k)
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n") + "\nnothing was run: fix the name, or declare the var under vars: in " + p.Project.File)
	}
	return nil
}

// namedInProject reports whether a file of p (project.yml, models,
// tests, macros, YAML) holds name as a quoted string ('name' or "name").
func namedInProject(p *project.Project, name string) bool {
	single, double := []byte("'"+name+"'"), []byte(`"`+name+`"`)
	for _, b := range p.Files {
		if bytes.Contains(b, single) || bytes.Contains(b, double) {
			return true
		}
	}
	return false
}

// Threads returns the number of workers a run uses: n when positive, else
// threads of the project file, else the profile's, else DefaultThreads.
func (p *Project) Threads(n int) int {
	if n > 0 {
		return n
	}
	if p.Project.Config.Threads > 0 {
		return p.Project.Config.Threads
	}
	if p.Profile != nil && p.Profile.Threads > 0 {
		return p.Profile.Threads
	}
	return DefaultThreads
}

// DefaultThreads is the number of workers when neither --threads nor
// threads in project.yml says: the least geometric mean of kiln's time over
// the baseline's across W1, W2 and W3 on 2 cores (BENCHMARKS.md: 0.90x at
// 4 threads, 0.98x at 2, 1.11x at 1). DuckDB parallelises each query on
// its own, so the workers mostly overlap kiln's and the statements' serial
// parts.
const DefaultThreads = 4
