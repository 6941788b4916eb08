package cli

import (
	"strings"
	"testing"
)

// A flag's value that does not parse says what the flag expects, not Go's
// strconv wording; the exit code is that of a command that could not start.
func TestFlagValueErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "--threads", "abc"}, `error: invalid argument "abc" for "--threads" flag: a whole number is expected`},
		{[]string{"build", "--threads", "99999999999999999999"}, `error: invalid argument "99999999999999999999" for "--threads" flag: a whole number in range is expected`},
		{[]string{"build", "--full-refresh=maybe"}, `error: invalid argument "maybe" for "--full-refresh" flag: true or false is expected`},
		{[]string{"build", "--nope"}, `error: unknown flag: --nope`},
	} {
		code, _, errOut := kiln(t, dir, c.args...)
		if code != ExitCannotStart || !strings.Contains(errOut, c.want+"\n") || strings.Contains(errOut, "strconv") {
			t.Errorf("kiln %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(c.args, " "), code, errOut, ExitCannotStart, c.want)
		}
	}
}
