package cli

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/failpoint"
)

// TestRetryAfterAKilledBuild: a build killed (SIGKILL, at a failpoint)
// after its first node committed writes no run_results.json, so the file
// is the earlier successful build's. kiln retry said "nothing to retry:
// the last build succeeded" while kiln runs listed the build as killed;
// it now says the last build was killed before it wrote its results, that
// nothing of it is recorded to retry, and to run it again (exit code 2),
// and the build run again works.
func TestRetryAfterAKilledBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiln binary")
	}
	bin := buildKiln(t)
	dir := smallProject(t, "database-path: target/small.duckdb\n")
	mustKiln(t, 0, dir, "build")
	first, err := artifact.ReadRunResults(filepath.Join(dir, "target", "run_results.json"))
	if err != nil {
		t.Fatal(err)
	}

	writeProjectFile(t, dir, "models/summary.sql", "{{ config(materialized='table', schema='marts') }}\nselect count(*) as n, sum(price) * 2 as total from {{ ref('expensive') }}\n")
	p := startKilnEnv(t, bin, dir, []string{failpoint.EnvVar + "=" + string(failpoint.NodeCommitted)}, "build", "--threads", "1")
	p.wait(t, 5*time.Minute)
	if ws, _ := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() {
		t.Fatalf("kiln build was not killed at %s:\n%s", failpoint.NodeCommitted, p.stderr.String())
	}
	killed := lastInvocation(t, dir)
	if killed == first.Metadata.InvocationID {
		t.Fatalf("the killed build's invocation is the first build's (%s)", killed)
	}
	if out := mustKiln(t, 0, dir, "runs"); !strings.Contains(out, killed[:8]) || !strings.Contains(out, "killed*") {
		t.Fatalf("kiln runs does not list %s as killed*:\n%s", killed[:8], out)
	}

	code, stdout, stderr := kiln(t, dir, "retry")
	out := stdout + stderr
	if code != ExitCannotStart {
		t.Errorf("kiln retry after a killed build exited %d, want %d:\n%s", code, ExitCannotStart, out)
	}
	for _, want := range []string{"nothing to retry: the last build (run " + killed[:8] + ", started ",
		"was killed before it wrote run_results.json, so it recorded no result to retry",
		"(run_results.json is the earlier build's, invocation " + first.Metadata.InvocationID + "); run it again"} {
		if !strings.Contains(out, want) {
			t.Errorf("kiln retry does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "succeeded") {
		t.Errorf("kiln retry says a build succeeded:\n%s", out)
	}

	mustKiln(t, 0, dir, "build")
	if got := queryDB(t, filepath.Join(dir, "target", "small.duckdb"), "select cast(total as double) from marts.summary"); got != "61.5" {
		t.Errorf("after the build run again marts.summary's total is %s, want 61.5 (2 x 30.75)", got)
	}
	if out := mustKiln(t, 0, dir, "retry"); !strings.Contains(out, "nothing to retry: the last build succeeded") {
		t.Errorf("kiln retry after the successful build:\n%s", out)
	}

	// A failed build, fixed, then its retry killed: run_results.json is
	// still the failed build's, and the killed run was a retry of it, so
	// kiln retry retries it again (dbt retries from run_results.json), the
	// killed retry's changes restored first.
	writeProjectFile(t, dir, "models/summary.sql", "{{ config(materialized='table', schema='marts') }}\nselect count(*) as n, sum(pricee) * 3 as total from {{ ref('expensive') }}\n")
	mustKiln(t, 1, dir, "build")
	failedBuild := lastInvocation(t, dir)
	writeProjectFile(t, dir, "models/summary.sql", "{{ config(materialized='table', schema='marts') }}\nselect count(*) as n, sum(price) * 3 as total from {{ ref('expensive') }}\n")
	p = startKilnEnv(t, bin, dir, []string{failpoint.EnvVar + "=" + string(failpoint.NodeCommitted)}, "retry", "--threads", "1")
	p.wait(t, 5*time.Minute)
	if ws, _ := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() {
		t.Fatalf("kiln retry was not killed at %s:\n%s", failpoint.NodeCommitted, p.stderr.String())
	}
	killedRetry := lastInvocation(t, dir)
	code, stdout, stderr = kiln(t, dir, "retry")
	out = stdout + stderr
	if code != ExitOK || !strings.Contains(out, "the last retry (run "+killedRetry[:8]+") was killed before it wrote run_results.json; "+
		"what it changed is restored first, then the build it retried is retried again") ||
		!strings.Contains(out, "of the last build (invocation "+failedBuild+")") {
		t.Errorf("kiln retry after a killed retry: exit %d, want 0, retrying build %s again:\n%s", code, failedBuild, out)
	}
	if got := queryDB(t, filepath.Join(dir, "target", "small.duckdb"), "select cast(total as double) from marts.summary"); got != "92.25" {
		t.Errorf("after the retry marts.summary's total is %s, want 92.25 (3 x 30.75)", got)
	}
}
