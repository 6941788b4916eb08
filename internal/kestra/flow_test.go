package kestra

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/graph"
	"github.com/kiln-build/kiln/compiler/project"
	"github.com/kiln-build/kiln/compiler/selector"
	"github.com/kiln-build/kiln/internal/run"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// txnWord is the flow transaction in the tasks' commands: the flow's
// namespace and id, a /, the execution's id.
const txnWord = `"{{ flow.namespace }}.{{ flow.id }}/{{ execution.id }}"`

// bottleneck compiles the repository's project, BottleNeck.
func bottleneck(t *testing.T) *compiler.Manifest {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	p, l := project.Load(os.DirFS(dir))
	if l.HasErrors() {
		t.Fatal(l.Errors())
	}
	m, cl := compiler.Compile(p, compiler.Options{ProjectDir: dir})
	if cl != nil {
		t.Fatal(cl)
	}
	return m
}

// bottleneckSelectors reads BottleNeck's selectors.yml.
func bottleneckSelectors(t *testing.T) map[string]*selector.Definition {
	t.Helper()
	src, err := os.ReadFile("../../selectors.yml")
	if err != nil {
		t.Fatal(err)
	}
	defs, l := selector.ParseSelectors("selectors.yml", src)
	if l.HasErrors() {
		t.Fatal(l)
	}
	return defs
}

func bottleneckOptions(m *compiler.Manifest) Options {
	return Options{Config: &m.Project.Config, Vars: m.Vars, VarTypes: m.Project.VarTypes, ProjectDir: "/srv/kiln/bottleneck", Retries: 2,
		Builds: []time.Duration{3 * time.Second, 4500 * time.Millisecond}}
}

// TestGolden compares the BottleNeck flow with testdata/*.yml (-update
// rewrites them).
func TestGolden(t *testing.T) {
	m := bottleneck(t)
	for _, c := range []struct{ file, groupBy, db string }{{"bottleneck.yml", GroupByAuto, ""}, {"bottleneck_by_node.yml", GroupByNode, ""},
		{"bottleneck_by_tag.yml", GroupByTag, ""}, {"bottleneck_one.yml", GroupByOne, ""}, {"bottleneck_postgres.yml", GroupByAuto, "postgres"}} {
		t.Run(c.file, func(t *testing.T) {
			opt := bottleneckOptions(m)
			opt.GroupBy, opt.Database = c.groupBy, c.db
			got, err := Flow(m.Graph, opt)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join("testdata", c.file)
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("flow differs from %s (run with -update to accept):\n%s", file, got)
			}
		})
	}
}

// parsedFlow is the part of a flow the checks read.
type parsedFlow struct {
	ID        string `yaml:"id"`
	Namespace string `yaml:"namespace"`
	Inputs    []struct {
		ID       string `yaml:"id"`
		Type     string `yaml:"type"`
		Defaults any    `yaml:"defaults"`
	} `yaml:"inputs"`
	Tasks []struct {
		ID       string            `yaml:"id"`
		Type     string            `yaml:"type"`
		Env      map[string]string `yaml:"env"`
		Commands []string          `yaml:"commands"`
		Tasks    []struct {
			Task struct {
				ID       string            `yaml:"id"`
				Type     string            `yaml:"type"`
				Env      map[string]string `yaml:"env"`
				Commands []string          `yaml:"commands"`
				Retry    *struct {
					Type        string `yaml:"type"`
					MaxAttempts int    `yaml:"maxAttempts"`
				} `yaml:"retry"`
			} `yaml:"task"`
			DependsOn []string `yaml:"dependsOn"`
		} `yaml:"tasks"`
	} `yaml:"tasks"`
	Errors []struct {
		ID       string   `yaml:"id"`
		Type     string   `yaml:"type"`
		Commands []string `yaml:"commands"`
	} `yaml:"errors"`
	Concurrency *struct {
		Limit int `yaml:"limit"`
	} `yaml:"concurrency"`
	Triggers []struct {
		Type     string `yaml:"type"`
		Cron     string `yaml:"cron"`
		Timezone string `yaml:"timezone"`
	} `yaml:"triggers"`
}

