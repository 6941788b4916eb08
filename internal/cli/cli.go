// Package cli is kiln's command line: the commands (build, run, test, seed,
// compile, ls, clean, debug, version), their flags, and the exit codes. It is
// the only package that imports cobra.
//
// Exit codes: 0 success (warnings allowed), 1 a node errored or a test
// failed, 2 the run could not start (usage, invalid project, database
// locked), 130 interrupted.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/yamlsrc"
	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/scrub"
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
	jsonOut        io.Writer  // where --log-format json writes the events
	secrets        *scrub.Set // the DBT_ENV_SECRET_ values, masked in what kiln writes (internal/scrub)
	kestraOut      io.Writer  // where --log-format kestra writes the metrics lines, or nil
	ui             *ui.Printer

	projectDir  string
	profilesDir string
	profile     string
	target      string
	targetPath  string
	varsText    string
	failFast    bool
	// warnError is dbt's --warn-error: every warning is an error.
	warnError bool
	// warnErrorOptions is dbt's --warn-error-options (YAML or JSON), and
	// warnOpts it parsed (parseWarnOptions).
	warnErrorOptions string
	warnOpts         *diag.WarnOptions
	// quiet is dbt's --quiet (-q): progress and warnings are not printed,
	// errors are.
	quiet bool
	// storeFailures is dbt's --store-failures of build and test.
	storeFailures bool
	// fullRefresh is --full-refresh of the command that runs nodes, and
	// which the command's name as dbt's flags.WHICH: both for templates.
	fullRefresh bool
	which       string
	threads     int
	logFormat   string

	// noRollback is --no-rollback, for templates (flags.NO_ROLLBACK).
	noRollback bool

	// noPartialParse is --no-partial-parse: ls and compile load the
	// project from its files even when the cache says nothing changed.
	// --partial-parse (the default) sets it false; of the two, the last
	// given wins, over DBT_PARTIAL_PARSE (partialParseGiven).
	noPartialParse, partialParseGiven bool
	// noVersionCheck is dbt's --no-version-check, which kiln's behaviour
	// has: kiln does not check require-dbt-version.
	noVersionCheck bool

	// envRead, when set, records the environment variables that the
	// load's env_var() calls found set (kiln export kestra: the flow
	// maps them from Kestra's secret store).
	envRead map[string]bool

	project    *engine.Project // the project loaded by load
	runLog     *ui.JSONLog     // the events of the run in progress
	runLogFile *os.File
	runLogOut  io.Writer // runLogFile through the masking of secrets
	// fileLog writes to the run's kiln.log only (the Jinja log() lines
	// that dbt writes to its log file); nil outside a run.
	fileLog  *ui.JSONLog
	junitXML string // --junit-xml of the run in progress
	inline   string // kiln show --inline: SQL compiled with the project
	// threadsGiven tells --threads 0 (an error) from no --threads.
	threadsGiven func() bool
	// started is when the invocation started: run_started_at in the
	// templates and the start of its run (engine.Config.StartedAt).
	started time.Time
}

