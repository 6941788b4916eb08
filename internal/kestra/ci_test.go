package kestra

import (
	"os"
	"strings"
	"testing"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// workflow is the part of a GitHub Actions workflow the check reads
// (https://docs.github.com/actions/reference/workflow-syntax-for-github-actions).
type workflow struct {
	On struct {
		Schedule []struct {
			Cron string `yaml:"cron"`
		} `yaml:"schedule"`
	} `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		RunsOn string `yaml:"runs-on"`
		Steps  []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			If   string            `yaml:"if"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestNightlyWorkflow checks .github/workflows/nightly.yml: it parses, runs
// on a valid schedule, checks out, sets up Go from go.mod, installs
// Chromium, runs the Go tests, builds the project with a JUnit report,
// generates the docs, publishes the report and keeps the artifacts, the
// last two even when the build fails.
func TestNightlyWorkflow(t *testing.T) {
	src, err := os.ReadFile("../../.github/workflows/nightly.yml")
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	dec := yaml.NewDecoder(strings.NewReader(string(src)))
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("nightly.yml is not YAML: %v", err)
	}
	if len(w.On.Schedule) == 0 {
		t.Fatal("no schedule")
	}
	for _, s := range w.On.Schedule {
		if _, err := cron.ParseStandard(s.Cron); err != nil {
			t.Errorf("schedule cron %q: %v", s.Cron, err)
		}
	}
	if w.Permissions["checks"] != "write" {
		t.Errorf("the JUnit check run needs permissions: checks: write, got %v", w.Permissions)
	}
	if len(w.Jobs) != 1 {
		t.Fatalf("want one job, got %d", len(w.Jobs))
	}
	for name, job := range w.Jobs {
		if job.RunsOn == "" {
			t.Errorf("job %s has no runs-on", name)
		}
		find := func(what string, match func(uses, run string, with map[string]string) bool) int {
			for i, s := range job.Steps {
				if match(s.Uses, s.Run, s.With) {
					return i
				}
			}
			t.Errorf("job %s: no step that %s", name, what)
			return -1
		}
		uses := func(action string) func(string, string, map[string]string) bool {
			return func(u, _ string, _ map[string]string) bool { return strings.HasPrefix(u, action+"@") }
		}
		runs := func(cmd string) func(string, string, map[string]string) bool {
			return func(_, r string, _ map[string]string) bool { return strings.Contains(r, cmd) }
		}
		checkout := find("checks out", uses("actions/checkout"))
		goSetup := find("sets up Go", uses("actions/setup-go"))
		if goSetup >= 0 && job.Steps[goSetup].With["go-version-file"] != "go.mod" {
			t.Errorf("setup-go must read go.mod: %v", job.Steps[goSetup].With)
		}
		chromium := find("installs Chromium", func(u, r string, _ map[string]string) bool {
			return strings.HasPrefix(u, "browser-actions/setup-chrome@") || strings.Contains(r, "install -y chromium")
		})
		find("sets KILN_CHROMIUM for the docs browser tests", runs("KILN_CHROMIUM="))
		tests := find("runs go test -timeout 30m ./... (README's test command)", runs("go test -timeout 30m ./..."))
		build := find("builds with a JUnit report", runs("go run ./cmd/kiln build --junit-xml target/junit.xml"))
		docs := find("generates the docs", runs("go run ./cmd/kiln docs generate"))
		report := find("publishes target/junit.xml", func(u, _ string, with map[string]string) bool {
			return u != "" && with["path"] == "target/junit.xml"
		})
		upload := find("uploads the artifacts", uses("actions/upload-artifact"))
		order := []int{checkout, goSetup, chromium, tests, build, docs}
		for i := 1; i < len(order); i++ {
			if order[i-1] >= 0 && order[i] >= 0 && order[i-1] > order[i] {
				t.Errorf("steps out of order: %v (checkout, setup-go, chromium, tests, build, docs)", order)
			}
		}
		for _, i := range []int{report, upload} {
			if i >= 0 && job.Steps[i].If != "always()" {
				t.Errorf("step %q must run even when the build fails (if: always())", job.Steps[i].Name)
			}
		}
		if upload >= 0 {
			paths := job.Steps[upload].With["path"]
			for _, p := range []string{"target/manifest.json", "target/run_results.json", "target/junit.xml", "target/exports/", "target/docs/"} {
				if !strings.Contains(paths, p) {
					t.Errorf("artifacts do not keep %s:\n%s", p, paths)
				}
			}
		}
	}
}
