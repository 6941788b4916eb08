package cli

import (
	"strings"
	"testing"
)

// TestSealFlowTransactionDuckDB: the runs of a flow transaction on DuckDB
// (kiln build --transaction, as the Kestra flow's tasks run it) do not
// seal the database; the next task, and the next build after the commit,
// say that a task of the flow transaction wrote it last, not "another
// program".
func TestSealFlowTransactionDuckDB(t *testing.T) {
	dir := sealProject(t, "")
	mustKiln(t, 0, dir, "build")
	mustKiln(t, 0, dir, "build", "--select", "events", "--transaction", "flowtx1")
	for _, step := range []struct {
		what string
		args []string
	}{
		{"the flow's second task", []string{"build", "--select", "t", "--transaction", "flowtx1"}},
	} {
		_, out, errOut := kiln(t, dir, step.args...)
		text := out + errOut
		if strings.Contains(text, "another program") {
			t.Errorf("%s blames another program:\n%s", step.what, text)
		}
		if !strings.Contains(text, "was a task of the flow transaction flowtx1") {
			t.Errorf("%s does not name the flow transaction:\n%s", step.what, text)
		}
	}
	mustKiln(t, 0, dir, "transaction", "commit", "flowtx1")
	code, out, errOut := kiln(t, dir, "build")
	text := out + errOut
	if code != 0 {
		t.Fatalf("build after the flow: exit %d\n%s", code, text)
	}
	if strings.Contains(text, "another program") || !strings.Contains(text, "was a task of the flow transaction flowtx1 (open, committed or rolled back since)") {
		t.Errorf("the build after the flow does not say a flow task wrote the database last:\n%s", text)
	}
	// That build seals: the next one finds every node up to date.
	got := lineStatuses(mustKiln(t, 0, dir, "build"))
	if got["model t"] != "UP-TO-DATE" {
		t.Errorf("the second build after the flow: model t is %q, want UP-TO-DATE", got["model t"])
	}
}
