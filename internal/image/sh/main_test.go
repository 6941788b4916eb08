package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	script := filepath.Join(t.TempDir(), "script.sh")
	if err := os.WriteFile(script, []byte("echo \"file $1 $#\"\nexit 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args       []string
		stdin      string
		code       int
		out, errIn string
	}{
		{args: []string{"-c", `echo "a $1 b $2"`, "name", "x", "y z"}, out: "a x b y z\n"},
		{args: []string{"-c", `KILN_VARS='{"m": 1}'; printf '%s\n' "$KILN_VARS"`}, out: "{\"m\": 1}\n"},
		{args: []string{"-c", "false; echo on"}, out: "on\n"},
		{args: []string{"-ec", "false; echo on"}, code: 1},
		{args: []string{"-e", "-c", "false; echo on"}, code: 1},
		{args: []string{"-o", "pipefail", "-c", "false | true"}, code: 1},
		{args: []string{"-u", "-c", "echo $unset"}, code: 1, errIn: "unset"},
		{args: []string{"-c", "exit 7"}, code: 7},
		{args: []string{"-c", "echo 'unclosed"}, code: 2, errIn: "sh:"},
		{args: []string{"-c"}, code: 2, errIn: "-c needs a command"},
		{args: []string{script, "one"}, code: 4, out: "file one 1\n"},
		{args: []string{"/no/such/script"}, code: 127, errIn: "no such file"},
		{stdin: "echo from stdin", out: "from stdin\n"},
		{args: []string{"-c", "no-such-command-kiln"}, code: 127, errIn: "not found"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, strings.NewReader(c.stdin), &out, &errOut)
		if code != c.code || (c.out != "" || c.code == 0) && out.String() != c.out || !strings.Contains(errOut.String(), c.errIn) {
			t.Errorf("sh %q: exit %d, stdout %q, stderr %q; want %d, %q, stderr with %q", c.args, code, out.String(), errOut.String(), c.code, c.out, c.errIn)
		}
	}
}

// cp is a builtin: the image has no cp program, and the flows kiln writes
// for Kestra copy a run's artifacts with it (internal/kestra's tasks).
func TestCopyBuiltin(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", filepath.Join(dir, "empty")) // no program at all
	src := filepath.Join(dir, "target", "run_results.json")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, []byte(`{"results": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cmd, file, errIn string
		code             int
	}{
		// The flow's command, with the shell's exit status kept.
		{cmd: `cd ` + dir + `; rc=1; if [ "$rc" -ne 2 ]; then cp ` + src + ` run_results.json; fi; exit "$rc"`, file: "run_results.json", code: 1},
		{cmd: `cd ` + dir + ` && cp -f target/run_results.json out`, file: "out/run_results.json"},
		{cmd: `cd ` + dir + ` && cp target/none.json x.json`, code: 1, errIn: "no such file"},
		{cmd: `cd ` + dir + ` && cp target out/t`, code: 1, errIn: "not a regular file"},
		{cmd: `cd ` + dir + ` && cp target/run_results.json target/run_results.json nofolder`, code: 1, errIn: "not a folder"},
		{cmd: `cp only-one`, code: 2, errIn: "usage"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"-c", c.cmd}, strings.NewReader(""), &out, &errOut)
		if code != c.code || !strings.Contains(errOut.String(), c.errIn) {
			t.Errorf("sh -c %q: exit %d, stderr %q; want %d, stderr with %q", c.cmd, code, errOut.String(), c.code, c.errIn)
		}
		if c.file != "" {
			if got, err := os.ReadFile(filepath.Join(dir, c.file)); err != nil || string(got) != `{"results": []}` {
				t.Errorf("sh -c %q: %s holds %q (%v)", c.cmd, c.file, got, err)
			}
		}
	}
}