func parse(t *testing.T, data []byte) parsedFlow {
	t.Helper()
	var f parsedFlow
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(false)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("the flow is not YAML: %v\n%s", err, data)
	}
	return f
}

// TestFlowMatchesGraph checks the BottleNeck flow, one task per node and
// one per folder, against the graph: every runnable node and every test in
// exactly one task (as kiln's selector reads the task's command), dependsOn
// equal to the scheduler's dependencies mapped onto the tasks, the
// schedule, the inputs, the retries and the errors branch.
func TestFlowMatchesGraph(t *testing.T) {
	m := bottleneck(t)
	for _, groupBy := range []string{GroupByAuto, GroupByNode, GroupByFolder, GroupByTag, GroupBySelector, GroupByOne} {
		for _, db := range []string{"", "postgres"} {
			t.Run("group="+groupBy+"/db="+db, func(t *testing.T) {
				opt := bottleneckOptions(m)
				opt.Database = db
				opt.GroupBy = groupBy
				opt.Selectors = bottleneckSelectors(t)
				data, err := Flow(m.Graph, opt)
				if err != nil {
					t.Fatal(err)
				}
				checkFlow(t, m.Graph, nil, opt, parse(t, data))
				if err := validate(t, data); err != nil {
					t.Errorf("the flow does not match Kestra's schema: %v", err)
				}
			})
		}
	}
}

