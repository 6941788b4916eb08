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
