package engine

import "testing"

// sentences joins a database's message and kiln's explanation as
// sentences: a period where the first does not end one, and the next
// begins in upper case.
func TestSentences(t *testing.T) {
	for _, tc := range []struct {
		parts []string
		want  string
	}{
		{[]string{"error: on-run-start failed: Table x does not exist!", "the run failed: nothing changed."},
			"error: on-run-start failed: Table x does not exist! The run failed: nothing changed."},
		{[]string{"error: the run could not be committed (disk full), so it was rolled back", "the run failed: 2 relations restored."},
			"error: the run could not be committed (disk full), so it was rolled back. The run failed: 2 relations restored."},
		{[]string{"interrupted after the run had rolled back", "", "error: on-run-end failed: x"},
			"interrupted after the run had rolled back. Error: on-run-end failed: x"},
		{[]string{"", "the run failed."}, "the run failed."},
		{[]string{"é fini", "über"}, "é fini. Über"},
	} {
		if got := sentences(tc.parts...); got != tc.want {
			t.Errorf("sentences(%q) = %q, want %q", tc.parts, got, tc.want)
		}
	}
}
