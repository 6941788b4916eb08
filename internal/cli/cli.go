// Package cli is kiln's command line: the commands (build, run, test, seed,
// compile, ls, clean, debug, version), their flags, and the exit codes. It is
// the only package that imports cobra.
//
// Exit codes: 0 success (warnings allowed), 1 a node errored or a test
// failed, 2 the run could not start (usage, invalid project, database
// locked), 130 interrupted.
package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/history"
	"github.com/kiln-build/kiln/internal/ui"
)

// Exit codes.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitCannotStart = 2
	ExitInterrupted = 130
)

// Version is kiln's version, set at build time with
// -ldflags "-X github.com/kiln-build/kiln/internal/cli.Version=v1.2.3".
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	switch {
	case rev == "":
		return "dev"
	case dirty:
		return "dev-" + rev + "-dirty"
	}
	return "dev-" + rev
}

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func exit(code int) error { return &exitError{code: code} }

// app holds the global flags and the streams of one invocation.
type app struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	jsonOut        io.Writer // where --log-format json writes the events
	ui             *ui.Printer

	projectDir string
	targetPath string
	varsText   string
	failFast   bool
	threads    int
	invocation string
	logFormat  string
}

// Main runs kiln with args (without the program name) and returns the exit
// code. It is what cmd/kiln calls, and what tests call in-process.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	a.ui = ui.New(stderr, ui.UseColor(stderr))
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		switch a.logFormat {
		case "text":
		case "json":
			// The runs' events go to stdout, as dbt's JSON logs, where a
			// pipe (| jq) reads them; commands whose stdout is data (ls,
			// compile -s, export kestra) keep them on stderr.
			a.jsonOut = stderr
			switch cmd.Name() {
			case "build", "run", "test", "seed", "retry":
				a.jsonOut = stdout
			}
			a.ui.SetJSON(ui.NewJSONLog(a.jsonOut))
		default:
			return &exitError{ExitCannotStart, fmt.Sprintf("--log-format must be text or json, not %q", a.logFormat)}
		}
		return nil
	}
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			a.ui.Printf("error: %s", ee.msg)
		}
		return ee.code
	}
	// cobra's own errors: unknown command or flag.
	a.ui.Printf("error: %s", err)
	a.ui.Printf("run 'kiln --help' for usage")
	return ExitCannotStart
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "kiln",
		Short: "kiln builds SQL models in DuckDB, dbt-style",
		Long: `kiln is a declarative SQL-model build tool in the style of dbt, on DuckDB.

Write SQL models with {{ ref() }} and {{ source() }} dependencies and YAML
tests; kiln parses them into a lineage graph, loads file-backed sources
(xlsx, csv, parquet) and seeds, materializes the models in DuckDB in
topological order, runs the tests, writes exports, and records artifacts
(manifest.json, run_results.json) under the target path.

Exit codes: 0 success (warnings allowed), 1 a node errored or a test failed,
2 the run could not start (usage, invalid project, database locked),
130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
	}
	root.SetVersionTemplate("kiln {{.Version}}\n")
	f := root.PersistentFlags()
	f.StringVar(&a.projectDir, "project-dir", ".", "the project's directory (holding project.yml)")
	f.StringVar(&a.targetPath, "target-path", "", "where artifacts go (default: target-path of project.yml, \"target\")")
	f.StringVar(&a.varsText, "vars", "", "vars as YAML or JSON, overriding project.yml: --vars '{raw_dir: data/2026-11}'")
	f.BoolVar(&a.failFast, "fail-fast", false, "stop at the first node that errors or fails")
	f.IntVar(&a.threads, "threads", 0, "number of nodes run at once (default: threads of project.yml, else 4); 1 runs them one by one, in a deterministic order")
	f.StringVar(&a.logFormat, "log-format", "text", "progress on stderr as text, or json: one JSON object per event and line")
	root.AddCommand(
		a.buildCommand(), a.runCommand(), a.testCommand(), a.seedCommand(),
		a.compileCommand(), a.lsCommand(), a.cleanCommand(), a.debugCommand(), a.versionCommand(), a.runsCommand(), a.retryCommand(), a.transactionCommand(), a.exportCommand(),
		a.docsCommand(),
	)
	return root
}

// env is a loaded and compiled project with its resolved paths.
type env struct {
	dir      string // absolute project directory
	target   string // absolute target path
	dbPath   string // absolute database path
	project  *project.Project
	manifest *compiler.Manifest
	// inputFiles caches the checksums of the input files.
	inputFiles map[graph.ID]artifact.InputFile
	// hashes are the input files' hashes cached in the database (by
	// absolute path), and newHashes those computed in this run.
	hashes, newHashes map[string]history.Hashed
}

// parseVars reads --vars as YAML (JSON is YAML).
func (a *app) parseVars() (map[string]any, error) {
	if strings.TrimSpace(a.varsText) == "" {
		return nil, nil
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(a.varsText), &m); err != nil {
		return nil, fmt.Errorf("--vars is not a YAML or JSON mapping: %s; write --vars '{raw_dir: data/sample}'", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if m == nil {
		return nil, fmt.Errorf("--vars must be a mapping, such as --vars '{raw_dir: data/sample}'")
	}
	return m, nil
}

// load reads and compiles the project; diagnostics are printed and turn
// into exit code 2.
func (a *app) load() (*env, error) {
	dir, err := filepath.Abs(a.projectDir)
	if err != nil {
		return nil, &exitError{ExitCannotStart, err.Error()}
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, &exitError{ExitCannotStart, fmt.Sprintf("project directory %q does not exist", a.projectDir)}
	}
	vars, err := a.parseVars()
	if err != nil {
		return nil, &exitError{ExitCannotStart, err.Error()}
	}
	if a.threads < 0 {
		return nil, &exitError{ExitCannotStart, fmt.Sprintf("--threads must be 1 or more, not %d", a.threads)}
	}
	p, l := project.Load(os.DirFS(dir))
	if l.HasErrors() && p.Config.Name == "" {
		if _, statErr := os.Stat(filepath.Join(dir, project.FileName)); statErr != nil {
			return nil, &exitError{ExitCannotStart, fmt.Sprintf("no %s in %s; run kiln in a project directory or pass --project-dir", project.FileName, dir)}
		}
		a.ui.Diagnostics(l)
		return nil, exit(ExitCannotStart)
	}
	// Compile even when project.yml has problems, to report every problem
	// of the project at once.
	m, cl := compiler.Compile(p, compiler.Options{Vars: vars, ProjectDir: dir})
	if cl != nil || l.HasErrors() {
		all := append(append(diag.List(nil), l...), cl...)
		all.Sort()
		a.ui.Diagnostics(all.Errors())
		return nil, exit(ExitCannotStart)
	}
	if len(l)+len(m.Warnings) > 0 {
		a.ui.Diagnostics(append(l, m.Warnings...))
	}
	if err := a.checkVars(p, m, vars); err != nil {
		return nil, err
	}
	e := &env{dir: dir, project: p, manifest: m}
	cfg := p.Config
	target := cfg.TargetPath
	if a.targetPath != "" {
		target = a.targetPath
	}
	e.target = absUnder(dir, target)
	dbPath := cfg.DatabasePath
	if a.targetPath != "" && dbPath == filepath.ToSlash(filepath.Join(cfg.TargetPath, "kiln.duckdb")) {
		dbPath = filepath.Join(target, "kiln.duckdb")
	}
	e.dbPath = absUnder(dir, dbPath)
	return e, nil
}

func absUnder(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, filepath.FromSlash(p))
}

func (a *app) threadCount(e *env) int {
	if a.threads > 0 {
		return a.threads
	}
	if e.project.Config.Threads > 0 {
		return e.project.Config.Threads
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

// invocationID identifies this run in the artifacts.
func (a *app) invocationID() string {
	if a.invocation == "" {
		a.invocation = uuid.NewString()
	}
	return a.invocation
}

// checkVars refuses --vars keys that project.yml does not declare and
// that appear in no file of the project: a typo such as raw_dri for
// raw_dir would otherwise build silently with the default (the sample
// month, over the production tables). A key that no template read in this
// compilation but that a file names (a var() in a branch not taken, such
// as under is_incremental()) is only warned about.
func (a *app) checkVars(p *project.Project, m *compiler.Manifest, vars map[string]any) error {
	known := map[string]bool{}
	for k := range p.Config.Vars {
		known[k] = true
	}
	for _, k := range m.UsedVars {
		known[k] = true
	}
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	keys := make([]string, 0, len(vars))
	for k := range vars {
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
		if namedInProject(p, k) {
			a.ui.Printf("warning: --vars sets %q, which project.yml does not declare and no model read in this run%s", k, hint)
			continue
		}
		errs = append(errs, fmt.Sprintf("--vars sets %q, which project.yml does not declare and no file of the project names%s", k, hint))
	}
	if len(errs) > 0 {
		return &exitError{ExitCannotStart, strings.Join(errs, "\n") + "\nnothing was run: fix the name, or declare the var under vars: in project.yml"}
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
