// Package kestra turns a compiled project into a Kestra flow
// (https://kestra.io/docs/workflow-components/flow), so that the monthly run
// is scheduled and retried by an existing orchestrator rather than by kiln.
// It is pure: the graph, the project configuration and the options go in,
// YAML bytes come out.
//
// The flow has the project's schedule as an
// io.kestra.plugin.core.trigger.Schedule trigger (recoverMissedSchedules: LAST, as the vars name one landing folder),
// one input per var typed from the declared var types, and one
// io.kestra.plugin.core.flow.Dag task whose tasks each run
//
//	kiln --project-dir DIR --log-format kestra build --select <nodes> --indirect-selection buildable --vars "$KILN_VARS" ...
//
// (an io.kestra.plugin.scripts.shell.Commands task on the Process runner,
// or in a container image on the Docker runner: Options.Image),
// sized by the project (one task per node, per folder, per tag or selector
// stage, or one), with dependsOn from the scheduler's plan (run.NewPlan),
// retries, Kestra metrics per node, and run_results.json and junit.xml as
// outputs. The tasks share a flow transaction (--transaction with the
// flow's and the execution's id): a task commits it (kiln transaction
// commit), and the errors branch rolls it back and logs the failure, so
// the flow is all or nothing like a single kiln build; an execution ended
// without its errors branch (killed, failed by its SLA) is rolled back by
// the next execution's first task (kiln transaction rollback --stale); a
// last task keeps the docs. Every text
// kiln takes from the project is escaped for Pebble (literal); an SLA
// (MAX_DURATION) bounds the execution.
package kestra

import (
	"bytes"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/selector"
)

// txnID is the flow transaction of an execution, as a word of its tasks'
// commands: FLOW/EXECUTION, so that kiln transaction rollback --stale,
// the flow's first task, tells an earlier execution of this flow (whose
// transaction it rolls back) from another flow's.
const txnID = `"{{ flow.namespace }}.{{ flow.id }}/{{ execution.id }}"`

// Kestra plugin types used by the flow.
const (
	TypeSchedule = "io.kestra.plugin.core.trigger.Schedule"
	TypeDag      = "io.kestra.plugin.core.flow.Dag"
	TypeCommands = "io.kestra.plugin.scripts.shell.Commands"
	TypeProcess  = "io.kestra.plugin.core.runner.Process"
	TypeDocker   = "io.kestra.plugin.scripts.runner.docker.Docker"
	TypeLog      = "io.kestra.plugin.core.log.Log"
)

