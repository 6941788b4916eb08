package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kiln-build/kiln/internal/sample"
)

// flowTasks reads the exported Kestra flow: the Dag's commands in order,
// the commit command and the errors branch's rollback command.
func flowTasks(t *testing.T, flow []byte) (dag []string, commit, rollback string) {
	_, dag, commit, rollback = flowTasksAll(t, flow)
	return dag, commit, rollback
}

// flowTasksAll is flowTasks with the flow's first task's command, which
// rolls back a transaction an earlier execution left open.
func flowTasksAll(t *testing.T, flow []byte) (stale string, dag []string, commit, rollback string) {
	t.Helper()
	var f struct {
		Tasks []struct {
			ID       string   `yaml:"id"`
			Commands []string `yaml:"commands"`
			Tasks    []struct {
				Task struct {
					Commands []string `yaml:"commands"`
				} `yaml:"task"`
			} `yaml:"tasks"`
		} `yaml:"tasks"`
		Errors []struct {
			ID       string   `yaml:"id"`
			Commands []string `yaml:"commands"`
		} `yaml:"errors"`
	}
	if err := yaml.Unmarshal(flow, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Tasks) != 4 || f.Tasks[0].ID != "rollback_stale" || f.Tasks[2].ID != "commit" {
		t.Fatalf("tasks: want the stale rollback, the Dag, the commit and the docs:\n%s", flow)
	}
	for _, e := range f.Tasks[1].Tasks {
		// "rc=0; kiln ... build ... || rc=$?", then the copy of the run
		// results and the exit with kiln's code.
		cmd := e.Task.Commands[0]
		if !strings.HasPrefix(cmd, "rc=0; ") || !strings.HasSuffix(cmd, " || rc=$?") || e.Task.Commands[2] != `exit "$rc"` {
			t.Fatalf("task commands: %q", e.Task.Commands)
		}
		dag = append(dag, strings.TrimSuffix(strings.TrimPrefix(cmd, "rc=0; "), " || rc=$?"))
	}
	return f.Tasks[0].Commands[0], dag, f.Tasks[2].Commands[0], f.Errors[0].Commands[0]
}

// flowTxn is the flow transaction of execution execID as runTask renders
// the tasks' commands: the flow's namespace and id are "ns" and "flow".
func flowTxn(execID string) string { return "ns.flow/" + execID }

