package kestra

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestFlowCommandsInImageShell runs the commands of every Commands task
// of the BottleNeck flow (by folder, on DuckDB and PostgreSQL) in the
// image's shell (internal/image/sh, built here) as Kestra's Docker task
// runner does (/bin/sh -c, the commands one per line, in the task's
// working folder), with a PATH that holds only kiln: a stand-in kiln
// script, interpreted by that shell, that records its arguments and exits
// with $STUB_RC. Each task must need no program but kiln, pass the vars
// as one argument, and leave its outputFiles in its working folder (a
// failed build, exit 1, still hands over run_results.json).
func TestFlowCommandsInImageShell(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux")
	}
	tmp := t.TempDir()
	sh := filepath.Join(tmp, "sh")
	build := exec.Command("go", "build", "-o", sh, "github.com/kiln-build/kiln/internal/image/sh")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build the image's shell: %v\n%s", err, out)
	}
	bin := filepath.Join(tmp, "bin")
	project := filepath.Join(tmp, "bottleneck")
	for _, d := range []string{bin, filepath.Join(project, "target", "docs"), filepath.Join(project, "target", "exports")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	log := filepath.Join(tmp, "kiln.log")
	stub := "#!" + sh + "\nfor a in \"$@\"; do echo \"[$a]\"; done >> " + log + "\necho >> " + log + "\nexit \"$STUB_RC\"\n"
	files := map[string]string{
		filepath.Join(bin, "kiln"):                             stub,
		filepath.Join(project, "target", "run_results.json"):   `{"results": []}`,
		filepath.Join(project, "target", "docs", "index.html"): "<html>docs</html>",
	}
	// The files the commit task of a PostgreSQL flow keeps as outputs
	// once it committed (BottleNeck's exports).
	for _, name := range []string{"revenue_by_product.csv", "premium_wines.csv", "ordinary_wines.csv", "bottleneck_monthly.xlsx"} {
		files[filepath.Join(project, "target", "exports", name)] = "a,b\n"
	}
	for p, text := range files {
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	m := bottleneck(t)
	vars := `{"month": "2020-09", "raw_dir": "/data/bottleneck"}`
	for _, db := range []string{"", "postgres"} {
		opt := bottleneckOptions(m)
		opt.Database, opt.GroupBy, opt.ProjectDir, opt.Image = db, GroupByFolder, project, "registry.example/kiln:v1"
		data, err := Flow(m.Graph, opt)
		if err != nil {
			t.Fatal(err)
		}
		tasks := commandsTasks(t, data)
		if len(tasks) < 4 {
			t.Fatalf("db %q: %d Commands tasks", db, len(tasks))
		}
		for id, task := range tasks {
			for _, rc := range []string{"0", "1"} {
				var cmds []string
				for _, c := range task["commands"].([]any) {
					cmds = append(cmds, strings.NewReplacer("{{ flow.namespace }}", "ns", "{{ flow.id }}", "flow", "{{ execution.id }}", "exec-1").Replace(c.(string)))
				}
				script := strings.Join(cmds, "\n")
				if strings.Contains(script, "{{") {
					t.Fatalf("task %s: a Pebble expression left in its commands: %s", id, script)
				}
				work := t.TempDir()
				_ = os.Remove(log)
				cmd := exec.Command(sh, "-c", script)
				cmd.Dir = work
				cmd.Env = []string{"PATH=" + bin, "KILN_VARS=" + vars, "STUB_RC=" + rc}
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				err := cmd.Run()
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				want := 0
				if rc == "1" {
					want = 1 // the docs task too, which Kestra allows to fail
				}
				if code != want {
					t.Errorf("db %q, task %s, kiln exit %s: the shell exits %d, want %d\n%s\n%s", db, id, rc, code, want, script, out.String())
				}
				called, _ := os.ReadFile(log)
				if !strings.Contains(string(called), "[--project-dir]\n["+project+"]") {
					t.Errorf("db %q, task %s: kiln was not run with the project:\n%s\n%s", db, id, called, out.String())
				}
				if env, _ := task["env"].(map[string]any); env["KILN_VARS"] != nil && !strings.Contains(string(called), "[--vars]\n["+vars+"]") {
					t.Errorf("db %q, task %s: the vars are not one argument:\n%s", db, id, called)
				}
				if rc != "0" {
					continue
				}
				outs, _ := task["outputFiles"].([]any)
				for _, f := range outs {
					if f == "junit.xml" {
						continue // kiln writes it in the working folder
					}
					if _, err := os.Stat(filepath.Join(work, f.(string))); err != nil {
						t.Errorf("db %q, task %s: output %v not handed over: %v\n%s", db, id, f, err, out.String())
					}
				}
			}
		}
	}
}
