package ui

import (
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/run"
)

// A failing input_freshness gate says its reason once: it is the test's
// finding, its message and its gate's first explanation (it was printed
// twice).
func TestProblemTextSaysTheReasonOnce(t *testing.T) {
	reason := "raw/erp.xlsx has the content of the file accepted for 2024-05 (run 1a2b3c4d): this month's export was not delivered"
	r := run.Result{Status: run.Fail, Expected: "the file of erp.products", Actual: reason, Message: reason,
		Gates: []run.Gate{{Verdict: "anomaly", Explain: []string{reason}}}}
	got := problemText(r)
	if strings.Count(got, reason) != 1 {
		t.Errorf("the reason is said %d times:\n%s", strings.Count(got, reason), got)
	}
	r.Message = reason + "; accepted (--accept-deviations): the history learns from it"
	got = problemText(r)
	if strings.Count(got, reason) != 1 || !strings.Contains(got, "\naccepted (--accept-deviations): the history learns from it") {
		t.Errorf("accepted: the reason is said %d times, or the acceptance is missing:\n%s", strings.Count(got, reason), got)
	}
}

// A test decided by an error_if of its own says that rule, not "expected
// no failing rows" (which a test failing on 0 rows contradicts).
func TestProblemTextSaysTheCondition(t *testing.T) {
	r := run.Result{Status: run.Fail, Expected: "not <1 (error_if)", Actual: "0 failing rows", Condition: "error_if <1",
		Message: "error_if <1: found 0 failing rows"}
	if got := problemText(r); got != "error_if <1: found 0 failing rows" {
		t.Errorf("got %q", got)
	}
}