// Options are the inputs of Flow besides the graph.
type Options struct {
	// Config is the project's configuration: its name, vars and schedule
	// (required).
	Config *project.Config
	// ProjectFile is the name of the project's file, which messages name:
	// project.yml (when "") or dbt_project.yml.
	ProjectFile string
	// Vars are the vars offered as flow inputs, with their values as
	// defaults (the compiled manifest's vars, --vars applied); nil means
	// Config.Vars.
	Vars map[string]any
	// Select are the nodes to orchestrate; nil means every node. Only
	// models, file-backed sources, seeds and exports that execute become
	// tasks; tests run in the task of their model.
	Select []graph.ID
	// ProjectDir is the project's directory on the Kestra worker, where the
	// DuckDB file lives between tasks (required).
	ProjectDir string
	// Kiln is the command that runs kiln on the worker; "" means "kiln".
	Kiln string
	// Image, when set, is the container image the tasks run in, with
	// Kestra's Docker task runner instead of the Process runner (kiln's
	// image: cmd/kiln-image). ProjectDir, which must then be absolute, is
	// mounted at the same path, so that the DuckDB file stays between
	// tasks; Kestra allows such a volume only with the Docker runner's
	// volume-enabled setting, which the flow's description says.
	Image string
	// Namespace is the flow's namespace; "" means "kiln.<project name>".
	Namespace string
	// FlowID is the flow's id; "" means the project name.
	FlowID string
	// GroupBy sizes the flow: one of the GroupBy* constants ("" is
	// GroupByAuto).
	GroupBy string
	// Stages are the tags (GroupByTag) or selector names (GroupBySelector)
	// of the stages, in order; nil means every tag by first use, or every
	// selector in file order.
	Stages []string
	// Selectors are the named selectors of selectors.yml (GroupBySelector).
	Selectors map[string]*selector.Definition
	// MaxNodeTasks is the most runnable nodes GroupByAuto makes one task
	// each; 0 means DefaultMaxNodeTasks.
	MaxNodeTasks int
	// VarTypes are the project's declared var types (var-types: in
	// project.yml): the inputs take their types and constraints.
	VarTypes map[string]*project.VarType
	// TriggerDateVar is the var that takes the Schedule trigger's date, so
	// that a Kestra backfill of a past date rebuilds that date; "" means
	// the var declared with kestra: trigger_date, if any.
	TriggerDateVar string
	// SLA is the flow's MAX_DURATION SLA: an execution running longer
	// fails (and is rolled back); 0 means SLA(Builds, tasks), negative
	// none.
	SLA time.Duration
	// Builds are the durations of the project's successful full builds in
	// the run history, for the default SLA.
	Builds []time.Duration
	// TargetPath is the project's target path (target-path of
	// project.yml), relative to ProjectDir or absolute; "" means "target".
	TargetPath string
	// Retries is the number of retries of a failed task (0: none), with an
	// exponential backoff from RetryInterval (0: 30s) to 10 minutes.
	Retries       int
	RetryInterval time.Duration
	// Concurrent is the number of tasks the Dag runs at once; 0 means 1,
	// because DuckDB lets one process at a time write a database file,
	// and a server database one kiln build at a time (its advisory lock).
	Concurrent int
	// SecretEnv are environment variables that every task gets from
	// Kestra's secret store, as NAME: "{{ secret('NAME') }}" in its env:
	// the variables the project and its profile read with env_var() (a
	// PostgreSQL target's password), set when the flow was exported. With
	// the Docker runner (Image) a task's container does not inherit the
	// worker's environment, so kiln could not connect without them; with
	// the Process runner the worker's environment is inherited, and
	// secrets are used only when asked (kiln export kestra
	// --env-secrets). KILN_VARS, the flow's own, is left out. Kestra's
	// open-source edition reads secret('NAME') from the server's
	// environment variable SECRET_NAME, base64-encoded
	// (https://kestra.io/docs/concepts/secret).
	SecretEnv []string
	// Database is the adapter type of the project's target: "" or
	// "duckdb" for a DuckDB file, which lives in ProjectDir on one worker
	// between tasks; "postgres" for a database on a server. On a server,
	// the tables, the run history, the up-to-date state, the flow's
	// transaction and the lock live in the server, so the tasks may run
	// on any worker that has kiln, the project at ProjectDir, the input
	// files and a connection to the server; the exports, files written
	// where kiln runs, are built in the commit task, which then commits,
	// so that the files it stages and publishes are on one machine.
	Database string
}

// databaseNames are the names of the server databases, for the flow's
// description.
var databaseNames = map[string]string{"postgres": "PostgreSQL"}

// onServer reports whether the target is a database server.
func (o Options) onServer() bool { return o.Database != "" && o.Database != "duckdb" }

