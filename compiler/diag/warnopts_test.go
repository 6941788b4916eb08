package diag

import (
	"strings"
	"testing"
)

// TestParseWarnOptions: dbt's two spellings, "all" and "*", warn over
// error, kiln's own notes promoted only when KilnNote is named, and the
// refusals (unknown key or event, a key given twice under its two names).
func TestParseWarnOptions(t *testing.T) {
	o, err := ParseWarnOptions(map[string]any{"include": "*", "exclude": []any{"LogTestResult"}, "silence": []any{"KilnNote"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		event          string
		kilnOnly       bool
		promote, quiet bool
	}{
		{"NoNodesForSelectionCriteria", false, true, false},
		{"", false, true, false}, // a warning without a dbt event: "all" only
		{"LogTestResult", false, false, false},
		{"", true, false, true}, // kiln's note: not by "all"; silenced as KilnNote
	} {
		if p, q := o.Promotes(c.event, c.kilnOnly), o.Silences(c.event, c.kilnOnly); p != c.promote || q != c.quiet {
			t.Errorf("%q kilnOnly %v: promotes %v silences %v, want %v %v", c.event, c.kilnOnly, p, q, c.promote, c.quiet)
		}
	}
	o, err = ParseWarnOptions(map[string]any{"error": []any{"KilnNote", "DeprecatedModel"}})
	if err != nil || !o.Promotes("", true) || !o.Promotes("DeprecatedModel", false) || o.Promotes("NoNodesForSelectionCriteria", false) {
		t.Errorf("error: [KilnNote, DeprecatedModel]: %+v %v", o, err)
	}
	for in, want := range map[string]map[string]any{
		`unknown key "errors"`:          {"errors": "all"},
		`both "error" and "include"`:    {"error": "all", "include": "all"},
		"names Nope, not an event kiln": {"warn": []any{"Nope"}},
		`silence is "all"`:              {"silence": "all"},
	} {
		if _, err := ParseWarnOptions(want); err == nil || !strings.Contains(err.Error(), in) {
			t.Errorf("%v: %v, want %q", want, err, in)
		}
	}
}