// runTask runs one task command of the flow in-process, as the Kestra
// worker's shell would after rendering the execution id and the vars.
func runTask(t *testing.T, command, execID, vars string) int {
	t.Helper()
	command = strings.ReplaceAll(command, "{{ flow.namespace }}", "ns")
	command = strings.ReplaceAll(command, "{{ flow.id }}", "flow")
	command = strings.ReplaceAll(command, "{{ execution.id }}", execID)
	command = strings.ReplaceAll(command, `"$KILN_VARS"`, "'"+vars+"'")
	// The task's working directory holds the JUnit report.
	command = strings.ReplaceAll(command, "--junit-xml junit.xml", "--junit-xml "+filepath.Join(t.TempDir(), "junit.xml"))
	args := shellWords(command)[1:] // drop "kiln"
	code, stdout, stderr := kiln(t, "", args...)
	if code != 0 {
		t.Logf("%s -> %d\n%s", command, code, lastLines(stderr, 6))
	}
	// --log-format kestra: a metrics line per node and an outputs line.
	if strings.Contains(command, " build ") {
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[0], `::{"metrics":[{"name":"duration","type":"timer",`) ||
			!strings.HasPrefix(lines[len(lines)-1], `::{"outputs":{`) || !strings.Contains(lines[len(lines)-1], fmt.Sprintf(`"nodes":%d,`, len(lines)-1)) {
			t.Errorf("%s: want a Kestra metrics line per node and an outputs line on stdout:\n%s", command, stdout)
		}
	}
	return code
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// shellWords splits a command line with '...' and "..." quoting.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == ' ':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// The exported flow runs as one transaction: a bad month that fails in a
// late task is rolled back by the errors branch, all of it (the tables of
// the earlier tasks too); a good month is published by the commit task.
func TestKestraFlowIsAllOrNothing(t *testing.T) {
	dir, _ := newProject(t)
	good := filepath.Join(dir, "data", "sample", sample.DefaultMonth)
	mustKiln(t, 0, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q}", good))
	before := query(t, dir, "select count(*) from staging.stg_web")
	csv := filepath.Join(dir, "target", "exports", "revenue_by_product.csv")
	exportBefore := readFile(t, csv)

	code, stdout, stderr := kiln(t, dir, "export", "kestra", "--worker-dir", dir)
	if code != 0 || !strings.Contains(stderr, "note: the flow's inputs default to the vars of project.yml (") {
		t.Fatalf("export kestra: exit %d, no note of the vars' defaults:\n%s", code, stderr)
	}
	flow := []byte(stdout)
	dag, commit, rollback := flowTasks(t, flow)
	if len(dag) != 7 { // one task per folder: seeds, staging (with the sources), snapshots, intermediate, marts, history, exports
		t.Fatalf("%d tasks, want 7", len(dag))
	}

	bad := filepath.Join(dir, "data", "bad")
	dropWebProducts(t, good, bad, 5, 0)
	// Other files for the month built: correction: true lets them past
	// the history guard (history_guard), to the gates that fail them.
	vars := fmt.Sprintf(`{"raw_dir": %q, "month": %q, "correction": true}`, bad, sample.DefaultMonth)
	failedAt := -1
	for i, c := range dag {
		if runTask(t, c, "exec-bad", vars) != 0 {
			failedAt = i
			break
		}
	}
	if failedAt < 0 {
		t.Fatal("the bad month passed every task")
	}
	// Before the errors branch, a standalone run is refused: the flow is open.
	if code, _, stderr := kiln(t, dir, "build"); code != 2 || !strings.Contains(stderr, "flow transaction \"ns.flow/exec-bad\" is open") {
		t.Errorf("a standalone run during an open flow: exit %d\n%s", code, stderr)
	}
	if runTask(t, rollback, "exec-bad", vars) != 0 {
		t.Fatal("the rollback task failed")
	}
	if got := query(t, dir, "select count(*) from staging.stg_web"); got != before {
		t.Errorf("stg_web has %s rows after the flow's rollback, want the good month's %s", got, before)
	}
	if !bytes.Equal(exportBefore, readFile(t, csv)) {
		t.Error("the export changed")
	}
	if got := query(t, dir, "select count(*) from duckdb_tables() where table_name like '%__kiln_prev%'"); got != "0" {
		t.Errorf("%s backups left", got)
	}

	// A good month goes through, and only the commit publishes it.
	next := filepath.Join(dir, "data", "next")
	copyTree(t, good, next)
	vars = fmt.Sprintf(`{"raw_dir": %q, "premium_z_score": 1}`, next)
	for _, c := range dag {
		if runTask(t, c, "exec-good", vars) != 0 {
			t.Fatal("a task of the good month failed")
		}
	}
	if !bytes.Equal(exportBefore, readFile(t, csv)) {
		t.Error("the export was published before the commit")
	}
	if runTask(t, commit, "exec-good", vars) != 0 {
		t.Fatal("the commit task failed")
	}
	premium := query(t, dir, "select count(*) from marts.premium_wines")
	if got := csvRows(t, filepath.Join(dir, "target", "exports", "premium_wines.csv")); fmt.Sprint(got) != premium {
		t.Errorf("published premium_wines.csv has %d rows, the table %s", got, premium)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "target", "exports"))
	if len(entries) != 4 {
		t.Errorf("staged files left: %v", entries)
	}
	// The next standalone build runs again: the flow is closed.
	mustKiln(t, 0, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q, premium_z_score: 1}", next))
}