var (
	// Kestra ids: a letter or digit, then letters, digits, _ and -.
	validID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`)
	// Kestra namespaces: dotted lowercase ids.
	validNamespace = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	// Input ids may also hold dots.
	validInputID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)
	identifier   = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// Flow returns the Kestra flow of the selected nodes of g as YAML. It fails
// with a message saying what to fix when the project has no schedule, the
// cron expression or time zone is invalid, an id or the namespace is not
// valid for Kestra, the selection holds nothing to run, or grouping by
// folder creates a cycle between folders.
func Flow(g *graph.Graph, opt Options) ([]byte, error) {
	if opt.Config == nil {
		return nil, fmt.Errorf("kestra: no project configuration")
	}
	c := opt.Config
	if err := ValidateSchedule(c.Schedule, opt.projectFile()); err != nil {
		return nil, err
	}
	if opt.ProjectDir == "" {
		return nil, fmt.Errorf("the project's directory on the Kestra worker is not set; pass it (kiln export kestra --worker-dir /srv/kiln/%s)", c.Name)
	}
	if opt.Image != "" {
		if _, err := name.ParseReference(opt.Image); err != nil {
			return nil, fmt.Errorf("image %q is not a container image reference: %v; write NAME:TAG, such as kiln:v1 or registry.example/kiln:v1", opt.Image, err)
		}
		if !path.IsAbs(opt.ProjectDir) {
			return nil, fmt.Errorf("with an image, the worker directory %q must be an absolute path: it is mounted at the same path in the tasks' containers", opt.ProjectDir)
		}
	}
	if opt.Kiln == "" {
		opt.Kiln = "kiln"
	}
	if opt.Namespace == "" {
		opt.Namespace = "kiln." + strings.ToLower(c.Name)
	}
	if opt.FlowID == "" {
		opt.FlowID = c.Name
	}
	if !validNamespace.MatchString(opt.Namespace) {
		return nil, fmt.Errorf("namespace %q is not a valid Kestra namespace: use lowercase letters, digits, dots, _ and -, such as \"company.data\"", opt.Namespace)
	}
	if !validID.MatchString(opt.FlowID) {
		return nil, fmt.Errorf("flow id %q is not a valid Kestra id: use letters, digits, _ and -, starting with a letter or digit", opt.FlowID)
	}
	if opt.Retries < 0 {
		return nil, fmt.Errorf("retries must be 0 or more, not %d", opt.Retries)
	}
	if opt.RetryInterval <= 0 {
		opt.RetryInterval = 30 * time.Second
	}
	if opt.Concurrent <= 0 {
		opt.Concurrent = 1
	}
	vars := opt.Vars
	if vars == nil {
		vars = c.Vars
	}
	dateVar, err := triggerVar(opt)
	if err != nil {
		return nil, err
	}
	tz := c.Schedule.Timezone
	if tz == "" {
		tz = "UTC"
	}
	inputs, varsJSON, err := flowInputs(vars, opt.VarTypes, dateVar, tz)
	if err != nil {
		return nil, err
	}
	if opt.TargetPath == "" {
		opt.TargetPath = "target"
	}
	tasks, err := plan(g, opt)
	if err != nil {
		return nil, err
	}
	description := fmt.Sprintf("Builds the kiln project %q. Generated by `kiln export kestra`: regenerate it rather than editing it.", c.Name)
	if opt.onServer() {
		description += fmt.Sprintf(" The project builds in a %s database: the tables, the run history, the flow's transaction and the lock live in the server, so each task may run on any worker that has kiln, the project at %s, the input files (the vars' paths) and the connection's settings (its password from the environment, or from Kestra's secret store: kiln export kestra --env-secrets); one kiln build runs at a time in the database. The exports are built by the commit task, which then publishes them with the tables, on the worker that runs it.", databaseNames[opt.Database], opt.ProjectDir)
	}
	if env := secretEnv(opt); len(env) > 0 {
		description += fmt.Sprintf(" Every task reads %s from Kestra's secret store (secret('NAME'): in Kestra's open-source edition, the server's environment variable SECRET_NAME, its value base64-encoded).", strings.Join(env, ", "))
	}
	if opt.Image != "" {
		description += fmt.Sprintf(" Its tasks run in the image %s with the Docker task runner, which mounts %s: Kestra allows that volume only with volume-enabled: true for %s in kestra.plugins.configurations.", opt.Image, opt.ProjectDir, TypeDocker)
	}
	doc := flowDoc{
		ID:          opt.FlowID,
		Namespace:   opt.Namespace,
		Description: literal(description),
		Labels:      map[string]string{"kiln-project": literal(c.Name)},
		Concurrency: &concurrency{Limit: 1, Behavior: "QUEUE"},
		Inputs:      inputs,
		Errors: []any{
			txnTask("rollback --if-open", "Undo every table and export the flow's tasks built: the database is as it was before the flow (nothing to undo when the execution failed before its first build).", opt),
			logTask{
				ID:      "report_failure",
				Type:    TypeLog,
				Level:   "ERROR",
				Message: failureMessage(opt),
			}},
		Triggers: []trigger{{ID: "schedule", Type: TypeSchedule, Cron: c.Schedule.Cron, Timezone: c.Schedule.Timezone,
			// The input files are read from one landing folder (the
			// vars' paths), which holds the latest files only: replaying
			// every missed date (ALL) would file today's files under
			// past months. LAST builds the last missed date's, whose
			// files are the ones that landed; older months are manual
			// runs with their month and files.
			RecoverMissedSchedules: "LAST"}},
	}
	if opt.SLA == 0 {
		opt.SLA = SLA(opt.Builds, len(tasks))
	}
	if opt.SLA > 0 {
		doc.SLA = []sla{{ID: "max_duration", Type: "MAX_DURATION", Behavior: "FAIL", Duration: isoDuration(opt.SLA)}}
	}
	dag := dagTask{
		ID:          "build",
		Type:        TypeDag,
		Description: "The lineage graph: each task runs kiln build on its nodes, and their tests, once its parents succeeded, inside the flow's transaction.",
		Concurrent:  opt.Concurrent,
	}
	commit := txnTask("commit", "Publish what the tasks built, tables and exports together, once every task succeeded.", opt)
	for _, t := range tasks {
		if t.publish {
			commit = publishTask(t, opt, varsJSON, exportFiles(g, t))
			continue
		}
		dag.Tasks = append(dag.Tasks, dagEntry{Task: shellCommand(t, opt, varsJSON), DependsOn: t.dependsOn})
	}
	// An execution ended without its errors branch (killed, failed by
	// the SLA, a worker lost) leaves its transaction open, which would
	// refuse every later execution: the first task rolls it back. The
	// concurrency limit of 1 makes it an ended execution's (Kestra holds
	// an execution's slot until it reaches a terminal state).
	doc.Tasks = append(doc.Tasks, txnTask("rollback --stale", "Roll back the flow transaction an earlier execution of this flow left open when it ended without its errors branch (killed, or failed by its SLA): its half-built tables are put back. Nothing when none is open.", opt))
	if len(dag.Tasks) > 0 {
		doc.Tasks = append(doc.Tasks, dag)
	}
	doc.Tasks = append(doc.Tasks, commit, docsTask(opt, varsJSON))
	var b bytes.Buffer
	b.WriteString("# Kestra flow generated by `kiln export kestra`; do not edit, regenerate.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// projectFile is the project file's name, for messages.
func (o Options) projectFile() string {
	if o.ProjectFile != "" {
		return o.ProjectFile
	}
	return project.FileName
}

// ValidateSchedule checks a project's schedule: a five-field cron
// expression (minute hour day-of-month month day-of-week) or a @daily-style
// nickname, and an IANA time zone ("" means UTC). It returns an error
// saying what to write in file (the project file: project.yml or
// dbt_project.yml) when s is nil or invalid.
func ValidateSchedule(s *project.Schedule, file string) error {
	if s == nil || strings.TrimSpace(s.Cron) == "" {
		return fmt.Errorf(`%s has no schedule; add one to export a Kestra flow, such as 'schedule: {cron: "0 6 2 * *", timezone: Europe/Paris}' (6:00 on the 2nd of each month)`, file)
	}
	spec := strings.TrimSpace(s.Cron)
	if strings.HasPrefix(spec, "@every") || strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return fmt.Errorf("schedule.cron %q in %s is not a cron expression Kestra reads; write five fields (minute hour day-of-month month day-of-week) and put the time zone in schedule.timezone", s.Cron, file)
	}
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("schedule.cron %q in %s is not a valid cron expression: %v; write five fields (minute hour day-of-month month day-of-week), such as \"0 6 2 * *\"", s.Cron, file, err)
	}
	if s.Timezone != "" {
		if s.Timezone == "Local" {
			return fmt.Errorf("schedule.timezone in %s must name an IANA time zone, such as Europe/Paris, not \"Local\"", file)
		}
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			return fmt.Errorf("schedule.timezone %q in %s is not an IANA time zone: %v; write one such as Europe/Paris or UTC", s.Timezone, file, err)
		}
	}
	return nil
}

// shellCommand is the Commands task that runs kiln build on t's nodes. kiln
// prints its progress on stderr (so warningOnStdErr is off: a warning of
// kiln's is a metric, not a stderr line) and, with --log-format kestra,
// each node's metrics as Kestra ::{"metrics": [...]}:: lines on stdout.
// The task's outputs are the run's run_results.json and JUnit report,
// copied from the run that just ended (not when kiln could not start,
// exit code 2, which leaves the previous run's results).
func shellCommand(t *task, opt Options, varsJSON string) shellTask {
	args := []string{arg(opt.Kiln), "--project-dir", arg(opt.ProjectDir), "--log-format", "kestra", "build"}
	for _, s := range t.selects {
		args = append(args, "--select", arg(s))
	}
	for _, s := range t.excludes {
		args = append(args, "--exclude", arg(s))
	}
	args = append(args, "--indirect-selection", "buildable", "--transaction", txnID, "--junit-xml", "junit.xml")
	st := shellTask{
		ID:              t.id,
		Type:            TypeCommands,
		Description:     literal(t.description),
		WarningOnStdErr: new(false),
		OutputFiles:     []string{"run_results.json", "junit.xml"},
	}
	st.TaskRunner, st.Image = taskRunner(opt)
	if varsJSON != "" {
		st.Env = map[string]string{"KILN_VARS": varsJSON}
		args = append(args, "--vars", `"$KILN_VARS"`)
	}
	st.Env = withSecretEnv(st.Env, opt)
	st.Commands = []string{
		"rc=0; " + strings.Join(args, " ") + " || rc=$?",
		fmt.Sprintf(`if [ "$rc" -ne 2 ]; then cp %s run_results.json; fi`, arg(targetFile(opt, "run_results.json"))),
		`exit "$rc"`,
	}
	if opt.Retries > 0 {
		st.Retry = &retry{
			Type:           "exponential",
			Interval:       isoDuration(opt.RetryInterval),
			MaxInterval:    "PT10M",
			MaxAttempts:    opt.Retries,
			WarningOnRetry: true,
		}
	}
	return st
}

// failureMessage is the log line of a failed flow: where to read which
// node failed and why.
func failureMessage(opt Options) string {
	where := "target/run_results.json in " + literal(opt.ProjectDir)
	if opt.onServer() {
		where = "the failed task's output run_results.json"
	}
	return "kiln build of {{ flow.namespace }}.{{ flow.id }} failed (execution {{ execution.id }}) and was rolled back; " + where + " says which node and why"
}

// publishTask is the commit task of a flow on a database server: it builds
// the exports (task t) in the flow's transaction, then commits it, in one
// task, so that the export files staged by the build and renamed by the
// commit are on the worker that runs it; when the build fails, the task
// fails before the commit and the errors branch rolls back. Once
// committed, the export files (files: their paths under the target
// folder) are copied into the task's folder and kept as its outputs, so
// that the execution holds them whichever worker ran it.
func publishTask(t *task, opt Options, varsJSON string, files []string) shellTask {
	st := shellCommand(t, opt, varsJSON)
	st.ID = "commit"
	st.Description = literal("Once every task succeeded, build the exports (" + t.description + ") in the flow's transaction, then publish them with the tables (kiln transaction commit), on the worker that runs this task, where their files are written; the published files are kept as the task's outputs.")
	st.Retry = nil
	commit := strings.Join([]string{arg(opt.Kiln), "--project-dir", arg(opt.ProjectDir), "transaction", "commit", txnID}, " ")
	if len(files) > 0 {
		commit += ` || exit "$?"` // the copies below must not hide its failure
	}
	st.Commands = append(st.Commands[:2], `if [ "$rc" -ne 0 ]; then exit "$rc"; fi`, commit)
	for i, f := range files {
		// Kept in the task's folder by name (the image's shell has cp
		// and no mkdir); two exports of one name in different folders
		// keep their folders in the name. The month is published by
		// then: a copy that fails is a warning in the task's log, not a
		// failed task (whose errors branch could not undo a committed
		// transaction).
		dest := path.Base(f)
		for j, g := range files {
			if j != i && path.Base(g) == dest {
				dest = strings.ReplaceAll(strings.TrimLeft(path.Clean(f), "./"), "/", "_")
				break
			}
		}
		st.Commands = append(st.Commands, "cp "+arg(targetFile(opt, f))+" "+arg(dest)+" || echo "+arg("warning: could not keep "+f+" as an output of this task; it is published under the target folder of this worker")+" >&2")
		st.OutputFiles = append(st.OutputFiles, literal(dest))
	}
	return st
}

// exportFiles are the files of t's exports, relative to the target
// folder, sorted (an export's path is relative to it: graph.ExportInfo).
func exportFiles(g *graph.Graph, t *task) []string {
	var files []string
	for _, id := range t.members {
		if n := g.Node(id); n != nil && n.Kind == graph.Export && n.Export != nil && !slices.Contains(files, n.Export.Path) {
			files = append(files, filepath.ToSlash(n.Export.Path))
		}
	}
	sort.Strings(files)
	return files
}

// docsTask generates the documentation once the flow committed, and makes
// it the task's output (docs.html, one self-contained page). Its failure
// does not fail the flow: the data is published by then.
func docsTask(opt Options, varsJSON string) shellTask {
	// The docs of the run's vars: without them a project whose graph
	// depends on its vars (BottleNeck's deviation gates) is documented
	// as the sample's.
	docsArgs := []string{arg(opt.Kiln), "--project-dir", arg(opt.ProjectDir), "docs", "generate"}
	var env map[string]string
	if varsJSON != "" {
		env = map[string]string{"KILN_VARS": varsJSON}
		docsArgs = append(docsArgs, "--vars", `"$KILN_VARS"`)
	}
	st := shellTask{
		Env:             env,
		ID:              "docs",
		Type:            TypeCommands,
		Description:     "Generate the lineage documentation of what the flow published; its output docs.html is the whole site in one page.",
		WarningOnStdErr: new(false),
		AllowFailure:    true,
		OutputFiles:     []string{"docs.html"},
		Commands: []string{
			// Chained: when docs generate fails, the task fails rather
			// than hand over the previous docs, whatever the shell's -e.
			strings.Join(docsArgs, " ") + " && cp " + arg(targetFile(opt, "docs/index.html")) + " docs.html",
		},
	}
	st.TaskRunner, st.Image = taskRunner(opt)
	st.Env = withSecretEnv(st.Env, opt)
	return st
}

// targetFile is the path of a file of the target folder on the worker.
func targetFile(opt Options, name string) string {
	if path.IsAbs(opt.TargetPath) {
		return path.Join(opt.TargetPath, name)
	}
	return path.Join(opt.ProjectDir, opt.TargetPath, name)
}

// triggerVar returns the var that takes the trigger's date: the option,
// else the var declared with kestra: trigger_date; "" when none.
func triggerVar(opt Options) (string, error) {
	if name := opt.TriggerDateVar; name != "" {
		t := opt.VarTypes[name]
		if t != nil && t.Type != project.VarDate && t.Type != project.VarMonth && t.Type != project.VarTimestamp {
			return "", fmt.Errorf("var %s is declared as %s: the trigger's date needs a date, month or timestamp var", name, t)
		}
		if _, ok := opt.Config.Vars[name]; !ok && t == nil {
			if _, ok := opt.Vars[name]; !ok {
				return "", fmt.Errorf("--trigger-date-var %s: the project has no var %s; declare it under vars: or var-types: in %s", name, name, opt.projectFile())
			}
		}
		return name, nil
	}
	var found []string
	for name, t := range opt.VarTypes {
		if t.Kestra == project.KestraTriggerDate {
			found = append(found, name)
		}
	}
	sort.Strings(found)
	if len(found) > 1 {
		return "", fmt.Errorf("vars %s are all declared with kestra: trigger_date; keep it on one", strings.Join(found, ", "))
	}
	if len(found) == 1 {
		return found[0], nil
	}
	return "", nil
}

// txnTask runs kiln transaction <action> (commit, rollback --if-open in
// the errors branch, rollback --stale as the first task) on the flow
// execution's transaction: the flow's runs are one all-or-nothing unit.
func txnTask(action, description string, opt Options) shellTask {
	id := map[string]string{"rollback --if-open": "rollback", "rollback --stale": "rollback_stale"}[action]
	if id == "" {
		id = action
	}
	st := shellTask{
		ID:          id,
		Type:        TypeCommands,
		Description: description,
		Commands:    []string{strings.Join([]string{arg(opt.Kiln), "--project-dir", arg(opt.ProjectDir), "transaction", action, txnID}, " ")},
	}
	st.TaskRunner, st.Image = taskRunner(opt)
	st.Env = withSecretEnv(st.Env, opt)
	return st
}

// secretEnv returns the names of opt.SecretEnv that a task gets from
// Kestra's secret store, sorted, without duplicates and KILN_VARS.
func secretEnv(opt Options) []string {
	var out []string
	for _, name := range opt.SecretEnv {
		if name != "KILN_VARS" && identifier.MatchString(name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// withSecretEnv returns env with every name of opt.SecretEnv mapped to
// Kestra's secret of the same name.
func withSecretEnv(env map[string]string, opt Options) map[string]string {
	for _, name := range secretEnv(opt) {
		if env == nil {
			env = map[string]string{}
		}
		env[name] = "{{ secret('" + name + "') }}"
	}
	return env
}

// taskRunner is the Process runner, or the Docker runner with the image
// and the project's directory mounted when opt.Image is set.
func taskRunner(opt Options) (runner, string) {
	if opt.Image == "" {
		return runner{Type: TypeProcess}, ""
	}
	return runner{Type: TypeDocker, Volumes: []string{literal(opt.ProjectDir + ":" + opt.ProjectDir)}}, literal(opt.Image)
}

// arg is s as one word of a command that Kestra renders and then runs in
// a POSIX shell: quoted for the shell, then escaped for Pebble.
func arg(s string) string { return literal(shellQuote(s)) }

// shellQuote quotes s for a POSIX shell when it holds anything but safe
// characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:@%+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isoDuration writes d as an ISO 8601 duration (PT30S, PT1M30S).
func isoDuration(d time.Duration) string {
	s := "PT"
	if h := d / time.Hour; h > 0 {
		s += fmt.Sprintf("%dH", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		s += fmt.Sprintf("%dM", m)
		d -= m * time.Minute
	}
	if d > 0 || s == "PT" {
		s += strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", d.Seconds()), "0"), ".") + "S"
	}
	return s
}
