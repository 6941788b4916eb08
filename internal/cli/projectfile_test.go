package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (slash paths -> text) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, text := range files {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(p)), text)
	}
}

// In a dbt project, the messages name dbt_project.yml, the file in use,
// never project.yml: the Kestra export's, kiln clean's, --threads', a
// missing profiles.yml's; in a kiln project they name project.yml. The
// flags' help names both.
func TestMessagesNameTheProjectFileInUse(t *testing.T) {
	t.Setenv("DBT_PROFILES_DIR", "")
	t.Setenv("DBT_TARGET", "")
	for _, file := range []string{"dbt_project.yml", "project.yml"} {
		t.Run(file, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{
				file:            "name: pf\nprofile: pf\nclean-targets: [target, ../outside]\nvars:\n  day: '2024-01-01'\n",
				"profiles.yml":  "pf:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: target/pf.duckdb}\n",
				"models/a.sql":  "select 1 as id",
				"models/_a.yml": "models:\n  - name: a\n",
			})
			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"export", "kestra", "--worker-dir", "/srv/pf"}, "error: " + file + " has no schedule; add one to export a Kestra flow"},
				{[]string{"clean"}, `error: refusing to delete "../outside": the clean-targets of ` + file + " must be folders inside the project"},
				{[]string{"build", "--threads", "0"}, "error: --threads must be 1 or more, not 0; leave it out for the threads of " + file},
			} {
				code, _, errOut := kiln(t, dir, c.args...)
				if code != ExitCannotStart || !strings.Contains(errOut, c.want) {
					t.Errorf("kiln %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(c.args, " "), code, errOut, ExitCannotStart, c.want)
				}
			}

			writeTree(t, dir, map[string]string{file: "name: pf\nprofile: pf\nschedule: {cron: '0 6 2 * *'}\nvars:\n  day: '2024-01-01'\n"})
			code, _, errOut := kiln(t, dir, "export", "kestra", "--worker-dir", "/srv/pf", "--trigger-date-var", "nosuch")
			if want := "declare it under vars: or var-types: in " + file; code != ExitCannotStart || !strings.Contains(errOut, want) {
				t.Errorf("kestra --trigger-date-var nosuch: exit %d, stderr:\n%s\nwant %q", code, errOut, want)
			}
			code, _, errOut = kiln(t, dir, "export", "kestra", "--worker-dir", "/srv/pf")
			if want := "note: the flow's inputs default to the vars of " + file + " (day: 2024-01-01)"; code != 0 || !strings.Contains(errOut, want) {
				t.Errorf("kestra: exit %d, stderr:\n%s\nwant %q", code, errOut, want)
			}

			if err := os.Remove(filepath.Join(dir, "profiles.yml")); err != nil {
				t.Fatal(err)
			}
			t.Setenv("HOME", t.TempDir())
			code, _, errOut = kiln(t, dir, "compile")
			if want := "write a profiles.yml beside " + file; code != ExitCannotStart || !strings.Contains(errOut, want) {
				t.Errorf("compile without profiles.yml: exit %d, stderr:\n%s\nwant %q", code, errOut, want)
			}
		})
	}
	code, out, _ := kiln(t, t.TempDir(), "build", "--help")
	for _, want := range []string{"overriding the vars of project.yml or dbt_project.yml", "threads of project.yml or dbt_project.yml", "target-path of project.yml or dbt_project.yml"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("build --help: exit %d, no %q in:\n%s", code, want, out)
		}
	}
	if strings.Contains(strings.ReplaceAll(out, "project.yml or dbt_project.yml", ""), "project.yml") {
		t.Errorf("build --help names project.yml alone:\n%s", out)
	}
}
