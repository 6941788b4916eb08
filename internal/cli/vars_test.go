package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTypedVarsRefuseInjection: the attack of issue 20, a number var that
// carries a query reading a file, is refused before anything runs (no
// database, no artifact), with the var, the value and the type; a value
// of the right type, even written as text, compiles.
func TestTypedVarsRefuseInjection(t *testing.T) {
	dir, _ := newProject(t)
	inject := `{premium_z_score: "(select length(content) from read_text('/etc/passwd'))"}`
	code, _, errOut := kiln(t, dir, "build", "--vars", inject)
	want := `--vars: var premium_z_score is "(select length(content) from read_text('/etc/passwd'))", which is not a number (such as 2 or 2.5); project.yml:`
	if code != ExitCannotStart || !strings.Contains(errOut, want) || !strings.Contains(errOut, "declares premium_z_score as a number of at least 0; nothing was run") {
		t.Fatalf("exit %d, want %d and %q\n%s", code, ExitCannotStart, want, errOut)
	}
	for _, f := range []string{"target/bottleneck.duckdb", "target/manifest.json", "target/run_results.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s exists after a refused run: %v", f, err)
		}
	}
	for vars, want := range map[string]string{
		`{min_products: 1; select 1}`:    "", // not YAML: --vars' own error
		`{min_products: "1; select 1"}`:  `var min_products is "1; select 1", which is not an integer`,
		`{max_products: 0}`:              "var max_products is 0, which is out of range: it must be an integer of at least 1",
		`{raw_dir: "data/x'; select 1"}`: `var raw_dir is "data/x'; select 1", which is not a path kiln accepts: it holds "'"`,
		`{premium_z_score: [1, 2]}`:      "var premium_z_score is [1 2], which is a list or mapping",
		`{premium_z_score: .nan}`:        "var premium_z_score is NaN, which is not a number",
	} {
		code, _, errOut := kiln(t, dir, "compile", "--vars", vars)
		if code != ExitCannotStart || !strings.Contains(errOut, want) {
			t.Errorf("--vars %s: exit %d, want %d and %q\n%s", vars, code, ExitCannotStart, want, errOut)
		}
	}
	out := mustKiln(t, 0, dir, "compile", "-s", "wine_zscores", "--vars", `{premium_z_score: "2.5", min_products: "10"}`)
	if !strings.Contains(out, "> '2.5', false) as is_premium") {
		t.Errorf("the value is not rendered as one SQL literal:\n%s", out)
	}
	out = mustKiln(t, 0, dir, "compile", "-s", "wine_zscores", "--vars", `{premium_z_score: 2.5}`)
	if !strings.Contains(out, "> 2.5, false) as is_premium") {
		t.Errorf("a number is not rendered as a numeric literal:\n%s", out)
	}
}
