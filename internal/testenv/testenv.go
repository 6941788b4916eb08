// Package testenv decides what a test does when a program it needs is not
// on the machine, as Go's own internal/testenv does for its builders:
//
//   - on a developer's machine, the test is skipped, and `go test ./...`
//     prints one line saying what to install (once per missing program for
//     the whole run, however many tests and packages skip for it);
//   - in CI (the environment variable CI is true, as GitHub Actions, GitLab
//     CI and kiln's .ci/run set it), the test fails: a CI run never passes
//     without the tests it was meant to run.
//
// Chromium finds the browser of the docs tests. A helper for another
// program (a PostgreSQL server, say) sits beside it: it looks for the
// program and calls Missing when it is absent, so that it follows the same
// rule.
package testenv

import (
	"os"
	"strconv"
	"testing"
)

// Required reports whether the tests that need a missing program must fail
// rather than skip: true when the environment variable CI holds a true
// value for strconv.ParseBool ("true", "1", "TRUE", ...).
func Required() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// Missing ends the test t, which needs the program what (a name for
// people, such as "Chromium") that is not on this machine; install says
// how to get it ("apt-get install chromium"). Under CI=true the test fails;
// otherwise it is skipped, and the first skip for what in a `go test` run
// also prints one line on go test's standard error (see announce), since
// go test shows nothing of a passing package but its "ok" line.
//
// go test caches the result of a package whose tests skipped, and does not
// see a program installed later (it rechecks the environment and the
// module's files, not /usr/bin): the line says to run go clean -testcache
// after installing. Setting a variable the helper reads, such as
// KILN_CHROMIUM, needs no such step.
func Missing(t testing.TB, what, install string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is not installed, and CI=%s requires the tests that need it: %s", what, os.Getenv("CI"), install)
	}
	announce(what, "go test: skipped the tests that need "+what+": "+install+"; then run go clean -testcache, as go test keeps the skipped result")
	t.Skipf("%s is not installed: %s (with CI=true, this test fails instead)", what, install)
}
