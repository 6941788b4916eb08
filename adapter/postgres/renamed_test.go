package postgres

import "testing"

// TestRenamed: two prints of RelationPrints are Renamed when they differ
// at most in the pg_class row's xmin (the third field): a table's and a
// view's (no counters) renamed back; any other difference, or a missing
// print, is not.
func TestRenamed(t *testing.T) {
	var c Conn
	for _, tc := range []struct {
		before, after string
		want          bool
	}{
		{"16468/16468/740/3/0/0", "16468/16468/754/3/0/0", true},
		{"16468/16468/740/3/0/0", "16468/16468/740/3/0/0", true},
		{"16471/0/740/730", "16471/0/754/730", true},
		{"16468/16468/740/3/0/0", "16468/16468/754/4/0/0", false}, // a row inserted
		{"16468/16468/740/3/0/0", "16468/16470/754/3/0/0", false}, // truncated
		{"16468/16468/740/3/0/0", "16480/16480/754/3/0/0", false}, // another relation
		{"16471/0/740/730", "16471/0/754/760", false},             // view replaced
		{"16468/16468/740/3/0/0", "16468/16468/754", false},
		{"", "16468/16468/754/3/0/0", false},
		{"16468/16468/740/3/0/0", "", false},
	} {
		if got := c.Renamed(tc.before, tc.after); got != tc.want {
			t.Errorf("Renamed(%q, %q) = %v, want %v", tc.before, tc.after, got, tc.want)
		}
	}
}