// TestKestraFlowRecoversAKilledExecution runs the exported flow's task
// commands in order, as Kestra's Dag does, and kills an execution after
// its marts task: no errors branch runs (Kestra runs none for a killed
// execution, nor for one its SLA fails mid-task), so its transaction
// stays open, and readers see the half-built month. The next execution's
// first task rolls it back (the tables are the last committed month's
// again, the exports unchanged), then that execution builds and commits
// its month. The errors branch of an execution that opened no
// transaction succeeds, and a transaction of another flow (or one opened
// by hand) is never taken for a stale one (trial A, B2).
func TestKestraFlowRecoversAKilledExecution(t *testing.T) {
	dir, _ := newProject(t)
	good := filepath.Join(dir, "data", "sample", sample.DefaultMonth)
	mustKiln(t, 0, dir, "build", "--vars", fmt.Sprintf("{raw_dir: %q}", good))
	premiumQ := "select count(*) from marts.premium_wines"
	before := query(t, dir, premiumQ)
	csv := filepath.Join(dir, "target", "exports", "premium_wines.csv")
	exportBefore := readFile(t, csv)

	code, stdout, stderr := kiln(t, dir, "export", "kestra", "--worker-dir", dir)
	if code != 0 {
		t.Fatalf("export kestra: exit %d\n%s", code, stderr)
	}
	stale, dag, commit, rollback := flowTasksAll(t, []byte(stdout))
	// The month of the killed execution: another premium threshold, so
	// that its marts differ from the committed month's.
	next := filepath.Join(dir, "data", "next")
	copyTree(t, good, next)
	vars := fmt.Sprintf(`{"raw_dir": %q, "month": %q, "premium_z_score": 1}`, next, sample.DefaultMonth)

	if runTask(t, stale, "exec-killed", vars) != 0 {
		t.Fatal("the first task failed with no transaction open")
	}
	killedAt := -1
	for i, c := range dag {
		if runTask(t, c, "exec-killed", vars) != 0 {
			t.Fatalf("task %d of the killed execution failed", i)
		}
		if strings.Contains(c, "--select path:models/marts") {
			killedAt = i
			break // killed: no errors branch, no commit
		}
	}
	if killedAt < 0 || killedAt == len(dag)-1 {
		t.Fatalf("no marts task before the last one in %q", dag)
	}
	half := query(t, dir, premiumQ)
	if half == before {
		t.Fatalf("the killed execution's marts hold %s premium wines, as the committed month: the test checks nothing", half)
	}
	if got := strings.TrimSpace(mustKiln(t, 0, dir, "transaction", "status", flowTxn("exec-killed"))); got != "open" {
		t.Fatalf("the killed execution's transaction is %q, want open", got)
	}

	// The next execution's first task rolls the killed one back.
	args := shellWords(strings.NewReplacer("{{ flow.namespace }}", "ns", "{{ flow.id }}", "flow", "{{ execution.id }}", "exec-next").Replace(stale))[1:]
	out := mustKiln(t, 0, "", args...)
	if want := "flow transaction ns.flow/exec-killed, left open by an earlier execution of ns.flow that ended without its errors branch (killed, or failed by its SLA), rolled back: "; !strings.Contains(out, want) {
		t.Errorf("the first task does not say %q:\n%s", want, out)
	}
	if got := strings.TrimSpace(mustKiln(t, 0, dir, "transaction", "status", flowTxn("exec-killed"))); got != "rolled_back" {
		t.Errorf("the killed execution's transaction is %q, want rolled_back", got)
	}
	if got := query(t, dir, premiumQ); got != before {
		t.Errorf("premium_wines holds %s rows after the stale rollback, want the committed month's %s", got, before)
	}
	if !bytes.Equal(exportBefore, readFile(t, csv)) {
		t.Error("the export changed")
	}
	// Run again (the task retried): nothing to roll back.
	if out := mustKiln(t, 0, "", args...); !strings.Contains(out, "no flow transaction of an earlier execution is open: nothing to roll back") {
		t.Errorf("the first task run again:\n%s", out)
	}
	for _, c := range dag {
		if runTask(t, c, "exec-next", vars) != 0 {
			t.Fatal("a task of the next execution failed")
		}
	}
	if runTask(t, commit, "exec-next", vars) != 0 {
		t.Fatal("the commit task failed")
	}
	if got := query(t, dir, premiumQ); got != half {
		t.Errorf("premium_wines holds %s rows after the next execution, want its month's %s", got, half)
	}
	if got := csvRows(t, csv); fmt.Sprint(got) != half {
		t.Errorf("premium_wines.csv has %d rows, want %s", got, half)
	}

	// The errors branch of an execution that failed before its first
	// build (no transaction): exit 0, saying so.
	if runTask(t, rollback, "exec-early", vars) != 0 {
		t.Error("the errors branch fails when its execution opened no transaction")
	}
	// A transaction of another flow, open: the first task refuses to take
	// it for a stale one, exit 1, and leaves it open.
	mustKiln(t, 0, dir, "build", "--select", "path:seeds", "--transaction", "other.flow/exec-1")
	if runTask(t, stale, "exec-third", vars) != 1 {
		t.Error("the first task took another flow's transaction for a stale one")
	}
	if got := strings.TrimSpace(mustKiln(t, 0, dir, "transaction", "status", "other.flow/exec-1")); got != "open" {
		t.Errorf("the other flow's transaction is %q, want open", got)
	}
}
