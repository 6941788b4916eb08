package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeProject writes files (path relative to the project: content) into
// a temporary folder and returns it.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestYAMLDateVars: a YAML date or datetime in --vars or project.yml's
// vars: prints as PyYAML's date and datetime do in dbt (2020-09-01,
// 2020-09-01 10:11:12+00:00), not as Go's time, and has a date's
// attributes.
func TestYAMLDateVars(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml": "name: t1\nvars:\n  pd: 2020-09-01\n  pt: 2020-09-01 10:11:12\n",
		"models/m.sql": "select '{{ var(\"pd\") }}' as a, '{{ var(\"pt\") }}' as b, '{{ var(\"d\") }}' as c, " +
			"'{{ var(\"t\") }}' as d, {{ var(\"d\").year }} as y, '{{ var(\"l\")[0] }}' as l\n",
	})
	out := mustKiln(t, 0, dir, "compile", "-s", "m", "--vars", "{d: 2021-03-04, t: 2020-09-01T10:11:12Z, l: [2020-01-02]}")
	want := "select '2020-09-01' as a, '2020-09-01 10:11:12' as b, '2021-03-04' as c, '2020-09-01 10:11:12+00:00' as d, 2021 as y, '2020-01-02' as l"
	if !strings.Contains(out, want) {
		t.Errorf("compiled SQL:\n%s\nwant %s", out, want)
	}
}

// TestClosedStdout: a command whose stdout's reader has gone (kiln ls |
// head) ends quietly with ExitBrokenPipe, as Unix tools do, without
// "write /dev/stdout: broken pipe".
func TestClosedStdout(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":  "name: t1\n",
		"models/a.sql": "select 1 as x\n",
		"models/b.sql": "select * from {{ ref('a') }}\n",
	})
	mustKiln(t, 0, dir, "build")
	for _, args := range [][]string{{"ls"}, {"ls", "--output", "json"}, {"compile", "-s", "b"}, {"runs"}, {"show", "-s", "b"}} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		var errOut strings.Builder
		code := Main(context.Background(), append([]string{"--project-dir", dir}, args...), strings.NewReader(""), w, &errOut)
		w.Close()
		if code != ExitBrokenPipe || strings.Contains(errOut.String(), "error") || strings.Contains(errOut.String(), "pipe") {
			t.Errorf("kiln %s with a closed stdout: exit %d, want %d, and stderr %q, want no error", strings.Join(args, " "), code, ExitBrokenPipe, errOut.String())
		}
	}
}
