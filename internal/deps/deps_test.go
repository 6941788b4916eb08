package deps

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/project"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A local package is installed under the name its dbt_project.yml gives,
// with the packages it declares in turn (here a git package cloned from
// a repository on disk, at a tag), and package-lock.yml records both.
func TestInstallLocalAndGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	write(t, filepath.Join(root, "pkgs/local_one/dbt_project.yml"), "name: local_one\n")
	write(t, filepath.Join(root, "pkgs/local_one/macros/m.sql"), "{% macro one() %}1{% endmacro %}\n")
	repo := filepath.Join(root, "repo")
	write(t, filepath.Join(repo, "sub/dbt_project.yml"), "name: from_git\n")
	write(t, filepath.Join(root, "pkgs/local_one/packages.yml"), "packages:\n  - git: "+repo+"\n    revision: v1\n    subdirectory: sub\n")
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"}, {"tag", "v1"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %s", args, out)
		}
	}
	proj := filepath.Join(root, "proj")
	install := filepath.Join(proj, "dbt_packages")
	write(t, filepath.Join(install, "stale/dbt_project.yml"), "name: stale\n")
	var said []string
	lock, err := Install(proj, install, []project.PackageSpec{{Local: "../pkgs/local_one"}}, []byte("x"), func(s string) { said = append(said, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(lock.Packages) != 2 || lock.Packages[0].Name != "from_git" || lock.Packages[1].Name != "local_one" || len(lock.Packages[0].Revision) != 40 {
		t.Fatalf("lock %+v", lock.Packages)
	}
	for _, f := range []string{"local_one/macros/m.sql", "from_git/dbt_project.yml"} {
		if _, err := os.Stat(filepath.Join(install, f)); err != nil {
			t.Errorf("%s not installed: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(install, "stale")); !os.IsNotExist(err) {
		t.Errorf("the previous install was kept: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(proj, LockFileName))
	if !strings.Contains(string(b), "name: local_one") || !strings.Contains(string(b), "revision: "+lock.Packages[0].Revision) {
		t.Errorf("package-lock.yml:\n%s", b)
	}
	if len(said) != 2 {
		t.Errorf("said %q", said)
	}
}

// A hub package cannot be fetched: the error says what to do instead.
func TestHubPackageIsRefused(t *testing.T) {
	proj := t.TempDir()
	_, err := Install(proj, filepath.Join(proj, "dbt_packages"), []project.PackageSpec{{Package: "dbt-labs/dbt_utils"}}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), `hub package "dbt-labs/dbt_utils": kiln deps cannot fetch it`) || !strings.Contains(err.Error(), "git:") {
		t.Fatalf("got %v", err)
	}
}
