package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/kestra"
)

// exportCommand is `kiln export`, whose subcommands hand the project to
// other tools.
func (a *app) exportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Hand the project's graph to another tool (kestra)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &exitError{ExitCannotStart, "say what to export: kiln export kestra"}
		},
	}
	cmd.AddCommand(a.exportKestraCommand())
	return cmd
}

func (a *app) exportKestraCommand() *cobra.Command {
	var (
		output, workerDir string
		selects, excludes []string
		slaText           string
		envSecrets        bool
	)
	opt := kestra.Options{}
	cmd := &cobra.Command{
		Use:   "kestra",
		Short: "Write a Kestra flow that runs the project on its schedule",
		Long: `kestra writes a Kestra flow (YAML) for the project: a Schedule trigger with
the cron expression and time zone of "schedule:" in the project file
(project.yml or dbt_project.yml), one input per var (typed from its
var-types:, with their bounds and values), and a Dag task whose tasks each run "kiln build --select ..."
(tests included) once the tasks they depend on succeeded, with retries, a
commit, an errors branch that rolls back, and a docs task. The tasks run on
the Kestra worker's host (Process runner) in --worker-dir, where the DuckDB
file stays between tasks; they run one at a time, as DuckDB allows one
writer per file. With --image, they run in that container image (go run
./cmd/kiln-image builds kiln's) with Kestra's Docker task runner,
--worker-dir mounted at its own path. With a PostgreSQL target, the
database, the flow's transaction and the lock are in the server, so the
tasks may run on any worker that has the project in --worker-dir and the
input files; the commit task builds the exports, then publishes them with
the tables, so that their files are written on the worker that commits, and
keeps them as its outputs. The environment variables that the project and
its profile read with env_var() (a password) come from Kestra's secret
store with --env-secrets, the default with --image.

Size (--group-by): auto (the default) makes one task per model, source,
seed and export up to --max-node-tasks of them, else one per folder; node,
folder, tag (one per tag of --stages, or every tag), selector (one per
selector of selectors.yml, or of --stages) and one (a single task).

Each task prints every node's duration and rows as Kestra metrics, and
keeps run_results.json and junit.xml as outputs; the docs task keeps
docs.html. The var declared with kestra: trigger_date (or --trigger-date-var)
takes the Schedule's date; after an outage Kestra runs the last missed date
only (recoverMissedSchedules: LAST), as the flow reads one landing folder
that holds the latest files: a past month is a manual execution with its
own month and files (README, Production), not a Kestra backfill.
The SLA (MAX_DURATION) is three times the longest successful full build of
the run history plus a minute per task, unless --sla says otherwise.

The flow goes to stdout, or to --output FILE (written atomically).`,
		Example: `  kiln export kestra > bottleneck.yml
  kiln export kestra --group-by tag --stages stage_b,stage_c,stage_d --retries 3 --worker-dir /srv/kiln/bottleneck -o flows/bottleneck.yml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.envRead = map[string]bool{}
			e, err := a.load()
			if err != nil {
				return err
			}
			var sel []graph.ID
			if len(selects)+len(excludes) > 0 {
				if sel, err = e.Select(engine.Selection{Select: selects, Exclude: excludes}); err != nil {
					return a.startError(err)
				}
				if sel == nil {
					sel = []graph.ID{} // nil would mean every node
				}
			}
			opt.Config = &e.Project.Config
			opt.ProjectFile = e.Project.File
			opt.Vars = e.Manifest.Vars
			opt.VarTypes = e.Project.VarTypes
			opt.TargetPath = e.Project.Config.TargetPath
			opt.Select = sel
			if e.OnServer() {
				opt.Database = e.Profile.Type
			}
			opt.ProjectDir = workerDir
			if opt.ProjectDir == "" {
				opt.ProjectDir = e.Dir
				a.ui.Printf("note: the tasks run in %s, this machine's copy of the project; --worker-dir sets the Kestra worker's", e.Dir)
			}
			if a.varsText == "" && len(e.Project.Config.Vars) > 0 {
				a.ui.Printf("note: the flow's inputs default to the vars of %s (%s); --vars sets the production values", e.Project.File, varsList(e.Project.Config.Vars))
			}
			if opt.Image != "" {
				notMounted(a, opt.Vars, opt.ProjectDir)
			}
			if opt.GroupBy == kestra.GroupBySelector {
				if opt.Selectors, err = e.Selectors(); err != nil {
					return err
				}
			}
			if !cmd.Flags().Changed("env-secrets") {
				envSecrets = opt.Image != ""
			}
			read := make([]string, 0, len(a.envRead))
			for name := range a.envRead {
				read = append(read, name)
			}
			sort.Strings(read)
			if envSecrets {
				opt.SecretEnv = read
				if len(opt.SecretEnv) > 0 {
					a.ui.Printf("note: every task reads %s from Kestra's secret store (secret('NAME'); Kestra's open-source edition: the server's environment variable SECRET_NAME, base64-encoded)", strings.Join(opt.SecretEnv, ", "))
				}
			} else if opt.Image != "" && len(a.envRead) > 0 {
				a.ui.Printf("warning: the project reads %s with env_var(), and a container of the Docker task runner does not get the worker's environment: leave out --env-secrets=false to pass them from Kestra's secret store", strings.Join(read, ", "))
			}
			if err := a.flowSLA(e, slaText, &opt); err != nil {
				return err
			}
			data, err := kestra.Flow(e.Graph(), opt)
			if err != nil {
				return &exitError{ExitCannotStart, err.Error()}
			}
			if output == "" || output == "-" {
				_, err := a.stdout.Write(data)
				return err
			}
			if dir := filepath.Dir(output); dir != "." {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return &exitError{ExitFailure, err.Error()}
				}
			}
			if err := artifact.WriteFileAtomic(output, data, 0o644); err != nil {
				return &exitError{ExitFailure, err.Error()}
			}
			a.ui.Printf("wrote the Kestra flow to %s", output)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "", "write the flow to FILE instead of stdout")
	f.StringVar(&opt.GroupBy, "group-by", "auto", "the flow's tasks: auto, node, folder, tag, selector or one")
	f.StringSliceVar(&opt.Stages, "stages", nil, "with --group-by tag or selector: the tags or selector names of the stages, in order")
	f.IntVar(&opt.MaxNodeTasks, "max-node-tasks", kestra.DefaultMaxNodeTasks, "with --group-by auto: the most models, sources, seeds and exports that get one task each")
	f.StringVar(&opt.TriggerDateVar, "trigger-date-var", "", "the var that takes the Schedule trigger's date (default: the var declared with kestra: trigger_date)")
	f.StringVar(&slaText, "sla", "", "the flow's maximum duration, such as 2h (default: from the run history; 0 for none)")
	f.StringVar(&opt.Namespace, "namespace", "", "the flow's namespace (default: kiln.<project name>)")
	f.StringVar(&opt.FlowID, "flow-id", "", "the flow's id (default: the project name)")
	f.IntVar(&opt.Retries, "retries", 2, "retries of a failed task, with exponential backoff from 30s")
	f.StringVar(&workerDir, "worker-dir", "", "the project's directory on the Kestra worker (default: this project's directory)")
	f.StringVar(&opt.Kiln, "kiln", "kiln", "the kiln command on the Kestra worker")
	f.BoolVar(&envSecrets, "env-secrets", false, "give every task the environment variables the project and its profile read with env_var() from Kestra's secret store ({{ secret('NAME') }}); the default with --image, whose containers do not get the worker's environment")
	f.StringVar(&opt.Image, "image", "", "run the tasks in this container image with Kestra's Docker task runner, --worker-dir mounted (default: on the worker's host)")
	f.StringArrayVarP(&selects, "select", "s", nil, "nodes to orchestrate, in dbt's selection syntax (default: all)")
	f.StringArrayVar(&excludes, "exclude", nil, "nodes to leave out, in dbt's selection syntax")
	return cmd
}

// notMounted notes each var whose value is an absolute path outside dir,
// the only folder of the worker that the tasks' containers see.
func notMounted(a *app, vars map[string]any, dir string) {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		s, ok := vars[k].(string)
		if !ok || !filepath.IsAbs(s) {
			continue
		}
		if rel, err := filepath.Rel(dir, s); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			a.ui.Printf("note: var %s is %s, outside %s, the only folder of the worker mounted in the tasks' containers (--image): move it under %s", k, s, dir, dir)
		}
	}
}

// flowSLA sets the flow's maximum duration: --sla when given ("0" for
// none), else the successful full builds of the run history, from which
// kestra.Flow computes it; none, with a note, when there are none.
func (a *app) flowSLA(e *engine.Project, text string, opt *kestra.Options) error {
	if text != "" {
		d, err := time.ParseDuration(text)
		if err != nil || d < 0 {
			return &exitError{ExitCannotStart, fmt.Sprintf("--sla %q is not a duration: write one such as 90m or 2h, or 0 for none", text)}
		}
		opt.SLA = d
		if d == 0 {
			opt.SLA = -1
		}
		return nil
	}
	if e.DatabaseExists() {
		db, err := e.OpenDatabase(a.ctx)
		if err != nil {
			return a.startError(err)
		}
		runs, err := db.Runs(a.ctx, 200)
		db.Close()
		if err != nil {
			return &exitError{ExitFailure, err.Error()}
		}
		for _, r := range runs {
			if r.Command == "build" && r.Status == "success" && !strings.HasPrefix(r.Selection, "--select ") &&
				!strings.HasPrefix(r.Selection, "--exclude ") && !strings.HasPrefix(r.Selection, "--selector ") {
				opt.Builds = append(opt.Builds, r.Finished.Sub(r.Started))
			}
		}
	}
	if len(opt.Builds) == 0 {
		opt.SLA = -1
		a.ui.Printf("note: no SLA: the run history holds no successful full build (kiln build without --select); --sla sets one")
	}
	return nil
}

// varsList is "a: 1, b: x", sorted by name.
func varsList(vars map[string]any) string {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s: %v", k, vars[k])
	}
	return strings.Join(parts, ", ")
}