// Main runs kiln with args (without the program name) and returns the exit
// code. It is what cmd/kiln calls, and what tests call in-process.
//
// A command whose stdout is closed by its reader (kiln runs | head -3)
// ends quietly with ExitBrokenPipe, as a Unix tool ended by SIGPIPE; a
// build keeps its own outcome (its progress is on stderr).
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	pipe := &pipeWriter{w: stdout}
	secrets := scrub.FromEnv()
	color, terminal := ui.UseColor(stderr), ui.IsTerminal(stderr)
	// One masking point per stream, below every writer of it: a secret
	// written in two pieces is masked too (scrub.Writer).
	stdout, stderr = scrub.NewWriter(pipe, secrets), scrub.NewWriter(stderr, secrets)
	defer scrub.FlushOf(stdout)
	defer scrub.FlushOf(stderr)
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, runLog: ui.NewJSONLog(io.Discard), started: time.Now(), secrets: secrets}
	a.ui = ui.New(stderr, color)
	a.ui.SetProgress(terminal)
	root := a.rootCommand()
	root.SetArgs(spreadSelections(args))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		a.which = cmd.Name()
		if a.which == "ls" {
			a.which = "list" // dbt's name
		}
		switch a.logFormat {
		case "text":
		case "json":
			// The runs' events go to stdout, as dbt's JSON logs, where a
			// pipe (| jq) reads them; commands whose stdout is data (ls,
			// compile -s, export kestra) keep them on stderr.
			a.jsonOut = stderr
			switch cmd.Name() {
			case "build", "run", "test", "seed", "snapshot", "retry":
				a.jsonOut = stdout
			}
			a.ui.SetJSON(ui.NewJSONLog(a.jsonOut))
		case "kestra":
			// Progress as text on stderr, and Kestra's ::{...}:: lines on
			// stdout (internal/cli/kestra_log.go).
			a.kestraOut = stdout
		default:
			return &exitError{ExitCannotStart, fmt.Sprintf("--log-format must be text, json or kestra, not %q", a.logFormat)}
		}
		return nil
	}
	cmd, err := root.ExecuteContextC(ctx)
	if ctx.Err() == nil && !runsNodes(cmd) && (err == nil && pipe.closed.Load() || pipe.brokenPipe(err)) {
		return ExitBrokenPipe
	}
	code, msgs := ExitOK, []string(nil)
	var ee *exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.code
		switch {
		case ee.msg == "":
		case ee.code == ExitInterrupted:
			msgs = append(msgs, ee.msg)
		default:
			msgs = append(msgs, "error: "+ee.msg)
		}
	default:
		// cobra's own errors: unknown command or flag.
		help := "kiln --help"
		if cmd != nil {
			help = cmd.CommandPath() + " --help"
		}
		code, msgs = ExitCannotStart, []string{"error: " + usageError(cmd, err), "run '" + help + "' for usage"}
	}
	if ctx.Err() != nil && code != ExitInterrupted {
		// A SIGINT or SIGTERM arrived: the exit code says so whatever the
		// command did, and the message says what that was.
		name := "kiln"
		if cmd != nil && cmd != root {
			name = "kiln " + cmd.Name()
		}
		for _, m := range msgs {
			if !strings.Contains(m, context.Canceled.Error()) {
				a.ui.Printf("%s", m)
			}
		}
		if code == ExitCannotStart {
			a.ui.Printf("interrupted before %s started: it changed nothing", name)
		} else {
			a.ui.Printf("interrupted after %s had finished: what it did stands, as printed above", name)
		}
		return ExitInterrupted
	}
	for _, m := range msgs {
		a.ui.Printf("%s", m)
	}
	return code
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
	f.StringVar(&a.projectDir, "project-dir", envOr("DBT_PROJECT_DIR", "."), "the project's directory (holding project.yml or dbt_project.yml)")
	f.StringVar(&a.profilesDir, "profiles-dir", "", "the folder of profiles.yml (default: DBT_PROFILES_DIR, else the project's folder, else ~/.dbt)")
	f.StringVar(&a.profile, "profile", "", "the profile of profiles.yml to build with (default: the project's profile:)")
	f.StringVarP(&a.target, "target", "t", "", "the target of the profile to build into (default: DBT_TARGET, else the profile's target:)")
	f.StringVar(&a.targetPath, "target-path", "", "where artifacts go (default: target-path of project.yml or dbt_project.yml, else \"target\")")
	f.Var((*onceString)(&a.varsText), "vars", "vars as YAML or JSON, overriding the vars of project.yml or dbt_project.yml: --vars '{raw_dir: data/2026-11}'")
	f.BoolVarP(&a.failFast, "fail-fast", "x", false, "stop at the first node that errors or fails")
	f.BoolVar(&a.warnError, "warn-error", false, "make every warning an error: a warning of the project's files or of the selection stops the command (exit 2), a test that warns fails (exit 1), as dbt's --warn-error")
	f.StringVar(&a.warnErrorOptions, "warn-error-options", "", `dbt's warnings to make errors, keep or hide, by event name, as YAML or JSON: '{"error": "all" or [names], "warn": [names], "silence": [names]}' (include/exclude are error/warn); README.md lists the events`)
	f.BoolVarP(&a.quiet, "quiet", "q", false, "print only errors on stderr: no progress, no warnings, no summary but the errors and failures (data on stdout is printed)")
	f.IntVar(&a.threads, "threads", 0, "number of nodes run at once (default: threads of project.yml or dbt_project.yml, else the profile's, else 4); 1 runs them one by one, in a deterministic order")
	a.threadsGiven = func() bool { return f.Changed("threads") }
	f.VarPF(pairedBool{&a.noPartialParse, true, &a.partialParseGiven}, "no-partial-parse", "", "ls and compile read and compile the project again instead of serving their last result from <target>/partial_parse.kiln when nothing it read changed (also DBT_PARTIAL_PARSE=false)").NoOptDefVal = "true"
	f.VarPF(pairedBool{&a.noPartialParse, false, &a.partialParseGiven}, "partial-parse", "", "the default, as in dbt: ls and compile serve their last result when nothing it read changed; it overrides DBT_PARTIAL_PARSE=false (of --partial-parse and --no-partial-parse, the last given wins)").NoOptDefVal = "true"
	f.BoolVar(&a.noVersionCheck, "no-version-check", false, "accepted, as in dbt: kiln never checks the project's require-dbt-version")
	f.StringVar(&a.logFormat, "log-format", "text", "progress on stderr as text, or json: one JSON object per event and line, or kestra: text, and each node's metrics as Kestra ::{\"metrics\": [...]}:: lines on stdout")
	root.AddCommand(
		a.buildCommand(), a.runCommand(), a.testCommand(), a.seedCommand(), a.snapshotCommand(),
		a.compileCommand(), a.lsCommand(), a.cleanCommand(), a.debugCommand(), a.versionCommand(), a.runsCommand(), a.retryCommand(), a.transactionCommand(), a.exportCommand(),
		a.docsCommand(), a.showCommand(), a.parseCommand(), a.runOperationCommand(), a.sourceCommand(), a.depsCommand(),
	)
	return root
}

