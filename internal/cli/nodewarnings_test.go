package cli

import (
	"strings"
	"testing"
)

// TestNodeWarningsOnlyWhereSelected: a model's config warning (the
// trial's finding 8: "delete+insert without unique_key") is printed, once,
// by the commands that select, build or compile the model (build, build
// -s of it, ls, compile -s, parse), not by those that do not (show
// --inline, compile --inline, build -s of another model); a
// warning of project.yml is printed by every command.
func TestNodeWarningsOnlyWhereSelected(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":      "name: nw\nmodel-paths: [models]\ndatabase-path: target/nw.duckdb\nmodels:\n  nw:\n    +unknown_key_x: 1\n",
		"models/nokey.sql": "{{ config(materialized='incremental', incremental_strategy='delete+insert') }}\nselect 1 as id\n",
		"models/other.sql": "select 2 as id\n",
	})
	const node = "delete+insert without unique_key appends every new row"
	mustKiln(t, 0, dir, "build")
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"build"}, true},
		{[]string{"build", "-s", "nokey"}, true},
		{[]string{"ls"}, true},
		{[]string{"compile", "-s", "nokey"}, true},
		{[]string{"parse"}, true},
		{[]string{"show", "--inline", "select 1"}, false},
		{[]string{"compile", "--inline", "select 1"}, false},
		{[]string{"build", "-s", "other"}, false},
		{[]string{"ls", "-s", "other"}, false},
	} {
		out := mustKiln(t, 0, dir, c.args...)
		if n := strings.Count(out, node); n != map[bool]int{true: 1, false: 0}[c.want] {
			t.Errorf("kiln %s prints the model's warning %d times, want it %v:\n%s", strings.Join(c.args, " "), n, c.want, out)
		}
		if !strings.Contains(out, "unknown_key_x") {
			t.Errorf("kiln %s does not print project.yml's warning:\n%s", strings.Join(c.args, " "), out)
		}
	}
}
