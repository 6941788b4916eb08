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
		{[]string{"build", "--nope"}, "error: unknown flag --nope for kiln build\nrun 'kiln build --help' for usage"},
	} {
		code, _, errOut := kiln(t, dir, c.args...)
		if code != ExitCannotStart || !strings.Contains(errOut, c.want+"\n") || strings.Contains(errOut, "strconv") {
			t.Errorf("kiln %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(c.args, " "), code, errOut, ExitCannotStart, c.want)
		}
	}
}

// A command line that does not parse says so in kiln's words, with the
// nearest flag or command when one is close (diag.Closest, as refs'),
// -s for a node given as an argument, and the usage of a command given the
// wrong count of arguments; never cobra's "accepts 1 arg(s)".
func TestUsageErrorsSuggest(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "--selct", "x"}, "error: unknown flag --selct for kiln build; did you mean --select?\nrun 'kiln build --help' for usage"},
		{[]string{"build", "--selct=x"}, "error: unknown flag --selct for kiln build; did you mean --select?"},
		{[]string{"show", "--limt", "3"}, "error: unknown flag --limt for kiln show; did you mean --limit?"},
		{[]string{"run", "--thread", "2"}, "error: unknown flag --thread for kiln run; did you mean --threads?"}, // a persistent flag
		{[]string{"ls", "--exlude", "a"}, "error: unknown flag --exlude for kiln ls; did you mean --exclude?"},
		{[]string{"build", "-y"}, "error: unknown flag -y for kiln build\n"},
		{[]string{"build", "-fullrefresh"}, "error: unknown flag -f (in -fullrefresh) for kiln build; did you mean --full-refresh?"},
		{[]string{"buidl"}, "error: unknown command \"buidl\" for kiln; did you mean \"build\"?\nrun 'kiln --help' for usage"},
		{[]string{"clone"}, "error: dbt's \"clone\" command is not supported yet by kiln; to read production's relations from a development build, use --defer --state <production artifacts>"},
		{[]string{"docs", "serv"}, "error: unknown command \"serv\" for kiln docs; did you mean \"serve\"?"},
		{[]string{"export", "zzz"}, "error: unknown command \"zzz\" for kiln export; its commands are kestra"},
		{[]string{"show", "stg_erpp"}, "error: kiln show takes no argument, and was given \"stg_erpp\"; to select nodes, use --select (-s): kiln show -s stg_erpp"},
		{[]string{"version", "x"}, "error: kiln version takes no argument, and was given \"x\"\n"},
		{[]string{"run-operation"}, "error: kiln run-operation takes 1 argument, and was given 0; usage: kiln run-operation MACRO [flags]"},
	} {
		code, _, errOut := kiln(t, dir, c.args...)
		if code != ExitCannotStart || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "arg(s)") || strings.Contains(errOut, "Did you mean this") {
			t.Errorf("kiln %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(c.args, " "), code, errOut, ExitCannotStart, c.want)
		}
	}
}
