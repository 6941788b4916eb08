package cli

import (
	"testing"
	"time"

	"github.com/kiln-build/kiln/engine"
	"github.com/kiln-build/kiln/internal/artifact"
)

// TestKilledMessageCommand: the message after a killed run names the
// command that was killed and ends with the exact command to run again,
// its selection, --vars (quoted for the shell) and flags as the history
// recorded them; a killed retry of another run is named a retry.
func TestKilledMessageCommand(t *testing.T) {
	rr := &artifact.RunResults{}
	rr.Metadata.InvocationID = "82163a47-0000"
	rr.Args = map[string]any{"which": "build"}
	started := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	for _, c := range []struct{ selection, cmd, what string }{
		{"", "kiln build", "the last build"},
		{"--select tag:stage_d --vars {raw_dir: data/real, month: '2020-12'} --full-refresh --no-rollback",
			`kiln build --select tag:stage_d --vars '{raw_dir: data/real, month: '\''2020-12'\''}' --full-refresh --no-rollback`, "the last build"},
		{"--vars {month: 2020-12}", "kiln build --vars '{month: 2020-12}'", "the last build"},
		{"retry of 11112222 --vars {month: 2020-12} --accept-deviations", "kiln build --vars '{month: 2020-12}' --accept-deviations", "the last retry"},
	} {
		r := engine.RunSummary{ID: "c61a7300-1111", Command: "build", Selection: c.selection, Started: started}
		want := "nothing to retry: " + c.what + " (run c61a7300, started 2026-12-06 17:00:00 UTC) was killed before it wrote run_results.json, " +
			"so it recorded no result to retry (run_results.json is the earlier build's, invocation 82163a47-0000); " +
			"run it again, it first restores what the killed run replaced: " + c.cmd
		if got := killedMessage(r, rr); got != want {
			t.Errorf("selection %q:\n got %s\nwant %s", c.selection, got, want)
		}
	}
}
