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

// TestGraphCommandsWarnOtherVars: kiln parse, compile, ls and debug warn
// when their vars differ from the last run's (a production build's graph
// has the deviation gates the sample's has not; parse and compile then
// write a manifest.json of another graph), and not with the same vars;
// ls served by partial parsing warns too.
func TestGraphCommandsWarnOtherVars(t *testing.T) {
	dir := sealProject(t, "")
	mustKiln(t, 0, dir, "build", "--vars", "{raw_dir: data/real, month: '2020-07'}")
	want := func(cmd string) string {
		return "warning: the last run (kiln build) had --vars '{raw_dir: data/real, month: '2020-07'}'; this kiln " + cmd +
			" has none, so the graph it reads may have other nodes than that run's; run it with --vars '{raw_dir: data/real, month: '2020-07'}'"
	}
	for _, args := range [][]string{{"parse"}, {"compile"}, {"compile"}, {"ls"}, {"ls"}, {"debug"}} {
		out := mustKiln(t, 0, dir, args...)
		if !strings.Contains(out, want(args[0])) {
			t.Errorf("kiln %s without the build's vars: no warning %q:\n%s", args[0], want(args[0]), out)
		}
	}
	for _, cmd := range []string{"parse", "compile", "ls", "debug"} {
		out := mustKiln(t, 0, dir, cmd, "--vars", `{"month": "2020-07", "raw_dir": "data/real"}`)
		if strings.Contains(out, "warning: the last run") {
			t.Errorf("kiln %s with the build's vars warns:\n%s", cmd, out)
		}
	}
}
