package cli

import (
	"strings"
	"testing"
)

// TestDocsGenerateWarnsOtherVars: kiln docs generate warns when its vars
// differ from the last run's (whose results the docs show), as kiln test
// refuses to read tables built with other vars; with the same vars,
// written otherwise, it does not.
func TestDocsGenerateWarnsOtherVars(t *testing.T) {
	dir := sealProject(t, "")
	mustKiln(t, 0, dir, "build", "--vars", "{raw_dir: data/real, month: '2020-07'}")
	out := mustKiln(t, 0, dir, "docs", "generate")
	want := `warning: the last run (kiln build, whose results the docs show) had --vars '{raw_dir: data/real, month: '2020-07'}'; these docs are made with none`
	if !strings.Contains(out, want) || !strings.Contains(out, `generate them with --vars '{raw_dir: data/real, month: '2020-07'}'`) {
		t.Errorf("docs generate without the build's vars: no warning %q:\n%s", want, out)
	}
	out = mustKiln(t, 0, dir, "docs", "generate", "--vars", `{"month": "2020-07", "raw_dir": "data/real"}`)
	if strings.Contains(out, "warning: the last run") {
		t.Errorf("docs generate with the build's vars warns:\n%s", out)
	}
	out = mustKiln(t, 0, dir, "docs", "generate", "--vars", "{raw_dir: data/real, month: '2020-08'}")
	if !strings.Contains(out, `these docs are made with --vars '{"month":"2020-08","raw_dir":"data/real"}'`) {
		t.Errorf("docs generate with another month: no warning:\n%s", out)
	}
}
