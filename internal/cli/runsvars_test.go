package cli

import (
	"strings"
	"testing"
)

// kiln runs shows each run's --vars in a VARS column, compactly, so that
// a monthly pipeline's month reads at a glance; "-" for a run given none.
// The runs are real builds into a real DuckDB file.
func TestRunsShowTheirVars(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":  "name: t1\ndatabase-path: target/t1.duckdb\nvars:\n  month: '2020-01'\n  region: all\n",
		"models/a.sql": "select '{{ var('month') }}' as month, '{{ var('region') }}' as region\n",
	})
	mustKiln(t, 0, dir, "build")
	mustKiln(t, 0, dir, "build", "--vars", "{month: 2024-06}")
	mustKiln(t, 0, dir, "build", "--vars", `{month: 2024-07, region: "north and south", ids: [1, 2], note: "a very long note that does not fit"}`)
	code, out, errOut := kiln(t, dir, "runs")
	if code != ExitOK {
		t.Fatalf("kiln runs: exit %d\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("kiln runs listed %d lines, want a header and 3 runs:\n%s", len(lines), out)
	}
	if !strings.Contains(lines[0], " VARS ") {
		t.Fatalf("no VARS column in %q", lines[0])
	}
	// tabwriter aligns runes, not bytes.
	col := len([]rune(lines[0][:strings.Index(lines[0], "VARS")]))
	sel := len([]rune(lines[0][:strings.Index(lines[0], "SELECTION")]))
	if col < 0 || sel < col {
		t.Fatalf("no VARS column before SELECTION in %q", lines[0])
	}
	cell := func(line string) string {
		r := []rune(line)
		return strings.TrimSpace(string(r[min(col, len(r)):min(sel, len(r))]))
	}
	for i, want := range []string{
		`ids=[1,2] month=2024-07 note="a very long note…`,
		"month=2024-06",
		"-",
	} {
		if got := cell(lines[i+1]); got != want {
			t.Errorf("run %d: VARS %q, want %q\n%s", i+1, got, want, out)
		}
	}
}

func TestCompactVars(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "-"},
		{`{"month":"2024-06"}`, "month=2024-06"},
		{`{"raw_dir":"data/2024-06","month":"2024-06"}`, "month=2024-06 raw_dir=data/2024-06"},
		{`{"raw_dir":"../shared/bottleneck","month":"2024-06"}`, "month=2024-06 raw_dir=../shared/bottlen…"},
		{`{"n":3,"on":true,"s":"a b"}`, `n=3 on=true s="a b"`},
		{`{"m":{"a":1}}`, `m={"a":1}`},
		{`not json`, "not json"},
		{`{"k":"` + strings.Repeat("x", 50) + `"}`, "k=" + strings.Repeat("x", 37) + "…"},
	} {
		if got := compactVars(tc.in, 40); got != tc.want {
			t.Errorf("compactVars(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