func checkFlow(t *testing.T, g *graph.Graph, sel []graph.ID, opt Options, f parsedFlow) {
	t.Helper()
	c := opt.Config
	if f.ID == "" || !validID.MatchString(f.ID) || !validNamespace.MatchString(f.Namespace) {
		t.Errorf("id %q, namespace %q", f.ID, f.Namespace)
	}
	// Schedule.
	if len(f.Triggers) != 1 || f.Triggers[0].Type != TypeSchedule || f.Triggers[0].Cron != c.Schedule.Cron || f.Triggers[0].Timezone != c.Schedule.Timezone {
		t.Errorf("triggers = %+v, want one Schedule with %+v", f.Triggers, c.Schedule)
	} else if _, err := cron.ParseStandard(f.Triggers[0].Cron); err != nil {
		t.Errorf("cron: %v", err)
	}
	// Inputs: one per var, with its value as default.
	vars := opt.Vars
	if vars == nil {
		vars = c.Vars
	}
	got := map[string]any{}
	for _, in := range f.Inputs {
		got[in.ID] = in.Defaults
		if s, ok := in.Defaults.(string); ok && in.Type == "JSON" {
			var v any
			if err := json.Unmarshal([]byte(s), &v); err != nil {
				t.Errorf("input %s: %v", in.ID, err)
			}
			got[in.ID] = v
		}
	}
	if len(got) != len(vars) {
		t.Errorf("inputs %v, want the vars %v", got, vars)
	}
	dateVar, err := triggerVar(opt)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range vars {
		if k == dateVar && opt.VarTypes[k] != nil && opt.VarTypes[k].Type == project.VarMonth {
			// A month trigger var has no default: a manual run without
			// it builds the month before its start (trial A, 6).
			if got[k] != nil {
				t.Errorf("input %s (the trigger's month) defaults to %#v, want none", k, got[k])
			}
			continue
		}
		if !reflect.DeepEqual(got[k], v) && fmt.Sprint(got[k]) != fmt.Sprint(v) {
			t.Errorf("input %s defaults to %#v, want %#v", k, got[k], v)
		}
	}
	if len(f.Errors) == 0 {
		t.Error("no errors branch")
	}
	// The docs task documents the run's graph: the build tasks' vars
	// (trial A, 8).
	if len(vars) > 0 && len(f.Tasks) == 4 && len(f.Tasks[1].Tasks) > 0 {
		docs, build := f.Tasks[3], f.Tasks[1].Tasks[0].Task
		if docs.Env["KILN_VARS"] == "" || docs.Env["KILN_VARS"] != build.Env["KILN_VARS"] ||
			len(docs.Commands) == 0 || !strings.Contains(docs.Commands[0], `docs generate --vars "$KILN_VARS" && cp `) {
			t.Errorf("docs task: env %v, commands %q; want the build tasks' KILN_VARS %q passed to --vars", docs.Env, docs.Commands, build.Env["KILN_VARS"])
		}
		if dateVar == "month" {
			want := `"month": {{ (inputs.month ?? ((trigger.date ?? execution.startDate) | dateAdd(-1, "MONTHS", format="yyyy-MM", timeZone="` + c.Schedule.Timezone + `"))) | toJson }}`
			if !strings.Contains(build.Env["KILN_VARS"], want) {
				t.Errorf("KILN_VARS %s lacks %s", build.Env["KILN_VARS"], want)
			}
		}
	}
	// On a server the commit task builds the exports, then commits.
	commits := 1
	if opt.onServer() {
		commits = 4 // the exports' build, run_results.json, its check, the commit; then one copy per export file
	}
	// The first task rolls back the transaction an earlier execution of
	// the flow left open when it ended without its errors branch (killed,
	// failed by its SLA); the concurrency limit of 1 makes it an ended
	// execution's (trial A, B2).
	if len(f.Tasks) != 4 || f.Tasks[0].ID != "rollback_stale" || len(f.Tasks[0].Commands) != 1 ||
		!strings.HasSuffix(f.Tasks[0].Commands[0], ` transaction rollback --stale `+txnWord) ||
		f.Tasks[1].Type != TypeDag || f.Tasks[2].ID != "commit" || f.Tasks[3].ID != "docs" ||
		len(f.Tasks[2].Commands) < commits || !strings.Contains(f.Tasks[2].Commands[commits-1], `transaction commit `+txnWord) {
		t.Fatalf("tasks: want the stale rollback, the Dag, then the commit, got %+v", f.Tasks)
	}
	if f.Concurrency == nil || f.Concurrency.Limit != 1 {
		t.Fatalf("concurrency %+v: the stale rollback needs one execution at a time", f.Concurrency)
	}
	dag := f.Tasks[1].Tasks
	if opt.onServer() {
		c := f.Tasks[2]
		if !strings.HasPrefix(c.Commands[0], "rc=0; ") || !strings.Contains(c.Commands[0], ` build `) ||
			!strings.Contains(c.Commands[0], `--transaction `+txnWord) || c.Commands[2] != `if [ "$rc" -ne 0 ]; then exit "$rc"; fi` {
			t.Fatalf("the commit task does not build in the flow's transaction, then stop when the build failed: %q", c.Commands)
		}
		// The commit's build, checked with the Dag's tasks; it runs after
		// all of them.
		dag = append(dag, dag[0])
		last := &dag[len(dag)-1]
		last.Task.ID, last.Task.Commands, last.DependsOn = "commit", c.Commands[:2], nil
	}
	// The errors branch's rollback does not fail when the execution
	// opened no transaction (it failed before its first build).
	if len(f.Errors) < 2 || f.Errors[0].ID != "rollback" || len(f.Errors[0].Commands) != 1 ||
		!strings.HasSuffix(f.Errors[0].Commands[0], ` transaction rollback --if-open `+txnWord) {
		t.Fatalf("errors: want the rollback --if-open first, got %+v", f.Errors)
	}
	for _, e := range f.Tasks[1].Tasks {
		if !strings.Contains(e.Task.Commands[0], `--transaction `+txnWord) {
			t.Errorf("task %s runs outside the flow's transaction: %s", e.Task.ID, e.Task.Commands[0])
		}
	}
	// Each task's nodes, as kiln build --select reads its command.
	taskOf := map[graph.ID]string{}
	flowEdges := map[[2]string]bool{}
	ids := map[string]bool{}
	for _, e := range dag {
		task := e.Task
		if !validID.MatchString(task.ID) || ids[task.ID] {
			t.Errorf("task id %q invalid or repeated", task.ID)
		}
		ids[task.ID] = true
		publish := task.ID == "commit"
		if !publish && (task.Type != TypeCommands || len(task.Commands) != 3 || !strings.HasPrefix(task.Commands[0], "rc=0; ") || task.Commands[2] != `exit "$rc"`) {
			t.Fatalf("task %s: %+v", task.ID, task)
		}
		if !publish && ((task.Retry == nil) != (opt.Retries == 0) || task.Retry != nil && task.Retry.MaxAttempts != opt.Retries) {
			t.Errorf("task %s: retry %+v, want %d retries", task.ID, task.Retry, opt.Retries)
		}
		for k := range vars {
			if !strings.Contains(task.Env["KILN_VARS"], "inputs."+k+" ") && !strings.Contains(task.Env["KILN_VARS"], `inputs["`+k+`"]`) {
				t.Errorf("task %s does not pass var %s: %q", task.ID, k, task.Env["KILN_VARS"])
			}
		}
		selects, excludes, indirect := buildArgs(t, task.Commands[0])
		nodes, err := selector.Select(g, selects, excludes, selector.Options{Indirect: indirect})
		if err != nil {
			t.Fatalf("task %s: %v", task.ID, err)
		}
		for _, id := range nodes {
			if !g.Node(id).IsExecutable() {
				continue
			}
			if k := g.Node(id).Kind; opt.onServer() && (k == graph.Export) != publish && !isTest(g.Node(id)) {
				t.Errorf("on a server, %s %s runs in task %s: the exports run in the commit task, the rest in the Dag", k, id, task.ID)
			}
			if other, dup := taskOf[id]; dup {
				t.Errorf("%s runs in tasks %s and %s", id, other, task.ID)
			}
			taskOf[id] = task.ID
		}
		for _, d := range e.DependsOn {
			if d == task.ID {
				t.Errorf("task %s depends on itself", d)
			}
			flowEdges[[2]string{d, task.ID}] = true
		}
	}
	// Every selected runnable node and every test of the plan in exactly
	// one task, and nothing else.
	if sel == nil {
		sel = g.Order()
	}
	p := run.NewPlan(g, withTests(g, sel))
	for _, id := range p.IDs() {
		if _, ok := taskOf[id]; !ok {
			t.Errorf("%s is in no task", id)
		}
	}
	if len(taskOf) != len(p.IDs()) {
		t.Errorf("tasks run %d nodes, the plan has %d", len(taskOf), len(p.IDs()))
	}
	// dependsOn = the scheduler's waits, mapped onto tasks.
	want := map[[2]string]bool{}
	for _, id := range p.IDs() {
		for _, w := range p.Waits(id) {
			if a, b := taskOf[w], taskOf[id]; a != b && b != "commit" {
				want[[2]string{a, b}] = true
			}
		}
	}
	if !reflect.DeepEqual(flowEdges, want) {
		t.Errorf("dependsOn edges differ from the graph's:\n got %v\nwant %v", sortedEdges(flowEdges), sortedEdges(want))
	}
}