// parseVars reads --vars as YAML (JSON is YAML).
func (a *app) parseVars() (map[string]any, error) {
	if strings.TrimSpace(a.varsText) == "" {
		return nil, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(a.varsText), &doc); err != nil {
		return nil, fmt.Errorf("--vars is not a YAML or JSON mapping: %s; write --vars '{raw_dir: data/sample}'", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 1 {
		if what := notMapping(doc.Content[0]); what != "" {
			return nil, fmt.Errorf("--vars must be a mapping ({key: value}), not %s; write --vars '{raw_dir: data/sample}'", what)
		}
	}
	// A var given twice: dbt keeps the last; which one was meant is
	// unknown.
	if dups := yamlsrc.Duplicates(&doc); len(dups) > 0 {
		d := dups[0]
		return nil, fmt.Errorf("--vars writes the key %q twice; write it once (dbt keeps the last value, kiln refuses to guess)", d.Key)
	}
	var m project.VarMap
	if err := doc.Decode(&m); err != nil {
		return nil, fmt.Errorf("--vars is not a YAML or JSON mapping: %s; write --vars '{raw_dir: data/sample}'", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if m == nil {
		return nil, fmt.Errorf("--vars must be a mapping, such as --vars '{raw_dir: data/sample}'")
	}
	return m, nil
}

// notMapping says, in YAML's words, what n is when it is neither a mapping
// nor null: "a list", "a number (3)", "a string (\"str\")"; "" otherwise.
func notMapping(n *yaml.Node) string {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return ""
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return ""
		case "!!int", "!!float":
			return fmt.Sprintf("a number (%s)", n.Value)
		case "!!bool":
			return fmt.Sprintf("a boolean (%s)", n.Value)
		default:
			return fmt.Sprintf("a string (%q)", n.Value)
		}
	}
	return ""
}

// load reads and compiles the project; diagnostics are printed and turn
// into exit code 2.
func (a *app) load() (*engine.Project, error) { return a.loadWith(nil) }

// loadConfig reads only the project file and its profile
// (engine.LoadConfig): for the commands that need the database and none
// of the models.
func (a *app) loadConfig() (*engine.Project, error) {
	vars, err := a.parseVars()
	if err != nil {
		return nil, &exitError{ExitCannotStart, err.Error()}
	}
	p, err := engine.LoadConfig(a.engineConfig(vars))
	if err != nil {
		return nil, a.startError(err)
	}
	return p, nil
}

// partial returns the partial parse cache of the command (args: its
// options that change its output), nil when --no-partial-parse or
// DBT_PARTIAL_PARSE=false turn it off or it cannot apply.
func (a *app) partial(args ...string) *engine.Partial {
	if a.noPartialParse {
		return nil
	}
	switch strings.ToLower(os.Getenv("DBT_PARTIAL_PARSE")) {
	case "false", "0", "no", "off":
		if !a.partialParseGiven {
			return nil
		}
	}
	vars, err := a.parseVars()
	if err != nil || a.threadsInvalid() {
		return nil // the load reports it
	}
	return engine.OpenPartial(a.engineConfig(vars), args...)
}

// threadsInvalid reports whether --threads is 0 or less.
// threadsSource says where the threads come from without --threads, in the
// project of --project-dir: "project.yml", or "dbt_project.yml or the
// profile" for a dbt project (whose profile usually gives them).
func (a *app) threadsSource() string {
	if !fileExists(filepath.Join(a.projectDir, project.FileName)) && fileExists(filepath.Join(a.projectDir, project.DBTFileName)) {
		return project.DBTFileName + " or the profile"
	}
	return project.FileName
}

func (a *app) threadsInvalid() bool {
	return a.threads < 0 || a.threads == 0 && a.threadsGiven != nil && a.threadsGiven()
}

// loadWith is load recording what it reads for pp (nil: no recording).
func (a *app) loadWith(pp *engine.Partial) (*engine.Project, error) {
	vars, err := a.parseVars()
	if err != nil {
		return nil, &exitError{ExitCannotStart, err.Error()}
	}
	if err := a.parseWarnOptions(); err != nil {
		return nil, err
	}
	if a.threadsInvalid() {
		return nil, &exitError{ExitCannotStart, fmt.Sprintf("--threads must be 1 or more, not %d; leave it out for the threads of %s, else %d", a.threads, a.threadsSource(), engine.DefaultThreads)}
	}
	cfg := a.engineConfig(vars)
	pp.Record(&cfg)
	p, err := engine.Load(cfg)
	if err != nil {
		return nil, a.startError(err)
	}
	a.project = p
	return p, nil
}

// engineConfig returns the engine's configuration from the global flags.
func (a *app) engineConfig(vars map[string]any) engine.Config {
	var lookup func(string) (string, bool)
	if a.envRead != nil {
		lookup = func(name string) (string, bool) {
			v, ok := os.LookupEnv(name)
			if ok {
				a.envRead[name] = true
			}
			return v, ok
		}
	}
	return engine.Config{LookupEnv: lookup, Dir: a.projectDir, TargetPath: a.targetPath, Vars: vars, VarsText: a.varsText,
		Version: version(), Listener: a.listen, Inline: a.inline, ProfilesDir: a.profilesDir, Profile: a.profile, Target: a.target,
		WarnError: a.warnError, WarnOptions: a.warnOpts, StoreFailures: a.storeFailures, FullRefresh: a.fullRefresh, Which: a.which, NoRollback: a.noRollback, StartedAt: a.started}
}

// envOr returns the environment variable name, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// startError turns an error of the engine before a run started into exit
// code 2; the diagnostics of ErrInvalid were printed already.
func (a *app) startError(err error) error {
	if errors.Is(err, engine.ErrInvalid) {
		return exit(ExitCannotStart)
	}
	return &exitError{ExitCannotStart, err.Error()}
}

// parseFailure matches what pflag appends to a flag's value that does not
// parse: Go's strconv error ("strconv.ParseInt: parsing \"abc\": invalid
// syntax").
var parseFailure = regexp.MustCompile(`: strconv\.Parse(Int|Uint|Float|Bool): parsing "[^"]*": (invalid syntax|value out of range)$`)

// flagError is cobra's error message msg with Go's strconv wording of a
// value that does not parse replaced by what the flag expects.
func flagError(msg string) string {
	m := parseFailure.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	want := map[string]string{"Int": "a whole number", "Uint": "a whole number of 0 or more", "Float": "a number", "Bool": "true or false"}[m[1]]
	if m[2] == "value out of range" {
		want += " in range"
	}
	return strings.TrimSuffix(msg, m[0]) + ": " + want + " is expected"
}