// withTests adds to the runnable nodes of sel the tests whose parents are
// all among them, as the flow runs them.
func withTests(g *graph.Graph, sel []graph.ID) []graph.ID {
	in := map[graph.ID]bool{}
	for _, id := range sel {
		if n := g.Node(id); runnable[n.Kind] {
			in[id] = true
		}
	}
	out := append([]graph.ID(nil), sel...)
	for _, n := range g.Nodes() {
		if !isTest(n) {
			continue
		}
		all := true
		for _, par := range n.DependsOn {
			if !in[par] && g.Node(par).IsExecutable() {
				all = false
			}
		}
		if all {
			out = append(out, n.ID)
		}
	}
	return out
}

// buildArgs reads the selection of a task's kiln build command.
func buildArgs(t *testing.T, cmd string) (selects, excludes []string, indirect string) {
	t.Helper()
	words := shellWords(cmd)
	for i := 0; i+1 < len(words); i++ {
		switch words[i] {
		case "--select":
			selects = append(selects, words[i+1])
		case "--exclude":
			excludes = append(excludes, words[i+1])
		case "--indirect-selection":
			indirect = words[i+1]
		}
	}
	if !strings.Contains(cmd, " build ") || len(selects) == 0 || indirect != "buildable" {
		t.Fatalf("not a kiln build of a selection with buildable tests: %s", cmd)
	}
	return selects, excludes, indirect
}

// shellWords splits a command line with single and double quotes.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

func sortedEdges(m map[[2]string]bool) []string {
	var out []string
	for e := range m {
		out = append(out, e[0]+"->"+e[1])
	}
	sort.Strings(out)
	return out
}
